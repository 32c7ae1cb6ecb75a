"""Train the word classifier for a real room: the training set of train_word_classifier.py
plus copies of its clips as a kitchen would bring them.

Usage:  .venv/bin/python scripts/train_room_classifier.py [--half A|B|all] [--out FILE]
                                        [--copies N] [--seed N] [--plain] [--own-voice]
                                        [--replay-out FILE]

Each copy of a clip (every real one of the speakers trained on, and every 16th synthetic one)
gets, drawn from ``--seed``: a gain from -25 to +6 dB; half the time a tempo from 0.6 to 1.2
(pitch kept, sox); 40% of the time a synthetic room (0.2-0.8 s reverberation); then household
noise at 0-20 dB (cuts of commands/_silence_ at odd places in the sorted folder: the room
benchmark uses the even ones) half the time, or babble of three streams of the training
speakers' non-command words at 5-20 dB a third of the time. The even-place noise cuts are left
out of training altogether, so scripts/benchmark_room.py never judges sound it was trained on;
with --half A or B the held-out half's speakers are left out as in train_word_classifier.py.
--plain: the same set without copies (the baseline the copies are measured against).

--own-voice adds the companion's own voice (issue 18): one more copy of every clip copied
above, with the companion's lines (scripts/benchmark_own_voice_mix.py: every line of a set and
a rest, rendered by Piper's joe voice at two rates and eSpeak NG at three) one after another
under it from a random place, 0-0.6 s of them before and after the word; 65% of the time as
heard without echo cancellation (signal-to-interference -5 to +15 dB, half the time through a
short room response), otherwise as a canceller's residual (-15 to -30 dB, filtered); a third
of the time household noise (odd-place cuts) at 5-20 dB as well, and half the time the room
copy's gain, tempo and reverberation first. And the lines alone (each render once, followed by
other lines, 1-3 s; 60% at full level, 40% as a residual) labelled OTHER, except lines that
say "stop" or "go" or are a lone word of a class ("Go.", "3."): a user's word is never
taught as OTHER. Copies of a clip do not depend on --half (the babble of a room copy comes
from its own speaker half), so --half all reuses the copies of the real clips made for A and
B (which synthetic clips are copied depends on the half: every 16th counted from the first
real clip); the held-out half's clips and speakers are left out exactly as without it.
Features are cached per file in --cache (about 0.08 s of one core per clip to make).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import benchmark_own_voice_mix as own  # noqa: E402
import benchmark_room as room  # noqa: E402
import train_word_classifier as tw  # noqa: E402

from companion.classifier.embedding import SpeechEmbedder, pooled  # noqa: E402
from companion.classifier.training import sample_weights, save, train  # noqa: E402

RATE = 16000
SYNTHETIC_EVERY = 16
"""Every this-many-th synthetic clip is copied too (real ones all are)."""


def augment(x: npt.NDArray[np.float64], rng: np.random.Generator, noise: list[Path],
            babble: list[Path]) -> npt.NDArray[np.float64]:  # fmt: skip
    """One room copy of ``x`` (see the module's docstring)."""
    x = x * 10 ** (rng.uniform(-25, 6) / 20)
    if rng.random() < 0.5:
        x = room.tempo(x, float(rng.uniform(0.6, 1.2)))
    if rng.random() < 0.4:
        h = room.room_response(rng, float(rng.uniform(0.2, 0.8)), float(rng.uniform(-3, 6)))
        wet = room.convolve(x, h)[: len(x) + RATE // 4]
        x = wet * np.sqrt(room.active_power(x) / room.active_power(wet))
    pick = rng.random()
    if pick < 0.5:
        snr = rng.uniform(0, 20)
        n = room.stream(rng, noise, len(x))
        x = x + n * np.sqrt(room.active_power(x) / 10 ** (snr / 10) / room.active_power(n))
    elif pick < 0.83:
        snr = rng.uniform(5, 20)
        talk = sum(room.stream(rng, babble, len(x)) for _ in range(3))
        x = x + talk * np.sqrt(room.active_power(x) / 10 ** (snr / 10) / room.active_power(talk))
    return np.clip(x + rng.standard_normal(len(x)) * 2, -32768, 32767)


NOT_OTHER = {"stop", "go"}
"""Lines saying one of these words are never taught as OTHER."""


def own_voice_mix(x: npt.NDArray[np.float64], rng: np.random.Generator, voices: list[Path],
                  noise: list[Path]) -> npt.NDArray[np.float64]:  # fmt: skip
    """``x`` said over the companion's lines ``voices`` (see the module's docstring)."""
    if rng.random() < 0.5:
        x = x * 10 ** (rng.uniform(-25, 6) / 20)
        if rng.random() < 0.4:
            x = room.tempo(x, float(rng.uniform(0.6, 1.2)))
        if rng.random() < 0.3:
            h = room.room_response(rng, float(rng.uniform(0.2, 0.8)), float(rng.uniform(-3, 6)))
            wet = room.convolve(x, h)[: len(x) + RATE // 4]
            x = wet * np.sqrt(room.active_power(x) / room.active_power(wet))
    before, after = (int(rng.uniform(0, 0.6) * RATE) for _ in range(2))
    out = np.concatenate([np.zeros(before), x, np.zeros(after)])
    level = np.sqrt(room.active_power(x))
    voice = own.voice_stream(rng, voices, len(out))
    if rng.random() < 0.65:
        if rng.random() < 0.5:
            voice = own.residual(rng, voice)
        out += voice * level / 10 ** (rng.uniform(-5, 15) / 20)
    else:
        out += own.residual(rng, voice) * level / 10 ** (rng.uniform(15, 30) / 20)
    if rng.random() < 1 / 3:
        n = room.stream(rng, noise, len(out))
        out += n * level / 10 ** (rng.uniform(5, 20) / 20) / np.sqrt(room.active_power(n))
    return np.clip(out + rng.standard_normal(len(out)) * 2, -32768, 32767)


def lines_alone(first: Path, rng: np.random.Generator,
                voices: list[Path]) -> npt.NDArray[np.float64]:  # fmt: skip
    """The companion's line ``first`` followed by others, 1-3 s, at full level or as a
    residual (OTHER)."""
    n = int(rng.uniform(1.0, 3.0) * RATE)
    x = room.read(str(first))
    rest = own.voice_stream(rng, voices, max(1, n - len(x)))
    x = np.concatenate([x, np.zeros(int(rng.uniform(0.1, 0.6) * RATE)), rest])[:n]
    x = x / np.sqrt(room.active_power(x)) * own.WORD_LEVEL * 10 ** (rng.uniform(-15, 6) / 20)
    if rng.random() < 0.4:
        x = own.residual(rng, x) * np.sqrt(room.active_power(x)) / 10 ** (rng.uniform(15, 30) / 20)
    return np.clip(x + rng.standard_normal(len(x)) * 2, -32768, 32767)


def own_features(work: tuple[str, str, int, list[str], list[str]]) -> npt.NDArray[np.float64]:
    """Pooled embedding of a clip over the companion's voice ("mix") or of the companion's
    lines alone ("lines"); ``seed`` decides everything drawn."""
    global _EMBEDDER
    kind, path, seed, voices, noise = work
    if _EMBEDDER is None:
        _EMBEDDER = SpeechEmbedder()
    rng = np.random.default_rng(seed)
    pool = [Path(p) for p in voices]
    if kind == "lines":
        x = lines_alone(Path(path), rng, pool)
    else:
        x = own_voice_mix(room.read(path), rng, pool, [Path(p) for p in noise])
    return pooled(_EMBEDDER.embed(np.round(x).astype("<i2").tobytes()))


def own_voice_renders(
    lines_dir: Path, lines: list[str] | None = None
) -> tuple[list[Path], list[Path]]:
    """(every render of ``lines``, default every line of a set and a rest; the renders that
    may be taught as OTHER)."""
    if lines is None:
        lines = [t for g in own.companion_lines().values() for t in g]
    renders = own.render_lines(lines, lines_dir)
    words = set(tw.WORDS) | {str(i) for i in range(10)}
    taught = []
    for text, files in renders.items():
        said = re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()
        if not (NOT_OTHER & set(said)) and not (len(said) == 1 and said[0] in words):
            taught += files
    return [f for fs in renders.values() for f in fs], taught


def own_voice_work(
    seed: int,
    clips: list[tuple[str, int, bool]],
    voices: list[Path],
    taught: list[Path],
    noise: list[str],
) -> tuple[list[str], list[object], list[int], list[bool]]:
    """(cache keys, work for ``own_features``, labels, real?) of the own-voice copies of
    ``clips`` (path, label, real?) and of the lines ``taught`` alone (OTHER)."""
    keys: list[str] = []
    make: list[object] = []
    ys: list[int] = []
    reals: list[bool] = []
    for path, label, is_real in clips:
        s = zlib.crc32(f"{seed}|own|{path}".encode())
        keys.append(f"own|{s}|{path}")
        make.append(("mix", path, s, [str(v) for v in voices], noise))
        ys.append(label)
        reals.append(is_real)
    for f in taught:
        s = zlib.crc32(f"{seed}|lines|{f.parent.name}/{f.name}".encode())
        keys.append(f"lines|{s}|{f.parent.name}/{f.name}")
        make.append(("lines", str(f), s, [str(v) for v in taught], noise))
        ys.append(tw.CLASSES.index(tw.OTHER))
        reals.append(False)
    return keys, make, ys, reals


_EMBEDDER: SpeechEmbedder | None = None


def copy_features(work: tuple[str, int, list[str], list[str]]) -> npt.NDArray[np.float64]:
    """Pooled embedding of one room copy of a clip (``seed`` decides the copy)."""
    global _EMBEDDER
    path, seed, noise, babble = work
    if _EMBEDDER is None:
        _EMBEDDER = SpeechEmbedder()
    rng = np.random.default_rng(seed)
    x = augment(room.read(path), rng, [Path(p) for p in noise], [Path(p) for p in babble])
    return pooled(_EMBEDDER.embed(np.round(x).astype("<i2").tobytes()))


def cached(
    keys: list[str],
    make: list[object],
    cache: Path,
    fn: object,
    workers: int,
    also: tuple[Path, ...] = (),
) -> npt.NDArray[np.float64]:
    """Rows for ``keys`` from the cache file (and the files ``also``), making the missing ones
    with ``fn(make[i])`` into ``cache``."""
    known: dict[str, npt.NDArray[np.float64]] = {}
    for file in (*also, cache):
        if file.exists():
            with np.load(file) as f:
                known.update(zip(f["keys"].tolist(), f["x"], strict=True))
    todo = [i for i, k in enumerate(keys) if k not in known]
    if todo:
        print(f"making {len(todo)} feature rows ({cache.name})", flush=True)
        with ProcessPoolExecutor(workers) as pool:
            for i, row in zip(
                todo, pool.map(fn, [make[i] for i in todo], chunksize=16), strict=True
            ):  # type: ignore[arg-type]
                known[keys[i]] = row
        tmp = cache.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(list(known)), x=np.stack(list(known.values())))
        tmp.replace(cache)
    return np.stack([known[k] for k in keys]).astype(np.float64)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=("A", "B", "all"), default="all")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--copies", type=int, default=2, help="room copies of each clip")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--plain", action="store_true", help="no copies (the baseline)")
    ap.add_argument("--own-voice", action="store_true", help="add the companion's own voice")
    ap.add_argument("--lines-dir", type=Path, default=Path("/tmp/companion-b/lines"))
    ap.add_argument(
        "--replay-out",
        type=Path,
        default=None,
        help="with --half all: also write the sample of training features that `companion "
        "voice` retrains from (companion/classifier/data/replay.npz)",
    )
    ap.add_argument("--data", help="speech folder (default ../shared/data/speech)")
    ap.add_argument("--tts-dir", type=Path, default=Path("/tmp/companion-tts"))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/companion-room"))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--real-share", type=float, default=0.5)
    args = ap.parse_args(argv)

    data = tw.speech_dir(args.data)
    bench_noise = {str(p) for p in room.noise_cuts(data)}
    real = [r for r in tw.real_clips(data) if str(r[0]) not in bench_noise]
    if args.half != "all":
        real = [r for r in real if r[2] == args.half]
    phrases = sorted({*tw.command_phrases(), *tw.WORDS, *tw.OTHER_WORDS})
    synthetic = [
        (p, tw.synthetic_label(ph)) for ph in phrases for p in tw.synthesise(ph, args.tts_dir)
    ]
    paths = [str(f) for f, _, _ in real] + [str(p) for p, _ in synthetic]
    labels = [tw.CLASSES.index(c) for _, c, _ in real] + [tw.CLASSES.index(c) for _, c in synthetic]
    is_real = [True] * len(real) + [False] * len(synthetic)
    args.cache.mkdir(parents=True, exist_ok=True)
    x = cached(paths, list(paths), args.cache / "plain-features.npz", tw.features, args.workers)
    rows, ys, reals = [x], list(labels), list(is_real)
    copies = Copies()
    if not args.plain:
        noise = [str(p) for p in room.noise_cuts(data, for_training=True)]
        babble = {
            h: [str(p) for p in room.Sounds(data).babble if tw.half(room.speaker_of(p)) == h]
            for h in "AB"
        }
        picked = [i for i in range(len(paths)) if is_real[i] or i % SYNTHETIC_EVERY == 0]
        keys, make = [], []
        for i in picked:
            h = copy_half(args.half, real[i][2] if is_real[i] else None, paths[i])
            for k in range(args.copies):
                seed = zlib.crc32(f"{args.seed}|{h}|{k}|{paths[i]}".encode())
                keys.append(f"{h}|{seed}|{paths[i]}")
                make.append((paths[i], seed, noise, babble[h]))
                ys.append(labels[i])
                reals.append(is_real[i])
        cache = args.cache / f"room-{args.half}-{args.seed}.npz"
        also = tuple(args.cache / f"room-{h}-{args.seed}.npz" for h in "AB" if h != args.half)
        rows.append(cached(keys, make, cache, copy_features, args.workers, also))
        copies.add("room", rows[-1], np.repeat(picked, args.copies))
        if args.own_voice:
            voices, taught = own_voice_renders(args.lines_dir)
            clips = [(paths[i], labels[i], is_real[i]) for i in picked]
            keys, make, own_ys, own_real = own_voice_work(args.seed, clips, voices, taught, noise)
            ys += own_ys
            reals += own_real
            cache = args.cache / f"own-voice-{args.seed}.npz"
            rows.append(cached(keys, make, cache, own_features, args.workers))
            copies.add("own", rows[-1][: len(picked)], np.array(picked))
            copies.add("lines", rows[-1][len(picked) :], np.full(len(taught), -1))
    xs = np.concatenate(rows)
    y = np.array(ys)
    weights = sample_weights(y, np.array(reals), args.real_share)
    model = train(xs, y, weights, len(tw.CLASSES), l2=args.l2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    with open(tmp, "wb") as f:
        save(f, tw.CLASSES, model)
    tmp.replace(args.out)
    print(f"wrote {args.out}: {len(y)} clips ({sum(reals)} real or copies of real)")
    if args.replay_out is not None and args.half == "all":
        write_replay(
            args.replay_out, x, np.array(labels), np.array(is_real), real, len(synthetic), copies
        )
    return 0


def copy_half(half: str, clip_half: str | None, path: str) -> str:
    """Which half's seed and babble a copy of a clip gets: the half trained on, or with
    --half all, the clip's own speaker half (a synthetic clip: one of the two by its name), so
    that --half all makes the same copies as --half A and --half B."""
    if half != "all":
        return half
    return clip_half or "AB"[zlib.crc32(path.encode()) % 2]


@dataclass
class Copies:
    """The copies trained on besides the plain clips: their features, kind ("room", "own",
    "lines") and the plain clip each is a copy of (-1 for the companion's lines alone)."""

    x: list[npt.NDArray[np.float64]] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    source: list[int] = field(default_factory=list)

    def add(self, kind: str, x: npt.NDArray[np.float64], source: npt.NDArray[np.int64]) -> None:
        self.x.append(x)
        self.kind += [kind] * len(x)
        self.source += [int(i) for i in source]


def write_replay(
    out: Path,
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    is_real: npt.NDArray[np.bool_],
    real: list[tuple[Path, str, str]],
    n_synthetic: int,
    copies: Copies | None = None,
) -> None:
    """The replay sample for `companion voice` (read by user_voice.retraining.ReplaySet):
    the plain clips of train_word_classifier.py's sample, and the room and own-voice copies
    of exactly those clips, so a classifier retrained with a user's recordings is trained on
    the same kinds of sound as the shipped one. The companion's lines alone (OTHER, not real)
    are kept at the rate the sample keeps the other synthetic OTHER clips."""
    keep = tw.replay_rows(labels, is_real, per_class=87, other=1000)
    who = [tw.speaker_and_take(f) for f, _, _ in real] + [("tts", -1)] * n_synthetic
    speakers = np.array([s for s, _ in who])
    takes = np.array([t for _, t in who], dtype=np.int64)
    halves = np.array([h for _, _, h in real] + ["tts"] * n_synthetic)
    src = np.flatnonzero(keep)
    kinds = [""] * src.size
    feats = [x[keep]]
    if copies is not None and copies.x:
        cx = np.concatenate(copies.x)
        source = np.array(copies.source)
        kind = np.array(copies.kind)
        picked = (source >= 0) & keep[np.maximum(source, 0)]
        other = tw.CLASSES.index(tw.OTHER)
        synthetic_other = ~is_real & (labels == other)
        rate = (keep & synthetic_other).sum() / max(1, synthetic_other.sum())
        lines = np.flatnonzero(kind == "lines")
        chosen = lines[np.linspace(0, lines.size - 1, round(rate * lines.size)).astype(int)]
        picked[chosen] = True
        feats.append(cx[picked])
        kinds += kind[picked].tolist()
        src = np.concatenate([src, source[picked]])
    lines_row = src < 0
    at = np.maximum(src, 0)
    plain = np.array(kinds) == ""
    copy_labels = labels[at]
    copy_labels[lines_row] = tw.CLASSES.index(tw.OTHER)
    tmp = out.with_suffix(".tmp.npz")
    np.savez_compressed(
        tmp,
        classes=np.array(tw.CLASSES),
        features=np.concatenate(feats).astype(np.float16),
        labels=copy_labels.astype(np.int16),
        real=is_real[at] & plain,
        half=np.where(lines_row, "tts", halves[at]),
        speaker=np.where(lines_row, "companion", speakers[at]),
        take=np.where(lines_row, -1, takes[at]).astype(np.int16),
        copy=np.array(kinds),
    )
    tmp.replace(out)
    n = dict(zip(*np.unique(np.array(kinds), return_counts=True), strict=True))
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): {n.get('', 0)} clips, "
        f"{n.get('room', 0)} room copies, {n.get('own', 0)} own-voice copies, "
        f"{n.get('lines', 0)} of the companion's lines alone, to retrain with a user's voice"
    )


if __name__ == "__main__":
    raise SystemExit(main())
