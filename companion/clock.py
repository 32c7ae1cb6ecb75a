"""Clocks for the loop: real time, optionally faster (``--time-scale``) or on another day."""

from __future__ import annotations

import datetime as dt
import time


class ScaledClock:
    """Session time that starts at ``start`` and runs ``scale`` times faster than real time."""

    def __init__(self, start: dt.datetime, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.start = start
        self.scale = scale
        self._m0 = time.monotonic()

    def now(self) -> dt.datetime:
        """The current session time."""
        return self.start + dt.timedelta(seconds=(time.monotonic() - self._m0) * self.scale)

    def real_seconds_until(self, when: dt.datetime) -> float:
        """Real seconds to wait until session time ``when`` (0 if past)."""
        return max(0.0, (when - self.now()).total_seconds() / self.scale)


def local_now() -> dt.datetime:
    """The wall-clock time, aware, in the computer's zone (for the command line only)."""
    return dt.datetime.now().astimezone()


def start_of_session(day: dt.date | None) -> dt.datetime:
    """Now, or now's time of day on ``day`` (for back-filling a session on another date)."""
    now = local_now()
    if day is None or day == now.date():
        return now
    naive = dt.datetime.combine(day, now.time().replace(tzinfo=None))
    return naive.astimezone()
