"""How a Piper line is shaped: split into sentences, paced, and started without dead air."""

from __future__ import annotations

import re

import numpy as np

NATURAL_WPM = 170.0
"""Words per minute of a Piper voice at length scale 1 (the joe voice, measured on the
prompts): the routine's rate is turned into a length scale against it."""


def length_scale(rate: int) -> float:
    """Piper's length scale for ``rate`` words per minute (larger is slower)."""
    return float(min(2.5, max(0.4, NATURAL_WPM / max(1, rate))))


def trim_lead(samples: np.ndarray, sample_rate: int, keep_s: float = 0.015) -> np.ndarray:
    """``samples`` without the silence before the first sound (Piper sometimes starts a line
    with a few hundred milliseconds of it), keeping ``keep_s`` seconds before that sound."""
    level = np.abs(samples.astype(np.int32))
    loud = np.flatnonzero(level > max(1, int(level.max()) // 100))
    if not loud.size:
        return samples
    return samples[max(0, int(loud[0]) - int(keep_s * sample_rate)) :]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
MIN_WORDS = 4
"""A sentence shorter than this stays with its neighbour ("3. Palm up." is one line)."""


def sentences(text: str) -> list[str]:
    """``text`` split into sentences of at least ``MIN_WORDS`` words each (a short one is
    joined to the one before, or the first to the one after)."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if parts and len(parts[-1].split()) < MIN_WORDS or parts and len(piece.split()) < MIN_WORDS:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return parts or [text]
