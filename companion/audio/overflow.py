"""Input overflows of one microphone stream (audio lost because it was not read in time):
logged as a warning once, then at most once a minute with how many there were."""

from __future__ import annotations

WARN_EVERY_S = 60.0
"""After the first warning of a stream, at most one more per this many seconds."""


class OverflowWarnings:
    """Counts one stream's overflows and says when one is worth a warning (time passed in)."""

    def __init__(self, every_s: float = WARN_EVERY_S) -> None:
        self.every_s = every_s
        self.total = 0
        """Overflows of the stream so far."""
        self._unwarned = 0
        self._warned_at: float | None = None

    def note(self, now: float) -> int | None:
        """One overflow at ``now`` (monotonic seconds). Returns how many overflows to warn
        about now (those since the last warning, this one included), or None: log it at debug
        only."""
        self.total += 1
        self._unwarned += 1
        if self._warned_at is not None and now - self._warned_at < self.every_s:
            return None
        count, self._unwarned, self._warned_at = self._unwarned, 0, now
        return count
