"""Which word a short utterance is: a small classifier on the speech embedding.

Its classes are words with real recordings to learn from (yes, no, go, stop, the digits and a
few others), ``other`` (other words and phrases) and ``_silence_`` (noise). The listener uses it
as a second opinion beside the recogniser (``combine_opinions``). Trained by
scripts/train_word_classifier.py; the weights are a small .npz file."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from companion.classifier.combine_opinions import OTHER, SILENCE
from companion.classifier.embedding import SpeechEmbedder, pooled
from companion.errors import ModelError

WEIGHTS = Path(__file__).resolve().parent / "data" / "word-classifier.npz"
__all__ = ["OTHER", "SILENCE", "WEIGHTS", "WordClassifier", "WordJudge", "softmax"]


class WordJudge(Protocol):
    """Anything that gives word probabilities for an utterance (a fake in unit tests)."""

    def probabilities(self, pcm16: bytes) -> Mapping[str, float]:
        """Probability of each class for 16 kHz mono 16-bit audio; they sum to 1."""


class WordClassifier:
    """Softmax regression on the pooled speech embedding."""

    def __init__(self, weights: Path = WEIGHTS, embedder: SpeechEmbedder | None = None) -> None:
        try:
            with np.load(weights, allow_pickle=False) as data:
                self.classes = tuple(str(c) for c in data["classes"])
                self._mean = data["mean"].astype(np.float64)
                self._scale = data["scale"].astype(np.float64)
                self._w = data["weights"].astype(np.float64)
                self._b = data["bias"].astype(np.float64)
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelError(f"The word classifier {weights} cannot be read: {exc}") from exc
        n = self._w.shape[0] if self._w.ndim == 2 else -1
        if (
            n != self._mean.size
            or n != self._scale.size
            or self._w.shape[1] != len(self.classes)
            or self._b.size != len(self.classes)
        ):
            raise ModelError(f"The word classifier {weights} is damaged (shapes do not match).")
        self.embedder = embedder or SpeechEmbedder()

    def probabilities(self, pcm16: bytes) -> dict[str, float]:
        """Probability of each class for 16 kHz mono 16-bit audio."""
        p = self.predict(pooled(self.embedder.embed(pcm16))[None, :])[0]
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}

    def standardise(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Pooled features (n, 192) as the classifier sees them: centred and scaled."""
        out: npt.NDArray[np.float64] = (features - self._mean) / self._scale
        return out

    def predict(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Class probabilities (n, classes) for pooled features (n, 192)."""
        return softmax(self.standardise(features) @ self._w + self._b)


def softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Row-wise softmax."""
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float64] = e / e.sum(axis=1, keepdims=True)
    return out
