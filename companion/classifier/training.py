"""Training the word classifier: weighted softmax regression on pooled speech embeddings.

Pure numpy, no audio. Used by scripts/train_word_classifier.py (the shipped classifier) and by
``voice_profile`` (the same classifier retrained with a user's own recordings)."""

from __future__ import annotations

from typing import IO

import numpy as np
import numpy.typing as npt

from companion.classifier.word_classifier import softmax

Model = dict[str, npt.NDArray[np.float64]]
"""``mean``, ``scale`` (feature standardisation), ``weights`` (features x classes), ``bias``."""


def sample_weights(
    labels: npt.NDArray[np.int64], real: npt.NDArray[np.bool_], real_share: float = 0.5
) -> npt.NDArray[np.float64]:
    """Every class weighs the same; within a class, real speech weighs ``real_share``."""
    w = np.zeros(labels.size)
    for c in np.unique(labels):
        for kind in (True, False):
            sel = (labels == c) & (real == kind)
            if sel.any():
                both = ((labels == c) & (real != kind)).any()
                share = real_share if kind else 1.0 - real_share
                w[sel] = (share if both else 1.0) / sel.sum()
    return w / w.sum()


def own_voice_weights(
    weights: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], own: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    """``weights`` with the user's recordings (``own``) of each word weighing as much as all
    the other clips of that word together (measured: scripts/benchmark_own_voice.py)."""
    w = weights.copy()
    for c in np.unique(labels[own]):
        mine = own & (labels == c)
        others = ~own & (labels == c)
        w[mine] = (w[others].sum() if others.any() else 1.0) / mine.sum()
    return w / w.sum()


def train(
    x: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    n_classes: int,
    l2: float = 1e-2,
    steps: int = 2000,
    rate: float = 0.5,
) -> Model:
    """Weighted softmax regression by full-batch gradient descent (``weights`` sum to 1)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    w = np.zeros((z.shape[1], n_classes))
    b = np.zeros(n_classes)
    target = np.eye(n_classes)[labels]
    for _ in range(steps):
        grad = (softmax(z @ w + b) - target) * weights[:, None]
        w -= rate * (z.T @ grad + l2 * w)
        b -= rate * grad.sum(axis=0)
    return {"mean": mean, "scale": scale, "weights": w, "bias": b}


def predict(model: Model, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Class probabilities (n, classes) for features ``x`` (n, dims)."""
    return softmax(((x - model["mean"]) / model["scale"]) @ model["weights"] + model["bias"])


def save(file: IO[bytes], classes: tuple[str, ...], model: Model, **extra: npt.ArrayLike) -> None:
    """Write ``model`` in the format ``WordClassifier`` reads (``extra``: more arrays)."""
    arrays: dict[str, npt.ArrayLike] = {"classes": np.array(classes), **model, **extra}
    np.savez(file, **arrays)  # type: ignore[arg-type]
