"""``benchmark_echo.py --live``: the echo canceller on the real audio path, per line.

Through a private PulseAudio null sink (tests/pulse.py): Piper's count lines ("1. Palm up.",
"And down.") at volume 0.3, one every 2 s, played by the companion's ``OutputStream`` (its
per-line restart off, then on) and captured by its ``Microphone`` on the sink's monitor with
their capture times. Per line: the lag from the tap's reference to the microphone (whole samples
at 16 kHz: cross-correlation over the line), and how much quieter the ``EchoFilter`` as used
(Speex's linear stage and the residual gate) makes it, with the realigning of each restart
(``companion/audio/realign.py``) and without. With ``stops`` a shared "stop" (at the companion's
level) is said that long into every other line, and the word classifier's P("stop") on the
cleaned audio (best 1 s window around it) is reported, as the listener's bar over its voice.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.pulse import PulseServer  # noqa: E402

RATE = 16000
INTERVAL_S = 2.0
"""A count line every 2 s, as palm_turn's 4 s a repetition in two phases."""


def _one_run(server: PulseServer, restart: bool, lines: int, stops: float, clips: list[Path]):
    from companion.audio.microphone import Microphone
    from companion.audio.output_stream import OutputStream
    from companion.audio.playback_tap import PlaybackTap
    from companion.speech.piper_voice import PiperSynth, installed_voices

    synth = PiperSynth(installed_voices()[0])
    texts = [f"{n}. Palm up." if n % 2 else "And down." for n in range(1, 9)]
    audio = [(synth.render(t, 150).samples * 0.3).astype(np.int16) for t in texts]
    tap = PlaybackTap()
    out = OutputStream(tap, restart=restart)
    out.open(synth.sample_rate)
    got: list[tuple[bytes, float]] = []
    mic: Any = None
    mic = Microphone(lambda chunk: got.append((chunk, mic.captured_at)), rate=RATE)
    mic.start(refresh=False)
    played, said = [], []
    try:
        time.sleep(0.5)
        t0 = time.monotonic() + 0.2
        for k in range(lines):
            while time.monotonic() < t0 + k * INTERVAL_S:
                time.sleep(0.002)
            line = out.play(audio[k % len(audio)], synth.sample_rate)
            played.append(line)
            if stops >= 0 and k % 2:
                while time.monotonic() < line.started + stops:
                    time.sleep(0.002)
                said.append(time.monotonic())
                server.play(clips[(k // 2) % len(clips)], wait=False)
            line.wait(timeout=5)
        time.sleep(0.6)
    finally:
        mic.stop()
        out.close()
    return tap, played, got, said, out


def _analyse(tap: Any, played: list, got: list, said: list[float]) -> dict[str, Any]:
    from companion.audio.echo_cancel import echo_filter
    from companion.audio.realign import Realigner, best_lag

    class _Off(Realigner):
        def update(self, tap: Any, delay_s: float) -> None:  # never measures: no shifts
            return None

    mic = np.concatenate([np.frombuffer(c, "<i2") for c, _ in got]).astype(np.float64)
    ends = np.array([t for _, t in got])
    cum = np.cumsum([len(c) // 2 for c, _ in got])

    def index(at: float) -> int:  # the microphone sample captured at monotonic ``at``
        i = min(int(np.searchsorted(ends, at)), len(ends) - 1)
        return int(cum[i] - (ends[i] - at) * RATE)

    def cleaned(realign: bool) -> tuple[np.ndarray, Any]:
        filt = echo_filter(tap)
        assert filt is not None
        if not realign:
            filt.realign = _Off()
        out = np.concatenate([np.frombuffer(filt(c, captured=t), "<i2") for c, t in got])
        return np.concatenate([out, np.zeros(len(mic) - len(out))]).astype(np.float64), filt

    runs = {"realigned": cleaned(True), "not realigned": cleaned(False)}
    result: dict[str, Any] = {"lags": [], "cut": {k: [] for k in runs}, "p_stop": {}}
    for line in played:
        hi, lo = index(line.ends), index(line.started)
        if lo < 0 or hi - lo < 3200:
            continue
        ref = tap.reference(line.ends + 80 / RATE, hi - lo + 160).astype(np.float64)
        lag, score = best_lag(mic[lo:hi], ref, 160)
        result["lags"].append(lag - 80 if score > 0.9 else None)
        for name, (clean, _) in runs.items():
            before = float(np.sum(mic[lo:hi] ** 2))
            result["cut"][name].append(
                10 * np.log10(before / max(float(np.sum(clean[lo:hi] ** 2)), 1))
            )
    if said:
        from companion.classifier.word_classifier import WEIGHTS, WordClassifier

        classifier = WordClassifier(WEIGHTS)
        for name, (clean, _) in runs.items():
            best = []
            for at in said:
                i = index(at)
                windows = [
                    clean[max(0, i + o) : max(0, i + o) + RATE] for o in range(-1600, 8001, 800)
                ]
                pcm = [np.clip(np.rint(w), -32768, 32767).astype("<i2").tobytes() for w in windows]
                best.append(max(classifier.probabilities(p).get("stop", 0.0) for p in pcm))
            result["p_stop"][name] = best
    filt = runs["realigned"][1]
    result["realign"] = (filt.realign.measured, filt.realign.given_up)
    return result


def live(lines: int, stops: float, data: Path) -> int:
    """Both runs and the report (see the module); 0."""
    from tests.test_live_stop import at_companion_level

    work = Path(tempfile.mkdtemp(prefix="benchmark-echo-"))
    server = PulseServer.start(work)
    try:
        os.environ.update(server.env)
        import sounddevice as sd

        sd._terminate()
        sd._initialize()
        stop_files = sorted((data / "commands" / "stop").glob("*.wav"))[:10]
        clips = [at_companion_level(p, work / f"stop-{i}.wav") for i, p in enumerate(stop_files)]
        load = os.getloadavg()[0]
        print(f"{lines} count lines a run, one every {INTERVAL_S:g} s; load {load:.1f}\n")
        print("| restart | lag to the microphone (samples, first..last) | lag changes | echo cut, "
              "realigned (median, last half) | not realigned | P(stop) >= 0.95 realigned / not |"
              " underflows | timelines measured / not |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|")
        for restart in (False, True):
            tap, played, got, said, out = _one_run(server, restart, lines, stops, clips)
            r = _analyse(tap, played, got, said)
            lags = [x for x in r["lags"] if x is not None]
            changes = sum(a != b for a, b in zip(lags, lags[1:], strict=False))
            cuts = {
                k: f"{statistics.median(v):.1f} dB, {statistics.median(v[len(v) // 2 :]):.1f} dB"
                for k, v in r["cut"].items()
            }
            p = r["p_stop"]
            both = ("realigned", "not realigned")
            heard = " / ".join(f"{sum(x >= 0.95 for x in p[k])} of {len(p[k])}" for k in both if p)
            heard = heard or "-"
            print(f"| {'on' if restart else 'off'} | {lags[:3]}..{lags[-3:]} | {changes} of "
                  f"{len(lags) - 1} | {cuts['realigned']} | {cuts['not realigned']} | {heard} | "
                  f"{out.underflows} | {r['realign'][0]} / {r['realign'][1]} |",
                  flush=True)  # fmt: skip
        print(f"\nload at the end {os.getloadavg()[0]:.1f}")
    finally:
        server.stop()
    return 0
