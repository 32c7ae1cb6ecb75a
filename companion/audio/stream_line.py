"""One line queued on the in-process output stream (``output_stream.OutputStream``): waited
for with a time bound, cut off at once, and what went wrong."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)


class StreamLine:
    """One line queued on an ``OutputStream``: wait for it, or cut it off."""

    def __init__(
        self,
        samples: npt.NDArray[np.float32],
        rate: int,
        reference: npt.NDArray[np.int16],
        label: str = "",
    ) -> None:
        self.samples = samples
        self.label = label
        """The line's text (the tap names its sound so; "": not told)."""
        self.rate = rate
        self.reference = reference
        """The line at the tap's rate (what the echo canceller is handed)."""
        self.pos = 0
        self.queued = self.started = time.monotonic()
        """When it was queued, then (from the callback) when its first sample is heard."""
        self.ends = 0.0
        """When its last sample is heard (set when it has all been written)."""
        self.killed = False
        self.problem: str | None = None
        self.done = threading.Event()
        self._cut = threading.Event()
        self.pid = 0
        """No process: for the speaker's log line."""
        self.on_kill: Callable[[StreamLine], None] | None = None
        """Told once when the line is killed (the stream drops what it wrote ahead of it)."""

    @property
    def seconds(self) -> float:
        """How long the line plays."""
        return len(self.samples) / self.rate

    def kill(self) -> None:
        """Cut the sound off now (the stream drops the rest at its next block)."""
        first = not self.killed
        self.killed = True
        self._cut.set()
        self.done.set()
        if first and self.on_kill is not None:
            self.on_kill(self)

    def wait(self, timeout: float, expected: float = 0.0) -> str | None:
        """Wait until the line has been heard (at most ``timeout`` s); what went wrong, or
        None. A line the stream did not finish in time is dropped and reported."""
        del expected  # the stream knows how much it played
        if not self.done.wait(timeout):
            self.killed = True
            return f"the audio output stopped playing (nothing for {timeout:.0f} s)"
        if self.killed or self.problem:
            return None if self.killed else self.problem
        log.debug("line heard %.3f s after it was queued", self.started - self.queued)
        late = self.ends - time.monotonic()  # written, not yet heard: the output's latency
        if late > 0:  # a beat line's kill ends the wait at once
            self._cut.wait(min(late, 1.0))
        return None
