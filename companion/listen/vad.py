"""Energy speech detector with an adaptive noise floor: cheap enough to run on every chunk."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

SILENT_DB = -90.0
"""Below this a chunk is digital silence (a stream starting up), not a room to settle on."""
SETTLE_S = 0.8
"""The ``settle_s`` measured on the room benchmark (docs/benchmarks.md, session 10); not the
default: it did not win on every benchmark (docs/recognition.md)."""


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
    ``rise_db_per_s``, so a steady noise stops counting as speech after a while. A detector
    started in a noisy room takes the room for speech for seconds while the floor creeps up
    to it; with ``settle_s`` set, once it has heard that much sound (digital silence not
    counted) the floor is lifted at once to the quietest chunk of that time, if that is
    higher: a steady room is settled on after ``settle_s``, and a word said at once is not
    taken for the room (its quiet end, or the quiet after it, is in the window).
    """

    margin_db: float = 8.0
    """How far above the noise floor speech must be."""
    absolute_db: float = -58.0
    """Nothing quieter than this is speech."""
    rise_db_per_s: float = 4.0
    """How fast the noise floor creeps up to a louder background."""
    initial_floor_db: float = -70.0
    """Noise floor assumed before anything is heard."""
    settle_s: float | None = None
    """Sound heard before the floor settles on its quietest chunk (0: the first chunk; None,
    the default: never, the floor only creeps up from ``initial_floor_db``)."""
    _floor: float = field(init=False, repr=False)
    _settled: bool = field(init=False, repr=False)
    _heard_s: float = field(init=False, repr=False)
    _quietest_db: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reset()

    @property
    def floor_db(self) -> float:
        """The noise floor now."""
        return self._floor

    @floor_db.setter
    def floor_db(self, db: float) -> None:
        """Set the floor (a calibration): it is then settled, not taken from the next chunk."""
        self._floor = db
        self._settled = True

    def reset(self) -> None:
        """Forget the noise floor."""
        self._floor = self.initial_floor_db
        self._settled = self.settle_s is None
        self._heard_s = 0.0
        self._quietest_db = math.inf

    def is_speech(self, pcm16: bytes, chunk_s: float) -> bool:
        """Whether this chunk holds speech; updates the noise floor."""
        db = level_db(pcm16)
        if not self._settled and db > SILENT_DB:
            self._quietest_db = min(self._quietest_db, db)
            self._heard_s += chunk_s
            if self._heard_s >= (self.settle_s or 0.0) - 1e-9:
                self._floor = max(self._floor, self._quietest_db)
                self._settled = True
        speech = db >= self.absolute_db and db >= self._floor + self.margin_db
        if db < self._floor:
            self._floor = db
        else:
            self._floor = min(db, self._floor + self.rise_db_per_s * chunk_s)
        return speech
