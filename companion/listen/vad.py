"""Energy speech detector with an adaptive noise floor: cheap enough to run on every chunk."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def level_db(pcm16: bytes) -> float:
    """RMS level of 16-bit PCM in dB relative to full scale (-100 for digital silence)."""
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    if x.size == 0:
        return -100.0
    rms = math.sqrt(float(np.mean(np.square(x - x.mean()))))
    return 20 * math.log10(rms / 32768) if rms > 0 else -100.0


@dataclass
class EnergyVad:
    """Calls a chunk speech when it is ``margin_db`` above the noise floor and above a floor.

    The floor follows the quietest recent level: it drops at once and rises by
    ``rise_db_per_s``, so a steady noise stops counting as speech after a while.
    """

    margin_db: float = 8.0
    """How far above the noise floor speech must be."""
    absolute_db: float = -58.0
    """Nothing quieter than this is speech."""
    rise_db_per_s: float = 4.0
    """How fast the noise floor creeps up to a louder background."""
    initial_floor_db: float = -70.0
    """Noise floor assumed before anything is heard."""

    def __post_init__(self) -> None:
        self.floor_db = self.initial_floor_db

    def reset(self) -> None:
        """Forget the noise floor."""
        self.floor_db = self.initial_floor_db

    def is_speech(self, pcm16: bytes, chunk_s: float) -> bool:
        """Whether this chunk holds speech; updates the noise floor."""
        db = level_db(pcm16)
        speech = db >= self.absolute_db and db >= self.floor_db + self.margin_db
        if db < self.floor_db:
            self.floor_db = db
        else:
            self.floor_db = min(db, self.floor_db + self.rise_db_per_s * chunk_s)
        return speech
