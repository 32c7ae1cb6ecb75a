"""Train the word classifier (companion/classifier/data/word-classifier.npz) on real recordings
and synthetic speech.

Usage:  .venv/bin/python scripts/train_word_classifier.py [--half A|B|all] [--out FILE]
                                                           [--data DIR] [--tts-dir DIR]

Real speech: every clip of ../shared/data/speech (Speech Commands words and FSDD digits), or
only the speakers of one half (--half A trains on half A, so the benchmark's half B is
speakers the classifier has never heard). With --half all, --replay-out FILE also writes a
sample of its training features (plain clips only) in the form of
companion/classifier/data/replay.npz; the shipped sample and classifier come from
scripts/train_room_classifier.py, whose sample also holds the room and own-voice copies (so
this script no longer writes the shipped sample unless told to). Synthetic speech: every
command phrase and some other words spoken by espeak-ng and flite in many voices, accents and
speeds (apt packages espeak-ng and flite; cached in --tts-dir). Prints cross-checked accuracy
on the held-out half.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark_recognition import half, speech_dir  # noqa: E402

from companion.audio import wavfile  # noqa: E402
from companion.classifier.embedding import FEATURES, SpeechEmbedder, pooled  # noqa: E402
from companion.classifier.training import sample_weights, save, train  # noqa: E402
from companion.classifier.word_classifier import OTHER, SILENCE, WEIGHTS  # noqa: E402
from companion.user_voice.retraining import REPLAY  # noqa: E402

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", *DIGITS)
"""Classes with real recordings (Speech Commands folders and digit words, FSDD digits)."""
CLASSES = (*WORDS, OTHER, SILENCE)
SAME_AS = {
    "yeah": "yes",
    "yep": "yes",
    "nope": "no",
    "no thanks": "no",
    "stop stop": "stop",
    "nought": "zero",
    "won": "one",
    "to": "two",
    "too": "two",
    "for": "four",
    "ate": "eight",
}
"""Synthetic phrases taught as one of the word classes (same command or same sound)."""
OTHER_WORDS = (
    "hello", "thank you", "good morning", "what time is it", "the weather is nice today",
    "dog", "cat", "house", "water", "bottle", "coin", "pen", "table", "hand", "finger", "bed",
    "bird", "happy", "tree", "wow", "marvin", "sheila", "visual", "follow", "forward",
    "backward", "learn", "dig", "big", "bag", "so", "yellow", "know", "show", "top", "shop",
    "drop", "test", "yet", "chess", "less", "door", "oh", "hmm", "uh huh", "and then",
    "she said", "news at ten", "now", "nose", "toe", "row", "low", "go ahead", "got", "god",
    "stuff", "step", "cop", "stock", "spot", "cross", "yesterday", "noon", "note", "phone",
    "one more", "twenty", "eleven", "thirty", "seventy", "fifty", "eighty", "the", "it",
    "what", "where", "when", "why",
)  # fmt: skip
"""Not commands: words that sound near a command word, and everyday words and phrases."""
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbcwmd")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m7", "f1", "f2", "f3", "f4", "grandpa", "klatt")
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")


def synth_commands(phrase: str) -> Iterator[tuple[str, list[str]]]:
    """(name, command line without text/output) for each synthetic voice."""
    for i, (accent, variant) in enumerate(itertools.product(ACCENTS, VARIANTS)):
        speed, pitch = (110, 140, 170)[i % 3], (30, 50, 70)[(i // 3) % 3]
        voice = ["espeak-ng", "-v", f"{accent}+{variant}", "-s", str(speed), "-p", str(pitch)]
        yield f"es-{accent}-{variant}-{speed}-{pitch}", voice
    for voice_name, stretch in itertools.product(FLITE_VOICES, ("0.9", "1.15", "1.4")):
        flite = ["flite", "-voice", voice_name, "--setf", f"duration_stretch={stretch}"]
        yield f"fl-{voice_name}-{stretch}", flite


def synthesise(phrase: str, tts_dir: Path) -> list[Path]:
    """WAV files of ``phrase`` in every voice (made once, then cached)."""
    folder = tts_dir / phrase.replace(" ", "_").replace("'", "")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, cmd in synth_commands(phrase):
        path = folder / f"{name}.wav"
        if not path.exists():
            tmp = path.with_suffix(".tmp.wav")
            if cmd[0] == "flite":
                subprocess.run(
                    [*cmd, "-t", phrase, "-o", str(tmp)], check=True, capture_output=True
                )
            else:
                subprocess.run([*cmd, "-w", str(tmp), phrase], check=True, capture_output=True)
            tmp.replace(path)
        out.append(path)
    return out


def command_phrases() -> list[str]:
    """Every phrase and number word of prompts/en/commands.toml."""
    table = tomllib.loads((ROOT / "prompts" / "en" / "commands.toml").read_text("utf-8"))
    phrases = {p for group in ("phrases", "numbers") for ps in table[group].values() for p in ps}
    return sorted(phrases)


def synthetic_label(phrase: str) -> str:
    if phrase in WORDS:
        return phrase
    return SAME_AS.get(phrase, OTHER)


def real_clips(data: Path) -> Iterator[tuple[Path, str, str]]:
    """(file, class, speaker half) of every real recording."""
    cmds = data / "commands"
    for folder in sorted(p for p in cmds.iterdir() if p.is_dir()):
        for f in sorted(folder.glob("*.wav")):
            parts = f.stem.split("_")
            if folder.name == "_silence_":
                yield f, SILENCE, half(f.stem)
            elif folder.name == "_unknown_":
                yield f, parts[0] if parts[0] in WORDS else OTHER, half(parts[1])
            else:
                yield f, folder.name, half(parts[0])
    for f in sorted((data / "digits").glob("*.wav")):
        digit, speaker = f.stem.split("_")[:2]
        yield f, DIGITS[int(digit)], half(speaker)


_EMBEDDER: SpeechEmbedder | None = None


def features(path: str) -> npt.NDArray[np.float64]:
    global _EMBEDDER
    if _EMBEDDER is None:
        _EMBEDDER = SpeechEmbedder()
    return pooled(_EMBEDDER.embed(wavfile.read(path, 16000)))


def feature_matrix(paths: list[Path], cache: Path) -> npt.NDArray[np.float64]:
    """Pooled embeddings of ``paths``, cached by file name, size and time."""
    key = hashlib.sha256(
        json.dumps(
            [FEATURES, *((str(p), p.stat().st_size, p.stat().st_mtime) for p in paths)]
        ).encode()
    ).hexdigest()[:16]
    file = cache / f"features-{key}.npy"
    if file.exists():
        return np.asarray(np.load(file), dtype=np.float64)
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        rows = list(pool.map(features, [str(p) for p in paths], chunksize=32))
    matrix = np.stack(rows)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(file, matrix)
    return matrix


def speaker_and_take(file: Path) -> tuple[str, int]:
    """Who spoke a real clip and which of their recordings it is (-1: not known)."""
    parts = file.stem.split("_")
    if file.parent.name == "digits":  # DIGIT_SPEAKER_INDEX
        return parts[1], int(parts[2])
    if file.parent.name == "_unknown_":  # WORD_SPEAKER_nohash_N
        return parts[1], int(parts[-1])
    if "nohash" in parts:  # SPEAKER_nohash_N
        return parts[0], int(parts[-1])
    return file.stem, -1


def replay_rows(
    labels: npt.NDArray[np.int64], real: npt.NDArray[np.bool_], per_class: int, other: int
) -> npt.NDArray[np.bool_]:
    """Every real clip and, of each class, ``per_class`` synthetic ones spread over its voices
    and phrases (``other`` for the class of other words): a sample of the training set small
    enough to ship. Measured on the held-out halves: as good as the whole set."""
    keep = real.copy()
    for c in np.unique(labels):
        idx = np.flatnonzero(~real & (labels == c))
        k = other if CLASSES[c] == OTHER else per_class
        if idx.size > k:
            idx = idx[np.linspace(0, idx.size - 1, k).astype(int)]
        keep[idx] = True
    return keep


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", choices=("A", "B", "all"), default="all")
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    ap.add_argument("--data", help="speech folder (default ../shared/data/speech)")
    ap.add_argument("--tts-dir", type=Path, default=Path("/tmp/companion-tts"))
    ap.add_argument(
        "--l2", type=float, default=0.01, help="weight decay (chosen on held-out halves)"
    )
    ap.add_argument("--real-share", type=float, default=0.5, help="weight of real speech")
    ap.add_argument(
        "--replay-out",
        type=Path,
        default=None,
        help="with --half all: also write a sample of the training features (plain clips) "
        f"here, in the form of {REPLAY.name} (the shipped one: train_room_classifier.py)",
    )
    args = ap.parse_args(argv)

    data = speech_dir(args.data)
    if not (data / "commands").is_dir() or not (data / "digits").is_dir():
        print(f"no speech recordings (commands/, digits/) under {data}", file=sys.stderr)
        return 1
    missing = [tool for tool in ("espeak-ng", "flite") if shutil.which(tool) is None]
    if missing:
        print(f"needs {' and '.join(missing)}: apt-get install espeak-ng flite", file=sys.stderr)
        return 1
    real = list(real_clips(data))
    phrases = sorted({*command_phrases(), *WORDS, *OTHER_WORDS})
    synthetic = [(p, synthetic_label(ph)) for ph in phrases for p in synthesise(ph, args.tts_dir)]
    paths = [f for f, _, _ in real] + [p for p, _ in synthetic]
    x = feature_matrix(paths, args.tts_dir / "cache")
    labels = np.array(
        [CLASSES.index(c) for _, c, _ in real] + [CLASSES.index(c) for _, c in synthetic]
    )
    is_real = np.arange(len(paths)) < len(real)
    halves = np.array([h for _, _, h in real] + ["tts"] * len(synthetic))
    held_out = np.zeros(len(paths), dtype=bool)  # --half all: nothing held out
    if args.half != "all":
        held_out = halves == ("B" if args.half == "A" else "A")
    use = ~held_out
    weights = sample_weights(labels[use], is_real[use], args.real_share)
    model = train(x[use], labels[use], weights, len(CLASSES), l2=args.l2)
    if held_out.any():
        z = (x[held_out] - model["mean"]) / model["scale"]
        guess = (z @ model["weights"] + model["bias"]).argmax(axis=1)
        print(f"held-out half: {(guess == labels[held_out]).mean():.3f} of {held_out.sum()} clips")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp.npz")
    with open(tmp, "wb") as f:
        save(f, CLASSES, model)
    tmp.replace(args.out)
    n_real = (use & is_real).sum()
    print(f"wrote {args.out}: {use.sum()} clips ({n_real} real), {len(CLASSES)} classes")
    if args.replay_out is not None and args.half == "all":
        keep = replay_rows(labels, is_real, per_class=87, other=1000)
        who = [speaker_and_take(f) for f, _, _ in real] + [("tts", -1)] * len(synthetic)
        tmp = args.replay_out.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            classes=np.array(CLASSES),
            features=x[keep].astype(np.float16),
            labels=labels[keep].astype(np.int16),
            real=is_real[keep],
            half=halves[keep],
            speaker=np.array([s for s, _ in who])[keep],
            take=np.array([t for _, t in who], dtype=np.int16)[keep],
        )
        tmp.replace(args.replay_out)
        print(f"wrote {args.replay_out}: {keep.sum()} clips to retrain with a user's voice")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
