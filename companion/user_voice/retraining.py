"""Retraining the word classifier with the user's recordings.

The recordings are added to a shipped sample of the classifier's training features
(``data/replay.npz``, from scripts/train_room_classifier.py, read as a ``ReplaySet``), so the
words the user did not record stay as they were; each word's own recordings weigh as much as
all its other clips (``adapted_model``). The sample holds the room and own-voice copies the
shipped classifier was trained with (noise, babble, a weak or slow voice, reverberation, the
companion's lines under the word, and those lines alone), so a retrained classifier keeps what
they taught it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from companion.audio import wavfile
from companion.classifier import training
from companion.classifier.embedding import SpeechEmbedder, pooled
from companion.classifier.word_classifier import WEIGHTS
from companion.errors import ModelError
from companion.user_voice.word_recording import RATE

REPLAY = WEIGHTS.parent / "replay.npz"


@dataclass(frozen=True)
class ReplaySet:
    """A sample of the classifier's training features, with who said each clip."""

    classes: tuple[str, ...]
    features: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64]
    real: npt.NDArray[np.bool_]
    half: npt.NDArray[np.str_]
    """``A`` or ``B`` (the benchmark's speaker halves) for real speech, ``tts`` otherwise."""
    speaker: npt.NDArray[np.str_]
    take: npt.NDArray[np.int64]
    """Which recording of that speaker (-1 when not known)."""
    copy: npt.NDArray[np.str_] | None = None
    """What each row is: ``""`` the clip as recorded or synthesised, ``room`` or ``own`` a
    room or own-voice copy of such a clip (with its half, speaker and take; ``real`` False),
    ``lines`` the companion's lines alone (OTHER). None: plain clips only (an older file)."""

    @property
    def real_like(self) -> npt.NDArray[np.bool_]:
        """Rows weighed as real speech in training: real recordings and their copies."""
        if self.copy is None:
            return self.real
        copied = np.isin(self.copy, ["room", "own"]) & (self.half != "tts")
        return self.real | copied

    @classmethod
    def load(cls, path: Path = REPLAY) -> ReplaySet:
        try:
            with np.load(path, allow_pickle=False) as d:
                out = cls(
                    classes=tuple(str(c) for c in d["classes"]),
                    features=d["features"].astype(np.float64),
                    labels=d["labels"].astype(np.int64),
                    real=d["real"].astype(bool),
                    half=d["half"].astype(str),
                    speaker=d["speaker"].astype(str),
                    take=d["take"].astype(np.int64),
                    copy=d["copy"].astype(str) if "copy" in d.files else None,
                )
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelError(
                f"The classifier's training sample {path} cannot be read: {exc}"
            ) from exc
        n = out.labels.size
        arrays = (out.features, out.real, out.half, out.speaker, out.take)
        if any(a.shape[0] != n for a in (*arrays, *([] if out.copy is None else [out.copy]))) or (
            n and int(out.labels.max()) >= len(out.classes)
        ):
            raise ModelError(f"The classifier's training sample {path} is damaged.")
        return out


def embed(files: Sequence[Path]) -> npt.NDArray[np.float64]:
    """Pooled speech embeddings of WAV files (n, dims)."""
    embedder = SpeechEmbedder()
    return np.stack([pooled(embedder.embed(wavfile.read(f, RATE))) for f in files])


def adapted_model(
    replay: ReplaySet,
    words: Sequence[str],
    features: npt.NDArray[np.float64],
    use: npt.NDArray[np.bool_] | None = None,
) -> training.Model:
    """The classifier trained on the replay set (rows ``use``, default all) plus the user's
    recordings (``words[i]`` said in ``features[i]``), which weigh as much as all other clips
    of their word together."""
    rows = np.ones(replay.labels.size, dtype=bool) if use is None else use
    labels = np.concatenate(
        [replay.labels[rows], np.array([replay.classes.index(w) for w in words], dtype=np.int64)]
    )
    own_x = features.reshape(len(words), replay.features.shape[1])
    x = np.concatenate([replay.features[rows], own_x])
    real = np.concatenate([replay.real_like[rows], np.ones(len(words), dtype=bool)])
    own = np.arange(labels.size) >= int(rows.sum())
    base = np.zeros(labels.size)
    base[~own] = training.sample_weights(labels[~own], real[~own])
    weights = training.own_voice_weights(base, labels, own) if own.any() else base
    return training.train(x, labels, weights, len(replay.classes))
