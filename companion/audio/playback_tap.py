"""What the companion is playing, on the monotonic clock: the echo canceller's reference.

Everything the companion says (Piper or eSpeak, beat lines and cached lines alike) is handed to
a ``PlaybackTap`` with the ``time.monotonic()`` at which it is heard: block by block, with
sample-true times, by the in-process output stream (``output_stream``; blocks of one line that
follow each other are joined), or line by line with its player's start when a player process
plays it. Each stretch carries the line it is (its text, ``label``): ``labels`` names the lines
heard between two times, so the listener knows what it was saying there. A line cut short is
cut here too. The microphone side asks for the reference under each of its blocks
(``reference``): the samples that were being played then, silence where nothing was.
Thread safe: the output's thread writes while the voice worker reads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from companion.audio.resample import Resampler

RATE = 16000
"""The tap's rate: the recognisers' (and so the microphone blocks')."""
KEEP_S = 30.0
"""Lines that ended longer ago than this are forgotten."""
JOIN_S = 0.001
"""A block that starts this close to where the last one ended continues it (an in-process
stream hands its sound block by block)."""


@dataclass
class _Played:
    start: float
    """time.monotonic() of the first sample."""
    samples: npt.NDArray[np.float32]
    """At ``RATE``, already cut where the line was stopped."""
    timeline: int = 0
    """Which start of the output stream played it (``new_timeline``)."""
    label: str = ""
    """The line it is (its text; "": not told)."""

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / RATE

    def sounds(self, start: float, end: float) -> bool:
        """Whether some of it was heard between monotonic ``start`` and ``end``."""
        return len(self.samples) > 0 and self.end > start and self.start < end


class PlaybackTap:
    """A short history of the sound played, on the monotonic clock, at ``RATE``."""

    def __init__(self, keep_s: float = KEEP_S) -> None:
        self._keep_s = keep_s
        self._lines: list[_Played] = []
        self._lock = threading.Lock()
        self.timeline = 0
        """The output stream's starts so far: sound played after a restart is placed by a new
        anchor, a few samples away from the last against the microphone (``realign``)."""

    def new_timeline(self) -> None:
        """The output stream was started again: what it plays from now on is a new timeline."""
        with self._lock:
            self.timeline += 1

    def played(
        self, samples: npt.NDArray[np.int16], rate: int, start: float, label: str = ""
    ) -> None:
        """``samples`` (mono 16-bit at ``rate``) of the line ``label`` began playing at
        monotonic ``start`` (a block of another line never continues the last stretch)."""
        mono = np.asarray(samples, dtype=np.int16).reshape(-1)
        if rate != RATE:
            mono = Resampler(rate, RATE).process(mono)
        with self._lock:
            last = self._lines[-1] if self._lines else None
            if (
                last is not None
                and len(last.samples)
                and abs(last.end - start) <= JOIN_S
                and last.timeline == self.timeline
                and last.label == label
            ):
                last.samples = np.concatenate([last.samples, mono.astype(np.float32)])
                return
            line = _Played(start, mono.astype(np.float32), self.timeline, label)
            self._lines = [p for p in self._lines if p.end > start - self._keep_s] + [line]

    def cut(self, at: float) -> None:
        """Playing stopped at monotonic ``at``: nothing of what was queued sounds after it."""
        with self._lock:
            for p in self._lines:
                if p.end > at:
                    keep = max(0, int(round((at - p.start) * RATE)))
                    p.samples = p.samples[:keep]

    def reference(
        self, end: float, n: int, shifts: Mapping[int, int] | None = None
    ) -> npt.NDArray[np.int16]:
        """The ``n`` samples played up to monotonic ``end`` (zeros where nothing played), each
        timeline's moved ``shifts[timeline]`` samples later."""
        out = np.zeros(n, dtype=np.float32)
        start = end - n / RATE
        shifts = shifts or {}
        margin = (max(map(abs, shifts.values()), default=0) + 1) / RATE
        with self._lock:
            lines = [p for p in self._lines if p.end > start - margin and p.start < end + margin]
        for p in lines:
            offset = int(round((p.start - start) * RATE)) + shifts.get(p.timeline, 0)
            lo, hi = max(0, offset), min(n, offset + len(p.samples))
            if hi > lo:
                out[lo:hi] += p.samples[lo - offset : hi - offset]
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)

    def timelines(self, start: float, end: float) -> dict[int, float]:
        """The timelines with sound between monotonic ``start`` and ``end``, each with when its
        first sound still kept began."""
        first: dict[int, float] = {}
        hit: set[int] = set()
        with self._lock:
            for p in self._lines:  # in the order played
                if len(p.samples):
                    first.setdefault(p.timeline, p.start)
                    if p.sounds(start, end):
                        hit.add(p.timeline)
        return {t: first[t] for t in hit}

    def labels(self, start: float, end: float) -> list[str]:
        """The lines with sound between monotonic ``start`` and ``end``, in the order played
        (a line in several stretches once; "" for sound played without a label)."""
        with self._lock:
            hit = [p.label for p in self._lines if p.sounds(start, end)]
        return list(dict.fromkeys(hit))

    def playing(self, start: float, end: float) -> bool:
        """Whether anything was played between monotonic ``start`` and ``end``."""
        with self._lock:
            return any(p.sounds(start, end) for p in self._lines)


SHARED = PlaybackTap()
"""The process's tap: the speaker writes to it and the microphone's echo canceller reads it,
unless they are handed another."""
