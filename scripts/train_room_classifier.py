"""Train the word classifier for a real room: the training set of train_word_classifier.py
plus copies of its clips as a kitchen would bring them.

Usage:  .venv/bin/python scripts/train_room_classifier.py [--half A|B|all] [--out FILE]
                                                          [--copies N] [--seed N] [--plain]

Each copy of a clip (every real one of the speakers trained on, and every 16th synthetic one)
gets, drawn from ``--seed``: a gain from -25 to +6 dB; half the time a tempo from 0.6 to 1.2
(pitch kept, sox); 40% of the time a synthetic room (0.2-0.8 s reverberation); then household
noise at 0-20 dB (cuts of commands/_silence_ at odd places in the sorted folder: the room
benchmark uses the even ones) half the time, or babble of three streams of the training
speakers' non-command words at 5-20 dB a third of the time. The even-place noise cuts are left
out of training altogether, so scripts/benchmark_room.py never judges sound it was trained on;
with --half A or B the held-out half's speakers are left out as in train_word_classifier.py.
--plain: the same set without copies (the baseline the copies are measured against).
Features are cached per file in --cache (about 0.08 s of one core per clip to make).
"""

from __future__ import annotations

import argparse
import os
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

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
    keys: list[str], make: list[object], cache: Path, fn: object, workers: int
) -> npt.NDArray[np.float64]:
    """Rows for ``keys`` from the cache file, making the missing ones with ``fn(make[i])``."""
    known: dict[str, npt.NDArray[np.float64]] = {}
    if cache.exists():
        with np.load(cache) as f:
            known = dict(zip(f["keys"].tolist(), f["x"], strict=True))
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
    if not args.plain:
        noise = [str(p) for p in room.noise_cuts(data, for_training=True)]
        speakers = {room.speaker_of(Path(p)) for p in paths[: len(real)]}
        babble = [str(p) for p in room.Sounds(data).babble if room.speaker_of(p) in speakers]
        picked = [i for i in range(len(paths)) if is_real[i] or i % SYNTHETIC_EVERY == 0]
        keys, make = [], []
        for i in picked:
            for k in range(args.copies):
                seed = zlib.crc32(f"{args.seed}|{args.half}|{k}|{paths[i]}".encode())
                keys.append(f"{args.half}|{seed}|{paths[i]}")
                make.append((paths[i], seed, noise, babble))
                ys.append(labels[i])
                reals.append(is_real[i])
        cache = args.cache / f"room-{args.half}-{args.seed}.npz"
        rows.append(cached(keys, make, cache, copy_features, args.workers))
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
