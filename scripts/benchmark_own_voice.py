"""What a few recordings of the user's own voice do for the word classifier (`companion voice`).

Usage:  .venv/bin/python scripts/benchmark_own_voice.py [--write-cross DIR --own N]

Uses exactly what `companion voice` uses: the shipped sample of training features
(companion/classifier/data/replay.npz) and ``retraining.adapted_model``. Each speaker half is
judged by a classifier retrained on the other half's clips only (so every judged speaker is
new to it), once as it is and once with the first recordings of the judged speakers added.
Digits: each FSDD speaker's first 1, 2, 3 or 5 recordings of each digit; the test is their
recordings 5-49. Command words: for each Speech Commands speaker with two or more recordings
of a word, the first one; the test is the rest (all such speakers at once, so this part is a
group adaptation, and there are few of them). Whole clips, classifier alone, no listener.

``--write-cross DIR --own N`` writes word-classifier-A.npz and -B.npz for
``benchmark_recognition.py --classifier cross --cross-dir DIR``: each trained on one half plus
the other half's first N recordings of each digit (the whole listener on the user's digits).
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

from companion.classifier import training  # noqa: E402
from companion.user_voice.retraining import ReplaySet, adapted_model  # noqa: E402
from companion.user_voice.voice_profile import DIGITS  # noqa: E402

Mask = npt.NDArray[np.bool_]


def accuracy(replay: ReplaySet, train: Mask, own: Mask, test: Mask) -> float:
    """Accuracy on ``test`` of the classifier retrained on ``train`` plus ``own`` recordings."""
    words = [replay.classes[i] for i in replay.labels[own]]
    model = adapted_model(replay, words, replay.features[own], use=train)
    guess = training.predict(model, replay.features[test]).argmax(axis=1)
    return float((guess == replay.labels[test]).mean())


def first_recordings(replay: ReplaySet, candidates: Mask) -> tuple[Mask, Mask]:
    """Of speakers with two or more ``candidates`` clips of a word: (their first, the rest)."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for i in np.flatnonzero(candidates):
        groups[(str(replay.speaker[i]), int(replay.labels[i]))].append(i)
    first = np.zeros(replay.labels.size, dtype=bool)
    rest = np.zeros(replay.labels.size, dtype=bool)
    for members in groups.values():
        if len(members) >= 2:
            members.sort(key=lambda i: int(replay.take[i]))
            first[members[0]] = True
            rest[members[1:]] = True
    return first, rest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-cross", type=Path, metavar="DIR")
    ap.add_argument("--own", type=int, default=1, help="recordings of each digit (--write-cross)")
    args = ap.parse_args(argv)
    replay = ReplaySet.load()
    digit = np.isin(replay.labels, [replay.classes.index(d) for d in DIGITS])
    fsdd = replay.real & digit & np.isin(replay.speaker, ["jackson", "nicolas"])
    if args.write_cross:
        args.write_cross.mkdir(parents=True, exist_ok=True)
        for trained in "AB":
            judged = replay.half == ("B" if trained == "A" else "A")
            own = judged & fsdd & (replay.take < args.own)
            words = [replay.classes[i] for i in replay.labels[own]]
            model = adapted_model(replay, words, replay.features[own], use=~judged)
            out = args.write_cross / f"word-classifier-{trained}.npz"
            with open(out, "wb") as f:
                training.save(f, replay.classes, model)
            print(f"wrote {out}: half {trained} + {own.sum()} digit recordings of the other half")
        return 0
    commands = (
        replay.real
        & ~digit
        & ~np.isin(
            replay.labels, [replay.classes.index("other"), replay.classes.index("_silence_")]
        )
    )
    print("| judged half | recordings of each digit added | digits (their recordings 5-49) |")
    print("|---|---|---|")
    rows_cmd = []
    for judged in "AB":
        held = replay.half == judged
        train = ~held
        for n_own in (0, 1, 2, 3, 5):
            own = held & fsdd & (replay.take < n_own)
            test = held & fsdd & (replay.take >= 5)
            acc = accuracy(replay, train, own, test)
            print(f"| {judged} | {n_own} | {acc:.3f} ({test.sum()} clips) |")
        first, rest = first_recordings(replay, held & commands)
        none = np.zeros_like(first)
        before = accuracy(replay, train, none, rest)
        after = accuracy(replay, train, first, rest)
        rows_cmd.append(f"| {judged} | {before:.3f} | {after:.3f} | {rest.sum()} |")
    print("\n| judged half | command words, as shipped | with one of each word added | clips |")
    print("|---|---|---|---|")
    print("\n".join(rows_cmd))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
