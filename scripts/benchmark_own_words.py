"""False accepts and hits of the user's own words heard by their recordings (``own_word_judge``).

Usage:  .venv/bin/python scripts/benchmark_own_words.py [--speech DIR]

For each Speech Commands speaker with four or more recordings of one of the words no command
uses (down, left, off, on, up), the first two are taught as the user's own word, as
`companion voice teach` keeps them (``VoiceProfile.add_own``, trimmed); the judge is built
as the listener builds it (``OwnWordJudge``). Hits: the speaker's other recordings of that word
heard as it. False accepts: every other clip of the speakers of the same half (other words,
the command words, digits, anything of ``_unknown_``) and every noise clip heard as it. The
word classifier that the rule asks is trained on the other half's speakers only (from the
shipped sample, ``replay.npz``), so every judged speaker is new to it. Whole clips, no listener.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark_recognition import half, speech_dir  # noqa: E402

from companion.audio import wavfile  # noqa: E402
from companion.classifier import training  # noqa: E402
from companion.classifier.embedding import SpeechEmbedder, pooled  # noqa: E402
from companion.classifier.word_classifier import WordClassifier  # noqa: E402
from companion.user_voice.own_word_judge import OwnWordJudge, OwnWordSettings  # noqa: E402
from companion.user_voice.retraining import ReplaySet, adapted_model  # noqa: E402
from companion.user_voice.voice_profile import VoiceProfile  # noqa: E402
from companion.user_voice.word_recording import RATE, RecordingProblem, trimmed  # noqa: E402

TAUGHT = ("down", "left", "off", "on", "up")
"""Words no command uses ("right" is a yes)."""
NOW = dt.datetime(2026, 12, 5)


def clips(root: Path) -> list[tuple[Path, str, str]]:
    """(file, word, speaker) of every Speech Commands clip; noise has speaker ""."""
    out = []
    for folder in sorted(p for p in (root / "commands").iterdir() if p.is_dir()):
        for f in sorted(folder.glob("*.wav")):
            parts = f.stem.split("_")
            if folder.name == "_silence_":
                out.append((f, "_silence_", ""))
            elif folder.name == "_unknown_":
                out.append((f, parts[0], parts[1]))
            else:
                out.append((f, folder.name, parts[0]))
    return out


def held_out_classifier(replay: ReplaySet, judged: str, folder: Path) -> WordClassifier:
    """The word classifier trained without the speakers of half ``judged``."""
    use = replay.half != judged
    model = adapted_model(replay, [], np.zeros((0, replay.features.shape[1])), use=use)
    buf = io.BytesIO()
    training.save(buf, replay.classes, model)
    path = folder / f"word-classifier-{judged}.npz"
    path.write_bytes(buf.getvalue())
    return WordClassifier(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speech", help="the shared recordings (default ../shared/data/speech)")
    args = ap.parse_args()
    every = clips(speech_dir(args.speech))
    embedder = SpeechEmbedder()
    features = []
    for f, _, _ in every:
        pcm = wavfile.read(f, RATE)
        with contextlib.suppress(RecordingProblem):  # noise is heard as it is
            pcm = trimmed(pcm)
        features.append(pooled(embedder.embed(pcm)))
    x = np.stack(features)
    words = np.array([w for _, w, _ in every])
    speakers = np.array([s for _, _, s in every])
    halves = np.array([half(s) if s else "" for s in speakers])
    replay = ReplaySet.load()
    variants = {
        f"{'same class, ' if same else ''}similarity >= {t}": OwnWordSettings(
            match_similarity=t, same_class=same
        )
        for same in (True, False)
        for t in (0.6, 0.65, 0.7)
    }
    hits = dict.fromkeys(variants, 0)
    false = dict.fromkeys(variants, 0)
    false_words: dict[str, set[str]] = {v: set() for v in variants}
    tried = trials = cases = 0
    with tempfile.TemporaryDirectory() as tmp:
        for judged in ("A", "B"):
            classifier = held_out_classifier(replay, judged, Path(tmp))
            top = classifier.predict(x).argmax(axis=1)
            for word in TAUGHT:
                for speaker in sorted(set(speakers[(words == word) & (halves == judged)])):
                    takes = np.flatnonzero((words == word) & (speakers == speaker))
                    if takes.size < 4:
                        continue
                    cases += 1
                    profile = VoiceProfile(Path(tmp) / f"{judged}-{word}-{speaker}")
                    for i in takes[:2]:
                        profile.add_own(word, wavfile.read(every[i][0], RATE), NOW)
                    probes = takes[2:]
                    negatives = np.flatnonzero(
                        (words != word) & ((halves == judged) | (speakers == ""))
                    )
                    tried += probes.size
                    trials += negatives.size
                    for name, settings in variants.items():
                        judge = OwnWordJudge(classifier, profile.own_recordings(), settings)
                        for i in probes:
                            hits[name] += judge.match(x[i : i + 1], int(top[i])) == word
                        for i in negatives:
                            if judge.match(x[i : i + 1], int(top[i])) == word:
                                false[name] += 1
                                false_words[name].add(str(words[i]))
    print(f"{cases} taught words (speaker, word); {tried} other takes; {trials} other clips")
    print("| rule | hits | false accepts | falsely accepted words |")
    print("|---|---|---|---|")
    for name in variants:
        fa = ", ".join(sorted(false_words[name])) or "none"
        print(
            f"| {name} | {hits[name]}/{tried} ({hits[name] / tried:.0%}) | "
            f"{false[name]}/{trials} | {fa} |"
        )


if __name__ == "__main__":
    main()
