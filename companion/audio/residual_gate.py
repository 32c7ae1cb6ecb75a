"""What a linear echo canceller leaves of the companion's voice, quietened unless someone else
is speaking over it.

A linear canceller (Speex's adaptive filter) takes ~17-30 dB of the companion's voice out and
leaves a word said over it whole, but what is left still sounds like speech to the word
classifier (it named "stop" in its residual). AEC3's suppressor takes the residual out and the
user's word with it. This gate works on whole 10 ms blocks: it learns how much of the played
sound is left after the canceller (``residual``: a slow average of output over reference
energy, from blocks where the output is not above it), and a block whose output is not clearly
above that (``margin_db``) is quietened by ``cut_db``; a block clearly above it (a voice that
is not the companion's) is passed as it is, with the ``hold_s`` after it, so a word is kept
whole, tail included. Nothing is changed while nothing is played.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.int16]
QUIET = 100.0
"""Reference energy (mean square, 16-bit) below which nothing is being played (-50 dBFS)."""


class ResidualGate:
    """Quietens the canceller's output where it is only the companion's residual."""

    def __init__(
        self,
        rate: int = 16000,
        margin_db: float = 8.0,
        cut_db: float = 20.0,
        hold_s: float = 0.3,
        learn: float = 0.05,
    ) -> None:
        self._margin = 10 ** (margin_db / 10)
        self._cut = 10 ** (-cut_db / 20)
        self._hold_blocks = 0
        self._hold = int(hold_s * rate)
        self._learn = learn
        self.residual = 1.0
        """Output over reference energy when only the companion is heard (1.0: none taken out
        yet; learnt as it plays)."""
        self._holding = 0
        self._recent: deque[float] = deque(maxlen=5)
        """The reference's energy in the last blocks: it is handed a little ahead of its
        echo, so the echo of a word's end is still heard when the reference is quiet."""
        self.passed = 0
        self.gated = 0

    def process(self, cleaned: Samples, far: Samples) -> Samples:
        """``cleaned`` (the canceller's output for one block), gated against ``far`` (what was
        played under it)."""
        self._recent.append(float(np.mean(far.astype(np.float64) ** 2)))
        ref = max(self._recent)
        if ref < QUIET:  # nothing played: nothing to take out
            self._holding = max(0, self._holding - len(cleaned))
            return cleaned
        out = float(np.mean(cleaned.astype(np.float64) ** 2))
        ratio = out / ref
        if ratio > self.residual * self._margin:  # someone else is speaking
            self._holding = self._hold
            self.passed += 1
            return cleaned
        # only the companion (or too little to tell): learn its residual, quieten it
        self.residual += self._learn * (min(ratio, self.residual * 4) - self.residual)
        self.residual = max(self.residual, 1e-6)
        if self._holding > 0:
            self._holding -= len(cleaned)
            self.passed += 1
            return cleaned
        self.gated += 1
        return np.rint(cleaned * self._cut).astype(np.int16)
