"""What a few recordings of the user's own voice would do for the word classifier.

Usage:  .venv/bin/python scripts/benchmark_own_voice.py [--data DIR] [--tts-dir DIR]

An experiment for a feature not built yet (a user records each command word once or a few
times, and the classifier is adapted to their voice). Each speaker half is judged by a
classifier trained on the other half (as ``benchmark_recognition.py --classifier cross``),
once as it is and once with the first recordings of the judged speakers added, weighing as
much as all other real speech of their word; it is then judged on their other recordings.
Digits: each FSDD speaker's first 1, 3 or 5 recordings of each digit; the test is their
recordings 5-49. Command words: for each Speech Commands speaker with two or more recordings
of a word, the first one; the test is the rest (all such speakers at once, so this part is a
group adaptation, and there are few of them). Whole clips, classifier alone, no listener.
Needs what scripts/train_word_classifier.py needs (espeak-ng, flite; synthetic speech cached).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import train_word_classifier as tw  # noqa: E402

from companion.listen.word_classifier import softmax  # noqa: E402


def accuracy(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    train: npt.NDArray[np.bool_],
    test: npt.NDArray[np.bool_],
) -> float:
    model = tw.train(x[train], labels[train], weights[train] / weights[train].sum())
    z = (x[test] - model["mean"]) / model["scale"]
    guess = softmax(z @ model["weights"] + model["bias"]).argmax(axis=1)
    return float((guess == labels[test]).mean())


def own_voice_weights(
    base: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    train: npt.NDArray[np.bool_],
    own: npt.NDArray[np.bool_],
) -> npt.NDArray[np.float64]:
    """``base`` weights, with the user's recordings of each word weighing as much as all the
    other training clips of that word together."""
    w = base.copy()
    for c in np.unique(labels[own]):
        others = train & ~own & (labels == c)
        mine = own & (labels == c)
        w[mine] = w[others].sum() / mine.sum()
    return w


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", help="speech folder (default ../shared/data/speech)")
    ap.add_argument("--tts-dir", type=Path, default=Path("/tmp/companion-tts"))
    args = ap.parse_args(argv)
    data = tw.speech_dir(args.data)
    if not (data / "commands").is_dir() or not (data / "digits").is_dir():
        print(f"no speech recordings (commands/, digits/) under {data}", file=sys.stderr)
        return 1
    real = list(tw.real_clips(data))
    phrases = sorted({*tw.command_phrases(), *tw.WORDS, *tw.OTHER_WORDS})
    synthetic = [
        (p, tw.synthetic_label(ph)) for ph in phrases for p in tw.synthesise(ph, args.tts_dir)
    ]
    paths = [f for f, _, _ in real] + [p for p, _ in synthetic]
    x = tw.feature_matrix(paths, args.tts_dir / "cache")
    labels = np.array(
        [tw.CLASSES.index(c) for _, c, _ in real] + [tw.CLASSES.index(c) for _, c in synthetic]
    )
    is_real = np.arange(len(paths)) < len(real)
    halves = np.array([h for _, _, h in real] + ["tts"] * len(synthetic))
    n = len(paths)
    # FSDD: DIGIT_SPEAKER_INDEX; Speech Commands word folders: SPEAKER_nohash_N
    fsdd = np.zeros(n, dtype=bool)
    take = np.full(n, -1)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (f, _c, _h) in enumerate(real):
        if f.parent.name == "digits":
            fsdd[i], take[i] = True, int(f.stem.split("_")[2])
        elif f.parent.name in tw.WORDS:
            groups[(f.stem.split("_")[0], f.parent.name)].append(i)
    first_cmd = np.zeros(n, dtype=bool)
    rest_cmd = np.zeros(n, dtype=bool)
    for members in groups.values():
        if len(members) >= 2:
            first_cmd[members[0]] = True
            rest_cmd[members[1:]] = True
    print("| judged half | recordings of their own voice added | digits (their recordings 5-49) |")
    print("|---|---|---|")
    rows_cmd = []
    for judged in "AB":
        held = halves == judged
        train = ~held
        base = np.ones(n)
        base[train] = tw.sample_weights(labels[train], is_real[train])
        for n_own in (0, 1, 3, 5):
            own = held & fsdd & (take < n_own)
            w = own_voice_weights(base, labels, train | own, own)
            test_digits = held & fsdd & (take >= 5)
            acc = accuracy(x, labels, w, train | own, test_digits)
            print(f"| {judged} | {n_own} per digit | {acc:.3f} ({test_digits.sum()} clips) |")
        test = held & rest_cmd
        before = accuracy(x, labels, base, train, test)
        own = held & first_cmd
        after = accuracy(
            x, labels, own_voice_weights(base, labels, train | own, own), train | own, test
        )
        rows_cmd.append(f"| {judged} | {before:.3f} | {after:.3f} | {test.sum()} |")
    print("\n| judged half | command words, as shipped | with one of each word added | clips |")
    print("|---|---|---|---|")
    print("\n".join(rows_cmd))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
