"""PortAudio's stream times on the ``time.monotonic()`` clock.

A callback is told when its block is captured or heard (``inputBufferAdcTime``,
``outputBufferDacTime``) on PortAudio's own clock (the wall clock under ALSA here), and when
PortAudio asked (``currentTime``). Both clocks tick at the same rate, so one offset maps one
onto the other; but the callback reads ``time.monotonic()`` only once it holds Python's lock,
late by however long another thread kept it (milliseconds on a busy machine), never early. So
the smallest offset seen lately is the truest.
"""

from __future__ import annotations

from collections import deque


class StreamClock:
    """Maps one stream's times onto ``time.monotonic()`` (see the module)."""

    def __init__(self, keep: int = 250) -> None:
        self._offsets: deque[float] = deque(maxlen=keep)
        """The last ``keep`` callbacks' offsets (5 s of 20 ms blocks): a step of the wall
        clock is forgotten after them."""

    def monotonic(self, stream_time: float, current: float, now: float) -> float:
        """``stream_time`` on the monotonic clock, told by a callback that read ``now``
        (monotonic) when PortAudio's clock said ``current``."""
        self._offsets.append(now - current)
        return stream_time + min(self._offsets)


class SampleClock:
    """The time of each block of a stream, counted in samples from an anchor.

    Told times jitter by a millisecond or more from block to block (the stream's own timing,
    the lock above); an echo canceller handed a reference that jumps by a few samples every
    block cannot converge. So a block's time is the anchor's plus the samples since, and the
    anchor moves only when the told times have stayed more than ``slip_s`` away from it for
    ``confirm`` blocks in a row (samples lost to an overflow, silence inserted on an underrun).
    """

    def __init__(self, rate: int, slip_s: float = 0.03, confirm: int = 5) -> None:
        self.rate = rate
        self.slip_s = slip_s
        self.confirm = confirm
        self._anchor: float | None = None
        """Time of sample 0 (of the samples counted since the last move)."""
        self._count = 0
        self._away = 0
        self.moves = 0
        """How often the anchor moved (after the first block)."""
        self.worst = 0.0
        """The farthest a told time was from the counted one (s; for the log)."""

    def block(self, told: float, n: int) -> float:
        """The time of the first of ``n`` new samples, told as ``told``; counts them."""
        at = told if self._anchor is None else self._anchor + self._count / self.rate
        self.worst = max(self.worst, abs(told - at))
        if self._anchor is None:
            self._anchor, self._count = told, 0
        elif abs(told - at) > self.slip_s:
            self._away += 1
            if self._away >= self.confirm:
                self._anchor, self._count, self._away, at = told, 0, 0, told
                self.moves += 1
        else:
            self._away = 0
        self._count += n
        return at
