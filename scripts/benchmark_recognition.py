"""Benchmark of the live listener on real recordings: accuracy, false accepts, latency, CPU, RSS.

Usage:  .venv/bin/python scripts/benchmark_recognition.py [--engine pocketsphinx] [--data DIR]
Prints a Markdown report (paste it into docs/benchmarks.md). Speakers are split into two fixed
halves by a hash of their id, so a threshold chosen on one half can be checked on the other.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import resource
import sys
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion.audio import wavfile  # noqa: E402
from companion.classifier.choose import make_classifier
from companion.commands import CONTEXTS, vocabulary  # noqa: E402
from companion.listen import offline
from companion.listen.listener import Listener  # noqa: E402
from companion.listen.vad import level_db  # noqa: E402
from companion.recognisers.choose import make_engine, make_reader  # noqa: E402
from companion.recognisers.pocketsphinx_engine import AdaptedState, PocketSphinxEngine  # noqa: E402

IN_CONTEXT = {
    "go": ("ready", "start"),
    "stop": ("counting", "stop"),
    "yes": ("yesno", "yes"),
    "no": ("yesno", "no"),
}
"""Folder -> (context, expected command): the in-context words of the issue."""
NEGATIVE_FOLDERS = (
    "up",
    "down",
    "left",
    "right",
    "on",
    "off",
    "_unknown_",
    "_silence_",
    "go",
    "stop",
    "yes",
    "no",
)
NEGATIVE_CONTEXTS = ("ready", "counting", "yesno")
TRAIL_S = 2.0
"""Quiet added after each one-second clip, as in a room after the word is said."""
MEMORY_CLIPS = 200
"""Clips (of every kind) the listener hears in the memory measurement."""
RATE = 16000


@dataclass(frozen=True)
class Job:
    """One clip in one context, and what should come out."""

    path: str
    context: str
    expect: str | None
    """Expected command ("number:7" for digits), None when nothing may be accepted."""
    kind: str
    """"in-context", "false-accept" or "digit"."""
    word: str
    half: str
    """"A" or "B": which half of the speakers."""


def half(speaker: str) -> str:
    """A fixed split of speakers into two halves."""
    return "A" if zlib.crc32(speaker.encode()) % 2 == 0 else "B"


def speech_dir(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("COMPANION_SPEECH_DATA")
    root = Path(__file__).resolve().parent.parent
    return Path(env) if env else root.parent / "shared" / "data" / "speech"


def jobs(data: Path, every: int) -> Iterator[Job]:
    vocab = vocabulary()
    cmds = data / "commands"
    for folder in sorted(p.name for p in cmds.iterdir() if p.is_dir()):
        for i, f in enumerate(sorted((cmds / folder).glob("*.wav"))):
            if i % every:
                continue
            parts = f.stem.split("_")
            word = parts[0] if folder == "_unknown_" else folder
            speaker = parts[1] if folder == "_unknown_" else parts[0]
            if folder in IN_CONTEXT:
                ctx, cmd = IN_CONTEXT[folder]
                yield Job(str(f), ctx, cmd, "in-context", folder, half(speaker))
            if folder not in NEGATIVE_FOLDERS:
                continue
            for ctx in NEGATIVE_CONTEXTS:
                if word in vocab.phrases_for(CONTEXTS[ctx]):
                    continue  # a live phrase here ("right" means yes), not a false accept
                yield Job(str(f), ctx, None, "false-accept", folder, half(speaker))
    for i, f in enumerate(sorted((data / "digits").glob("*.wav"))):
        if i % every == 0:
            digit, speaker = f.stem.split("_")[:2]
            yield Job(str(f), "number", f"number:{digit}", "digit", digit, half(speaker))


def end_of_word_s(pcm: bytes) -> float:
    """Where the word ends: the last 10 ms frame within 30 dB of the loudest one."""
    frame = RATE // 100 * 2
    levels = [level_db(pcm[i : i + frame]) for i in range(0, len(pcm) - frame + 1, frame)]
    top = max(levels)
    loud = [i for i, db in enumerate(levels) if db > top - 30 and db > -60]
    return (loud[-1] + 1) * 0.01 if loud else len(pcm) / 2 / RATE


_ENGINE = None
_CLASSIFIER: dict[str, object] = {}
"""Speaker half -> the word classifier its clips are judged with."""


class TimedReader:
    """The reader, with where in the audio each reading began and how long it took."""

    def __init__(self, reader: object) -> None:
        self.reader = reader
        self.listener: Listener | None = None
        self.ms: list[tuple[float, float]] = []
        """(position in the audio, milliseconds) of each reading."""

    def phrase_probabilities(self, pcm16: bytes, forms: object) -> dict[str, float]:
        began = time.perf_counter()
        out: dict[str, float] = self.reader.phrase_probabilities(pcm16, forms)  # type: ignore[attr-defined]
        at = self.listener.position_s if self.listener is not None else 0.0
        self.ms.append((at, (time.perf_counter() - began) * 1000))
        return out


def decided_live_s(decided_at_s: float, readings: list[tuple[float, float]]) -> float:
    """When a live listener, fed in real time, would decide: it reads while the audio goes on
    arriving (a reading begun at a pause overlaps the settling silence), then catches up."""
    busy_until = 0.0
    for at, ms in readings:
        if at <= decided_at_s + 1e-9:
            busy_until = max(busy_until, at) + ms / 1000
    return max(decided_at_s, busy_until)


_READER: TimedReader | None = None
"""The open-vocabulary reader (None: without it)."""


_WARM: AdaptedState | None = None
"""The PocketSphinx state every clip is decoded from (after the warm-up clips)."""


def _init(
    engine: str,
    model: str | None,
    decoys: int | None = None,
    floor: float | None = None,
    classifier: str | None = None,
    classifier_dir: str = "",
    warm_up: tuple[tuple[str, str], ...] = (),
    reader: str = "moonshine",
    vad: str = "plain",
) -> None:
    global _ENGINE, _CLASSIFIER, _WARM, _READER
    if vad != "plain":  # a speech detector measured in benchmark_room.py (not shipped)
        import benchmark_room

        benchmark_room.vad_kind(vad)
    if floor is not None:
        from companion.recognisers import pocketsphinx_engine

        pocketsphinx_engine.NOISE_FLOOR = floor
    if decoys is not None:
        from companion.recognisers import pocketsphinx_engine

        pocketsphinx_engine.DECOY_COUNT = decoys
    _ENGINE = make_engine(engine, model)
    if classifier == "cross":  # each half judged by a classifier trained on the other
        trained = {h: Path(classifier_dir) / f"word-classifier-{h}.npz" for h in "AB"}
        _CLASSIFIER = {
            "A": make_classifier(_ENGINE, trained["B"]),
            "B": make_classifier(_ENGINE, trained["A"]),
        }
    else:
        one = None if classifier == "none" else make_classifier(_ENGINE, classifier)
        _CLASSIFIER = {"A": one, "B": one}
    found = make_reader(_ENGINE, enabled=reader == "moonshine")
    _READER = None if found is None else TimedReader(found)
    _WARM = None
    if isinstance(_ENGINE, PocketSphinxEngine):
        for path, context in warm_up:
            offline.recognise(_ENGINE, vocabulary(), context, wavfile.read(path, RATE))
        _WARM = _ENGINE.adaptation()


def run_job(job: Job) -> dict[str, object]:
    assert _ENGINE is not None
    if _WARM is not None:  # every clip from the same state, whatever came before it
        assert isinstance(_ENGINE, PocketSphinxEngine)
        _ENGINE.restore(_WARM)
    pcm = wavfile.read(job.path, RATE)
    quiet = np.random.default_rng(len(pcm)).standard_normal(int(TRAIL_S * RATE)) * 2
    fed = pcm + quiet.astype("<i2").tobytes()
    listener = Listener(
        _ENGINE,
        vocabulary(),
        classifier=_CLASSIFIER[job.half],  # type: ignore[arg-type]
        reader=_READER,
    )
    if _READER is not None:
        _READER.ms, _READER.listener = [], listener
    r = offline.run(listener, job.context, fed)
    got = (
        None if r.command is None else (f"number:{r.value}" if r.command == "number" else r.command)
    )
    latency = live = None
    if r.decided_at_s is not None:
        latency = r.decided_at_s - end_of_word_s(pcm)
        readings = [] if _READER is None else _READER.ms
        live = decided_live_s(r.decided_at_s, readings) - end_of_word_s(pcm)
    return {
        "job": job,
        "got": got,
        "heard": r.heard,
        "latency": latency,
        "live_latency": live,
        "ms": r.decode_ms,
        "unsure": r.unsure,
        "audio_s": len(fed) / 2 / RATE,
        "reader_ms": [] if _READER is None else [ms for _, ms in _READER.ms],
    }


BATCHES = 8
"""The clips are decoded in this many fixed batches, each by a freshly made engine. Still
needed beside ``WARM_UP``: only the cepstral mean and the hiss are put back before each clip,
not the rest of the front end (its noise estimate), and with the pool's own order 11 of 2,383
results differed between runs (measured)."""
WARM_UP = (("yes", "yesno"), ("no", "yesno"), ("go", "ready"), ("stop", "counting"))
"""PocketSphinx adapts from utterance to utterance (as it should, to its user and room), so a
clip's result would depend on every clip decoded before it: a change to one clip would move
the results of all later ones. Each engine first hears the first recording of these words,
and every clip is then decoded from that same adapted state (its cepstral mean and hiss)."""


def run_batch(work: tuple[tuple[object, ...], list[Job]]) -> list[dict[str, object]]:
    init, batch = work
    _init(*init)  # type: ignore[arg-type]
    return [run_job(job) for job in batch]


def session_listener(engine_name: str, model: str | None, reader: str) -> Listener:
    """The listener as a session builds it: its own-voice engine beside the user's, the
    shipped word classifier and the reader."""
    engine = make_engine(engine_name, model)
    own = make_engine(engine_name, model, fresh=True) if engine_name == "pocketsphinx" else None
    return Listener(
        engine,
        vocabulary(),
        own_voice_engine=own,
        classifier=make_classifier(engine),
        reader=make_reader(engine, enabled=reader == "moonshine"),
    )


def session_memory(work: tuple[str, str | None, str, list[Job]]) -> float:
    """Peak resident memory (MB) of a fresh process whose session listener heard ``jobs``
    (run in a process of its own: nothing else the benchmark loaded is counted)."""
    engine_name, model, reader, heard = work
    lis = session_listener(engine_name, model, reader)
    for job in heard:
        pcm = wavfile.read(job.path, RATE)
        quiet = np.random.default_rng(len(pcm)).standard_normal(int(TRAIL_S * RATE)) * 2
        offline.run(lis, job.context, pcm + quiet.astype("<i2").tobytes())
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def silence_cpu(engine_name: str, model: str | None, seconds: float, reader: str) -> float:
    """CPU share of one core while the listener hears a quiet room, fed in real time."""
    lis = session_listener(engine_name, model, reader)
    lis.set_context("counting", CONTEXTS["counting"])
    rng = np.random.default_rng(1)
    chunk_s = 0.03
    n = int(RATE * chunk_s)
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(int(seconds / chunk_s)):
        lis.process((rng.standard_normal(n) * 3).astype("<i2").tobytes())
        delay = t0 + (i + 1) * chunk_s - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    return (time.process_time() - c0) / (time.perf_counter() - t0)


def rate(rows: list[dict[str, object]], ok) -> str:  # type: ignore[no-untyped-def]
    if not rows:
        return "-"
    good = sum(1 for r in rows if ok(r))
    return f"{good / len(rows):.3f} ({good}/{len(rows)})"


def report(rows: list[dict[str, object]]) -> list[str]:
    def sel(kind: str, h: str | None = None, word: str | None = None) -> list[dict[str, object]]:
        return [
            r
            for r in rows
            if r["job"].kind == kind
            and (h is None or r["job"].half == h)
            and (word is None or r["job"].word == word)
        ]

    right = lambda r: r["got"] == r["job"].expect  # noqa: E731
    wrong_accept = lambda r: r["got"] is not None  # noqa: E731
    out = ["| measure | all speakers | half A | half B |", "|---|---|---|---|"]
    for label, kind, ok in (
        ("in-context accuracy", "in-context", right),
        ("false accepts", "false-accept", wrong_accept),
        ("digits 0-9 (number context)", "digit", right),
    ):
        out.append(
            f"| {label} | {rate(sel(kind), ok)} | {rate(sel(kind, 'A'), ok)} | "
            f"{rate(sel(kind, 'B'), ok)} |"
        )
    unsure = [r for r in rows if r["got"] is not None and r["unsure"]]
    for kind in ("in-context", "false-accept", "digit"):
        n = sum(1 for r in unsure if r["job"].kind == kind)
        if n:
            out.append(
                f"\n{kind}: {n} of the accepted results were marked unsure "
                "(the session asks to confirm them)."
            )
    out += ["", "| word (context) | accuracy |", "|---|---|"]
    for w, (ctx, _) in IN_CONTEXT.items():
        out.append(f"| {w} ({ctx}) | {rate(sel('in-context', word=w), right)} |")
    out += ["", "| false accepts by folder | rate |", "|---|---|"]
    for folder in NEGATIVE_FOLDERS:
        fa = [r for r in sel("false-accept") if r["job"].path.split("/")[-2] == folder]
        out.append(f"| {folder} | {rate(fa, wrong_accept)} |")
    taken: dict[str, int] = defaultdict(int)
    for r in sel("false-accept"):
        if r["got"] is not None:
            taken[f"{r['got']} ({r['job'].context})"] += 1
    out += ["", "| false accept taken as (context) | count |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in sorted(taken.items(), key=lambda kv: -kv[1])]
    lat: dict[str, list[float]] = defaultdict(list)
    for r in sel("in-context"):
        if r["got"] == r["job"].expect and r["latency"] is not None:
            lat[r["job"].expect].append(float(r["latency"]))
    out += [
        "",
        "| command | latency after end of word: median | 90th percentile | max |",
        "|---|---|---|---|",
    ]
    for cmd, xs in sorted(lat.items()):
        out.append(
            f"| {cmd} | {np.median(xs):.2f} s | {np.percentile(xs, 90):.2f} s | {max(xs):.2f} s |"
        )
    reads = [ms for r in rows for ms in r.get("reader_ms", [])]  # type: ignore[attr-defined]
    if reads:
        out += [
            "",
            "| command | live latency, with the reader's time (reading at a pause overlaps the "
            "settling silence): median | 90th percentile | max |",
            "|---|---|---|---|",
        ]
        for cmd in sorted(lat):
            xs = [
                float(r["live_latency"])  # type: ignore[arg-type]
                for r in sel("in-context")
                if r["got"] == r["job"].expect == cmd and r["latency"] is not None
            ]
            out.append(
                f"| {cmd} | {np.median(xs):.2f} s | {np.percentile(xs, 90):.2f} s "
                f"| {max(xs):.2f} s |"
            )
        out.append(
            f"\nReader (Moonshine): {len(reads)} readings, {np.median(reads):.0f} ms median, "
            f"{np.percentile(reads, 90):.0f} ms 90th percentile, {max(reads):.0f} ms max."
        )
    speed = sum(float(r["ms"]) for r in rows) / 1000 / sum(float(r["audio_s"]) for r in rows)
    out.append(f"\nDecoding speed: {speed:.3f} s of CPU per second of audio (clips + quiet).")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default="pocketsphinx")
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=None, help="speech folder (default: ../shared/data/speech)")
    ap.add_argument("--every", type=int, default=1, help="use every Nth file (quick runs)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--decoys", type=int, default=None, help="PocketSphinx decoy words (tuning)")
    ap.add_argument("--noise-floor", type=float, default=None, help="PocketSphinx hiss (tuning)")
    ap.add_argument("--silence-seconds", type=float, default=20.0)
    ap.add_argument(
        "--only",
        choices=("in-context", "false-accept", "digit"),
        default=None,
        help="run one kind of clip only (tuning; the report is then partial)",
    )
    ap.add_argument(
        "--reader",
        choices=("moonshine", "none"),
        default="moonshine",
        help="the open-vocabulary reader (default: Moonshine, when installed)",
    )
    ap.add_argument("--rows", default=None, help="also write one JSON line per clip to this file")
    ap.add_argument("--no-idle", action="store_true", help="skip the CPU and memory measures")
    ap.add_argument(
        "--classifier",
        default=None,
        help="word classifier file (default: the shipped one; 'none': recogniser alone; "
        "'cross': each speaker half judged by one trained on the other half, see --cross-dir)",
    )
    ap.add_argument(
        "--cross-dir",
        default="/tmp/companion-cross",
        help="folder with word-classifier-A.npz and -B.npz "
        "(scripts/train_word_classifier.py --half A/B --out ...)",
    )
    ap.add_argument(
        "--vad",
        choices=("plain", "settle", "first", "silero"),
        default="plain",
        help="speech detector (plain: the shipped one; others: see benchmark_room.py --vad)",
    )
    args = ap.parse_args()
    data = speech_dir(args.data)
    if not (data / "commands").is_dir():
        print(f"no speech data in {data}", file=sys.stderr)
        return 1
    todo = [j for j in jobs(data, args.every) if args.only in (None, j.kind)]
    began = time.perf_counter()
    warm_up = tuple(
        (str(sorted((data / "commands" / word).glob("*.wav"))[0]), context)
        for word, context in WARM_UP
    )
    init = (
        args.engine,
        args.model,
        args.decoys,
        args.noise_floor,
        args.classifier,
        args.cross_dir,
        warm_up,
        args.reader,
        args.vad,
    )
    rows: list[dict[str, object]] = [{} for _ in todo]
    with ProcessPoolExecutor(args.workers) as pool:
        batches = [(init, todo[i::BATCHES]) for i in range(BATCHES)]
        for i, done in enumerate(pool.map(run_batch, batches)):
            rows[i::BATCHES] = done
    wall = time.perf_counter() - began
    if args.rows:
        with open(args.rows, "w") as out:
            for r in rows:
                out.write(json.dumps({**r, "job": asdict(r["job"])}) + "\n")  # type: ignore[call-overload]
    digest = hashlib.sha1("".join(j.path for j in todo).encode()).hexdigest()[:8]
    if args.no_idle:
        print(f"{len(todo)} decodes (file list {digest}) in {wall:.0f} s.\n")
        print("\n".join(report(rows)))
        return 0
    cpu = silence_cpu(args.engine, args.model, args.silence_seconds, args.reader)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as fresh:
        work = (args.engine, args.model, args.reader, todo[:: max(1, len(todo) // MEMORY_CLIPS)])
        rss_mb = fresh.submit(session_memory, work).result()
    print(
        f"Engine: {args.engine}; {len(todo)} decodes of {data} (file list {digest}) "
        f"in {wall:.0f} s with {args.workers} workers.\n"
    )
    print("\n".join(report(rows)))
    print(
        f"\nListening to a quiet room (real-time feed, {args.silence_seconds:.0f} s): "
        f"{cpu * 100:.1f}% of one core."
    )
    print(
        f"Resident memory of a session's listener (both engines, classifier, reader: "
        f"{args.reader}) in a process of its own, peak over {MEMORY_CLIPS} clips of every "
        f"kind: {rss_mb:.0f} MB."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
