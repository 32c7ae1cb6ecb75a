"""Where each start of the output stream put its sound against the microphone.

The in-process output stream may be started again for a line handed over in silence (its
written-ahead silence dropped: ``output_stream``). Its blocks' times are then counted from a new
anchor, the first told time of the new stream, which PortAudio tells only to a fraction of a
millisecond: measured through the tests' null sink, the reference landed 1-5 samples (16 kHz;
up to 44 under load) away from the last start's against the microphone, constant within a
line, a different amount every restart (``scripts/benchmark_echo.py --live``). A linear
canceller learns one echo path, so it had to learn it again on every line, and cut 12-18 dB
instead of 37-44 (docs/benchmarks.md, speech).

``Realigner`` measures, for each timeline (``PlaybackTap.new_timeline``), the lag from its
reference to the microphone by cross-correlation over its first 0.15 s of sound (within 6 ms
of the last one's; 0.1 s was a sample off at times), and moves its reference
by the difference from the first timeline measured: the canceller is handed each line where it
really is, as on a stream never restarted. Until a new timeline is measured (at most
``wait_s`` of its sound) the echo filter holds the microphone's blocks under it; a timeline
that cannot be measured (the person speaking over all of it, a line cut at once) keeps the last
one's shift.
"""

from __future__ import annotations

import logging
from collections import deque

import numpy as np
import numpy.typing as npt

from companion.audio.playback_tap import RATE, PlaybackTap

log = logging.getLogger(__name__)

KEEP = 64
"""Timelines whose shift is remembered (lines of the last minutes)."""
LOUD = 300
"""A sample this loud (16-bit) is where a line's sound begins (-41 dBFS)."""
EDGE = 3
"""A peak this close to the edge of the search is not taken."""
QUIET_S = 0.6
"""A timeline whose sound is not loud this long after it began is not measured."""


class Realigner:
    """Each timeline's shift in samples (see the module); fed the microphone's blocks."""

    def __init__(
        self,
        measure_s: float = 0.15,
        wait_s: float = 0.3,
        search_s: float = 0.006,
        min_correlation: float = 0.5,
    ) -> None:
        self.shifts: dict[int, int] = {}
        """Samples each timeline's reference is moved later (only those measured or given up)."""
        self._base: int | None = None
        """The lag (samples, beyond the bulk delay) of the first timeline measured."""
        self._raw: int | None = None
        """The last timeline's lag with the delay it was measured over (samples): where the
        next one is looked for (a restart's anchor drops what underflows added to the delay)."""
        self._last = 0
        """The last timeline's lag beyond the delay then (samples)."""
        self._measure = int(measure_s * RATE)
        self._wait = int(wait_s * RATE)
        self._search = int(search_s * RATE)
        self._min = min_correlation
        self._near: deque[npt.NDArray[np.float64]] = deque()
        self._near_end = 0.0
        self._kept = 0
        self.measured = self.given_up = 0

    def hear(self, block: npt.NDArray[np.int16], end: float) -> None:
        """The microphone's next block, its last sample captured at monotonic ``end``."""
        self._near.append(block.astype(np.float64))
        self._kept += len(block)
        self._near_end = end
        while self._near and self._kept - len(self._near[0]) >= 2 * (self._wait + self._search):
            self._kept -= len(self._near.popleft())

    def waiting(self, tap: PlaybackTap, start: float, end: float) -> bool:
        """Whether sound played between ``start`` and ``end`` (the tap's clock) is on a timeline
        not measured yet, so a block of the microphone under it must wait."""
        if self._base is None or all(t in self.shifts for t in tap.timelines(start, end)):
            return False
        n = max(1, int(round((end - start) * RATE)))
        return bool(np.any(np.abs(tap.reference(end, n)) > LOUD))  # not while it is quiet

    def update(self, tap: PlaybackTap, delay_s: float) -> None:
        """Measure the timelines heard lately whose lag is not known yet; ``delay_s``: the bulk
        delay from the tap's time to the microphone's (as measured: ``DelayEstimator``)."""
        # beyond the delay, now
        expected = 0 if self._raw is None else self._raw - int(round(delay_s * RATE))
        heard_to = self._near_end - delay_s - expected / RATE  # on the tap's clock
        lately = tap.timelines(heard_to - self._wait / RATE, heard_to)
        for timeline, first in sorted(lately.items()):
            if timeline in self.shifts:
                continue
            onset = self._onset(tap, first, heard_to)
            have = int((heard_to - onset) * RATE) - self._search
            if have < self._measure:
                if heard_to - first >= QUIET_S:
                    self._give_up(timeline)
                continue
            lag = self._lag(tap, onset, min(have, self._wait), delay_s, expected)
            if lag is not None:
                self._measured(timeline, lag, delay_s)
            elif have >= self._wait:
                self._give_up(timeline)

    @staticmethod
    def _onset(tap: PlaybackTap, first: float, to: float) -> float:
        """When the sound that began at ``first`` is first loud (``to`` if not by then)."""
        n = min(int((to - first) * RATE), int(QUIET_S * RATE))
        if n <= 0:
            return to
        loud = np.flatnonzero(np.abs(tap.reference(first + n / RATE, n)) > LOUD)
        return first + loud[0] / RATE if len(loud) else to

    def _lag(
        self, tap: PlaybackTap, first: float, n: int, delay_s: float, expected: int
    ) -> int | None:
        """The lag (samples beyond ``delay_s``) from ``n`` samples of reference from ``first``
        on to the microphone, looked for within ``search_s`` of ``expected``; None: unclear."""
        near_all = np.concatenate(self._near)
        ref_end = first + n / RATE
        skip = int(round((self._near_end - ref_end - delay_s) * RATE)) - expected
        if skip < 0 or skip + n > len(near_all):
            return None
        near = near_all[len(near_all) - skip - n : len(near_all) - skip]
        ref = tap.reference(ref_end + self._search / RATE, n + 2 * self._search)
        ref64 = ref.astype(np.float64)
        if float(ref64 @ ref64) < n * 30.0**2 or float(near @ near) < n * 30.0**2:
            return None  # too quiet to tell
        found, score = peak_lag(near, ref64, 2 * self._search)
        if score < self._min or abs(found - self._search) > self._search - EDGE:
            return None  # no clear peak, or one at the edge of the search (the true one beyond)
        return expected + found - self._search

    def _measured(self, timeline: int, lag: int, delay_s: float) -> None:
        """``timeline``'s lag is ``lag`` beyond ``delay_s``: moved to the first timeline's."""
        if self._base is None:
            self._base = lag
        self._last, self._raw = lag, lag + int(round(delay_s * RATE))
        self._keep(timeline, lag - self._base)
        self.measured += 1
        log.debug("timeline %d: lag %d samples, shift %d", timeline, lag, lag - self._base)

    def _give_up(self, timeline: int) -> None:
        """``timeline`` could not be measured: the last one's shift is kept."""
        last = 0 if self._base is None else self._last - self._base
        self._keep(timeline, last)
        self.given_up += self._base is not None
        log.debug("timeline %d: not measured, shift %d kept", timeline, last)

    def _keep(self, timeline: int, shift: int) -> None:
        self.shifts[timeline] = shift
        while len(self.shifts) > KEEP:
            del self.shifts[min(self.shifts)]


def peak_lag(
    near: npt.NDArray[np.float64], ref: npt.NDArray[np.float64], max_lag: int
) -> tuple[int, float]:
    """As ``best_lag``, but the lag is where the plain cross-correlation peaks: normalised lag
    by lag, a window over a line's onset (more or less of it at each lag) leans a sample off."""
    n = len(near)
    size = 1 << (len(ref) + n).bit_length()
    corr = np.fft.irfft(np.fft.rfft(ref, size) * np.conj(np.fft.rfft(near, size)), size)
    k = int(np.argmax(corr[: max_lag + 1]))
    window = ref[k : k + n]
    norm = np.sqrt(max(float(window @ window), 1e-9) * max(float(near @ near), 1e-9))
    return max_lag - k, float(corr[k] / norm)


def best_lag(
    near: npt.NDArray[np.float64], ref: npt.NDArray[np.float64], max_lag: int
) -> tuple[int, float]:
    """The lag (samples, 0..``max_lag``) by which ``near`` follows the end of ``ref``
    (``len(ref) == len(near) + max_lag``), and its normalised correlation."""
    n = len(near)
    size = 1 << (len(ref) + n).bit_length()
    corr = np.fft.irfft(np.fft.rfft(ref, size) * np.conj(np.fft.rfft(near, size)), size)
    corr = corr[: max_lag + 1]  # corr[k]: near against ref[k : k + n]
    energy = np.concatenate([[0.0], np.cumsum(ref * ref)])
    ref_energy = energy[n : n + max_lag + 1] - energy[: max_lag + 1]
    norm = np.sqrt(np.maximum(ref_energy, 1e-9) * max(float(near @ near), 1e-9))
    score = corr / norm
    k = int(np.argmax(score))
    return max_lag - k, float(score[k])
