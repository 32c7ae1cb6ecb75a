"""Offline: how well each echo canceller takes the companion's voice out of the microphone.

Usage:  .venv/bin/python scripts/benchmark_echo.py [--seconds 60] [--seed 1] [--data DIR]
        .venv/bin/python scripts/benchmark_echo.py --live [--lines 16] [--stops 0.15]

``--live`` measures the real path instead (``benchmark_echo_live.py``): Piper's count lines
every 2 s played by the companion's ``OutputStream`` into a private PulseAudio null sink
(tests/pulse.py), captured by its ``Microphone`` on the sink's monitor, with the output stream's
per-line restart off and on; per line, the lag from the tap's reference to the microphone
(whole samples at 16 kHz) and the echo cut of the ``EchoFilter`` as used (Speex's linear stage
and the gate), with and without the realigning of each restart (``companion/audio/realign.py``).
``--stops S`` says a shared "stop" S s into every other line: the word classifier's P("stop")
on the cleaned audio.

A "room" is mixed sample by sample: the companion's counting (Piper's voice, a line every 2 s,
as a session says them) reaches the microphone after a bulk delay (120-250 ms, as a child
player and a sound server add), through a short reverberant path, with a little noise; shared
recordings of "stop" are said over it at the companion's level and 10 dB below. The tap is
told each line's start as the speaker would know it (the player's start, which misses the real
start by up to +-30 ms). Each canceller (``companion.audio.echo_cancel``) then cleans the
microphone through the real ``EchoFilter`` (delay estimation included), block by block, and
the report gives, per canceller:

- echo reduction: the companion's voice alone, before/after (dB, more is better);
- the word kept: the level of what is left under each "stop" that is not the word, relative to
  the word (signal-to-residual, dB, more is better), at 0 and -10 dB.

``--scores`` adds what the listener's judges make of each "stop" (its 1 s clip, as the
over-its-voice check's window): the word classifier's P("stop") and the Moonshine reader's
P("stop"), medians at 0 and -10 dB, for the clean word (no echo) and after each canceller.
``speex-linear`` is Speex's adaptive filter without its residual suppressor (a linear stage
only: pywebrtc-audio's AEC3 has no switch for its suppressor; the companion's canceller);
``speex-linear+gate`` adds the residual gate the companion puts after it. ``--jitter`` sets how
far a line's noted start may miss the real one (s; 0: the in-process stream's exact times).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.audio.cancellers import KINDS  # noqa: E402
from companion.audio.echo_cancel import EchoFilter  # noqa: E402
from companion.audio.playback_tap import RATE, PlaybackTap  # noqa: E402
from companion.audio.residual_gate import ResidualGate  # noqa: E402

FRAME = RATE // 100
from tests.pulse import read_wav  # noqa: E402

BLOCK = RATE // 50
"""The microphone's blocks: 20 ms."""


def count_lines(rate: int) -> list[np.ndarray]:
    """Piper's "N. Palm up." / "N. Palm down." at volume 0.3 (int16 at ``rate``)."""
    from companion.speech.piper_voice import PiperSynth, installed_voices

    synth = PiperSynth(installed_voices()[0])
    assert synth.sample_rate == rate or rate == 0
    out = []
    for n in range(1, 9):
        audio = synth.render(f"{n}. Palm {'up' if n % 2 else 'down'}.", 160)
        out.append((audio.samples.astype(np.float64) * 0.3).astype(np.int16))
    return out, synth.sample_rate


def room(rng: random.Random) -> np.ndarray:
    """A short reverberant path: the direct sound and an exponentially decaying tail (60 ms)."""
    n = int(0.06 * RATE)
    tail = np.array([rng.gauss(0, 1) for _ in range(n)]) * np.exp(-np.arange(n) / (0.015 * RATE))
    ir = 0.25 * tail / np.sqrt(np.sum(tail**2))
    ir[0] = 1.0
    return ir


def level_db(x: np.ndarray) -> float:
    frames = x[: len(x) // 160 * 160].astype(np.float64).reshape(-1, 160)
    db = 20 * np.log10(np.maximum(frames.std(axis=1), 1e-3) / 32768)
    return float(np.median(db[db >= db.max() - 20]))


def signal_to_residual(word: np.ndarray, got: np.ndarray) -> float:
    """dB of ``word`` over what is left of ``got`` when the best-scaled word is taken out."""
    gain = float(word @ got) / max(float(word @ word), 1e-9)
    rest = got - gain * word
    return float(10 * np.log10(np.sum((gain * word) ** 2) / max(np.sum(rest**2), 1e-9)))


CANCELLERS = {**KINDS, "speex-linear+gate": KINDS["speex-linear"]}
"""``+gate``: with the residual gate after it (``companion.audio.residual_gate``), as used."""


class Judges:
    """The word classifier's and the reader's P("stop") for a stretch of audio."""

    def __init__(self) -> None:
        from companion.classifier.word_classifier import WEIGHTS, WordClassifier
        from companion.recognisers.moonshine_reader import MoonshineReader
        from companion.recognisers.moonshine_tokens import written_forms

        self.classifier = WordClassifier(WEIGHTS)
        self.reader = MoonshineReader()
        self.forms = {"stop": written_forms("stop")}

    def stop_p(self, x: np.ndarray) -> float:
        """The classifier's P("stop") alone."""
        pcm = np.clip(np.rint(x), -32768, 32767).astype("<i2").tobytes()
        return self.classifier.probabilities(pcm).get("stop", 0.0)

    def __call__(self, x: np.ndarray) -> tuple[float, float]:
        pcm = np.clip(np.rint(x), -32768, 32767).astype("<i2").tobytes()
        said = self.reader.phrase_probabilities(pcm, self.forms)
        return self.classifier.probabilities(pcm).get("stop", 0.0), sum(said.values())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "speech")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--jitter", type=float, default=0.03)
    ap.add_argument("--scores", action="store_true")
    ap.add_argument("--live", action="store_true", help="through a null sink (see above)")
    ap.add_argument("--lines", type=int, default=16, help="--live: count lines per run")
    ap.add_argument("--stops", type=float, default=-1.0, help="--live: 'stop' this far into lines")
    args = ap.parse_args(argv)
    if args.live:
        sys.path.insert(0, str(ROOT / "scripts"))
        from benchmark_echo_live import live

        return live(args.lines, args.stops, args.data)
    rng = random.Random(args.seed)
    from companion.audio.resample import Resampler

    lines, piper_rate = count_lines(0)
    lines16 = [Resampler(piper_rate, RATE).process(x).astype(np.float64) for x in lines]
    n = int(args.seconds * RATE)
    played = np.zeros(n)  # what reached the room, on the true clock
    tap = PlaybackTap(keep_s=args.seconds + 10)
    t0 = 1000.0  # the monotonic time of sample 0
    delay = rng.uniform(0.12, 0.25)
    i, k = int(0.5 * RATE), 0
    while i < n - 2 * RATE:
        x = lines16[k % len(lines16)]
        played[i : i + len(x)] += x
        jitter = rng.uniform(-args.jitter, args.jitter)
        tap.played(lines[k % len(lines)], piper_rate, t0 + i / RATE + jitter)
        i += 2 * RATE
        k += 1
    ir = room(rng)
    echo = np.convolve(played, ir)[:n]
    d = int(delay * RATE)
    echo = np.concatenate([np.zeros(d), echo[: n - d]])
    companion_db = level_db(echo.astype(np.int16))
    stops = sorted((args.data / "commands" / "stop").glob("*.wav"))
    words = np.zeros(n)
    spans = []
    at = int(1.3 * RATE)
    while at < n - RATE:
        clip = read_wav(rng.choice(stops)).samples.astype(np.float64)
        gain_db = rng.choice((0.0, -10.0))
        clip *= 10 ** ((companion_db + gain_db - level_db(clip.astype(np.int16))) / 20)
        words[at : at + len(clip)] += clip
        spans.append((at, at + len(clip), gain_db))
        at += int(rng.uniform(2.5, 4.5) * RATE)
    noise = np.array([rng.gauss(0, 1) for _ in range(n)]) * 10 ** ((companion_db - 45) / 20) * 32768
    mic = np.clip(np.rint(echo + words + noise), -32768, 32767).astype(np.int16)
    echo_only = np.ones(n, dtype=bool)
    for a, b, _ in spans:
        echo_only[a - RATE // 10 : b + RATE // 2] = False
    echo_only &= np.abs(echo) > 0
    print(f"{args.seconds:g} s, bulk delay {delay * 1000:.0f} ms, companion {companion_db:.1f} "
          f"dBFS, {len(spans)} stops; seed {args.seed}\n")  # fmt: skip
    judges = Judges() if args.scores else None
    extra = (
        " classifier / reader P(stop), 0 dB | at -10 dB | its voice alone: classifier's"
        " highest P(stop) (1 s windows at 0.85 or more) |"
        if judges
        else ""
    )
    head = "| canceller | echo reduction (dB) | word/residual at 0 dB | at -10 dB | CPU per s |"
    print(head + extra)
    print("|---|---|---|---|---|" + ("---|---|---|" if judges else ""))
    for kind in [*(["clean"] if judges else []), "none", *args.kinds.split(",")]:
        if kind == "clean":  # the word without the companion's voice under it
            out = words + noise
            took = 0.0
        elif kind == "none":
            out = mic.astype(np.float64)
            took = 0.0
        else:
            gate = ResidualGate(RATE) if kind.endswith("+gate") else None
            filt = EchoFilter(tap, CANCELLERS[kind](), gate=gate)
            chunks = []
            began = time.process_time()
            for s in range(0, n, BLOCK):
                end = t0 + (s + BLOCK) / RATE
                chunks.append(np.frombuffer(filt(mic[s : s + BLOCK].tobytes(), end), "<i2"))
            took = (time.process_time() - began) / args.seconds
            got = np.concatenate(chunks).astype(np.float64)
            out = np.zeros(n)
            out[: len(got)] = got
        erle = 10 * np.log10(np.sum(mic[echo_only].astype(np.float64) ** 2) /
                             max(np.sum(out[echo_only] ** 2), 1e-9))  # fmt: skip
        kept = {0.0: [], -10.0: []}
        for a, b, g in spans:
            w = words[a:b]
            shifts = range(0, 241, 4)  # the canceller's own latency
            best = max(signal_to_residual(w, out[a + s : b + s]) for s in shifts)
            kept[g].append(best)
        row = (f"| {kind} | {erle:.1f} | {np.median(kept[0.0]):.1f} | "
               f"{np.median(kept[-10.0]):.1f} | {took * 1000:.1f} ms |")  # fmt: skip
        if judges is not None:
            for g in (0.0, -10.0):
                got = np.array([judges(out[a : b + FRAME]) for a, b, h in spans if h == g])
                row += f" {np.median(got[:, 0]):.2f} / {np.median(got[:, 1]):.2f} |"
            alone = [
                judges.stop_p(out[a : a + RATE])
                for a in range(0, n - RATE, RATE // 2)
                if echo_only[a : a + RATE].mean() > 0.5
            ]
            high = sum(p >= 0.85 for p in alone)
            row += f" {max(alone, default=0.0):.2f} ({high} of {len(alone)}) |"
        print(row, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
