"""Echo cancellation: the companion's own voice taken out of the microphone, using what it played.

``EchoFilter`` sits between the microphone and the listener. For each 10 ms block it asks the
``PlaybackTap`` for what was being played when that block was captured (the bulk delay from
player to microphone is measured as it goes, ``DelayEstimator``), and a ``Canceller`` removes
that sound from the block (``cancellers.py``; Speex's linear stage is the one used, then the
residual gate); measured side by side in docs/recognition.md.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from companion.audio.cancellers import (
    DEFAULT,
    FRAME,
    GATED,
    KINDS,
    SETTING,
    Canceller,
    Samples,
    make_canceller,
)
from companion.audio.playback_tap import RATE, PlaybackTap
from companion.audio.realign import Realigner, best_lag
from companion.audio.residual_gate import QUIET, ResidualGate

log = logging.getLogger(__name__)

ECHO_TAIL_S = 0.2
"""How long after a sound was played its echo may still be in the microphone (the room's echo;
the canceller's filter is 0.2 s): the lines heard in a block (``EchoFilter.labels``) include
those that ended this long before it."""


class DelayEstimator:
    """How long after the tap's time a played sound reaches the microphone (the bulk delay).

    Cross-correlates the last ``window_s`` of microphone audio with the reference over lags up
    to ``max_s``, every ``every_s`` while something was played; a clear peak is taken at once
    (each line played by a player process starts up to 170 ms after or before the last one's,
    relative to when it was started, on a loaded machine: measured live; on the in-process
    stream it stays within ~2 ms), a different one once the next measurement agrees."""

    def __init__(
        self,
        initial_s: float = 0.0,
        max_s: float = 0.6,
        min_s: float = -0.25,
        window_s: float = 0.3,
        every_s: float = 0.05,
        min_correlation: float = 0.7,
    ) -> None:
        self.delay_s = initial_s
        self.found = False
        """Whether the delay was measured at least once (else ``initial_s``)."""
        self._max = int(max_s * RATE)
        self._ahead = int(-min_s * RATE)
        """Samples after the microphone's time also searched: a player's sound may start before
        its start was noted (the speaker's thread noted it late, waiting for its turn)."""
        self._window = int(window_s * RATE)
        self._every = int(every_s * RATE)
        self._min = min_correlation
        self._near = np.zeros(0, dtype=np.float32)
        self._since = 0
        self._candidate: float | None = None

    SAME_S = 0.002
    """Measurements this close are the same delay."""

    def feed(
        self, near: Samples, end: float, tap: PlaybackTap, shifts: dict[int, int] | None = None
    ) -> None:
        """``near`` was captured up to monotonic ``end``; re-measure when it is time (the
        reference's timelines moved by ``shifts``, ``realign``)."""
        self._near = np.concatenate([self._near, near.astype(np.float32)])[-self._window :]
        self._since += len(near)
        if self._since < self._every or len(self._near) < self._window:
            return
        self._since = 0
        last = end + self._ahead / RATE
        span = self._window + self._max + self._ahead
        if not tap.playing(last - span / RATE, last):
            return
        ref = tap.reference(last, span, shifts).astype(np.float64)
        lag, score = best_lag(self._near.astype(np.float64), ref, self._max + self._ahead)
        lag -= self._ahead
        if score >= self._min:
            self._measured(lag / RATE, score)

    def _measured(self, delay_s: float, score: float) -> None:
        """A clear peak at ``delay_s``: taken at once the first time; later only when it moved
        more than ``SAME_S`` and the next measurement agrees (with sample-true times the
        delay stays put, and a filter handed a jittering reference would keep re-adapting)."""
        if self.found and abs(delay_s - self.delay_s) <= self.SAME_S:
            self._candidate = None
            return
        if self.found and (self._candidate is None or abs(delay_s - self._candidate) > self.SAME_S):
            self._candidate = delay_s
            return
        log.debug("echo delay %.3f s (correlation %.2f)", delay_s, score)
        self.delay_s, self.found, self._candidate = delay_s, True, None


class EchoFilter:
    """The microphone's blocks without the companion's voice (see the module).

    Call it with each block of 16-bit PCM at ``RATE`` in order: ``at``, when it arrived (by
    default now), or better ``captured``, the monotonic time its last sample was captured as
    the sound system tells it (``Microphone.captured_at``: then sample-true against an
    in-process output stream's times). It returns the cleaned audio due so far (whole 10 ms
    blocks, so up to 10 ms later). Thread safe."""

    LEAD_S = 0.03
    """The reference is handed over this much ahead of its echo: the filters are causal, and
    each line's player starts up to ~30 ms later or sooner than the last (measured live)."""

    def __init__(
        self,
        tap: PlaybackTap,
        canceller: Canceller,
        delay: DelayEstimator | None = None,
        clock: Callable[[], float] = time.monotonic,
        gate: ResidualGate | None = None,
    ) -> None:
        self.tap = tap
        self.canceller = canceller
        self.gate = gate
        """Quietens what the canceller leaves of the companion's voice (None: left as it is)."""
        self.delay = delay or DelayEstimator()
        self.realign = Realigner()
        """Each start of the output stream's sound put where the microphone hears it."""
        self._clock = clock
        self._held = np.zeros(0, dtype=np.int16)
        self._lock = threading.Lock()
        self._samples = 0
        self._offsets: deque[float] = deque(maxlen=self.CLOCK_BLOCKS)
        self._frames = 0
        self._energy = [0.0, 0.0]
        """Energy in and out of the canceller while something played (since the last log)."""
        self._quiet = 1 << 30
        """Samples returned since the last block under which the companion's sound was."""
        self._under: tuple[float, float] | None = None
        """Where on the tap's clock the reference of the audio last returned was (``labels``)."""

    LOG_EVERY = 300
    """Blocks played over between two debug lines on the echo taken out."""
    CLOCK_BLOCKS = 500
    """Blocks over which the microphone's clock is fitted (10 s of 20 ms blocks)."""
    HOLD = RATE
    """Most samples held back for a timeline being measured (``realign``; 0.1-0.15 s usual)."""

    def _captured(self, arrived: float, n: int) -> float:
        """When the last of ``n`` new samples was captured: blocks arrive late and in bursts,
        never early, so the earliest arrival for its position in the stream is the best guess."""
        self._samples += n
        self._offsets.append(arrived - self._samples / RATE)
        return min(self._offsets) + self._samples / RATE

    def __call__(
        self, pcm16: bytes, at: float | None = None, captured: float | None = None
    ) -> bytes:
        arrived = self._clock() if at is None else at
        block = np.frombuffer(pcm16, dtype="<i2")
        with self._lock:
            fitted = self._captured(arrived, len(block))
            end = fitted if captured is None else captured
            shifts = self.realign.shifts
            self.delay.feed(block, end, self.tap, shifts)
            self.realign.hear(block, end)
            if self.delay.found:
                self.realign.update(self.tap, self.delay.delay_s)
            held = np.concatenate([self._held, block])
            done, out, span = 0, [], None
            for i in range(0, len(held) // FRAME * FRAME, FRAME):
                frame_end = end - (len(held) - i - FRAME) / RATE
                far_end = frame_end - self.delay.delay_s + self.LEAD_S
                under = (far_end - FRAME / RATE, far_end)
                if len(held) - i < self.HOLD and self.realign.waiting(self.tap, *under):
                    break  # its reference is not placed yet: kept for the next call
                done = i + FRAME
                span = (span or under)[0], far_end
                far = self.tap.reference(far_end, FRAME, shifts)
                near = held[i : i + FRAME]
                cleaned = self.canceller.process(near, far)
                if self.gate is not None:
                    cleaned = self.gate.process(cleaned, far)
                out.append(cleaned)
                if far.any():
                    self._note(near, cleaned)
                loud = far.any() and float(np.mean(far.astype(np.float64) ** 2)) >= QUIET
                self._quiet = 0 if loud else self._quiet + FRAME
            self._held = held[done:]
            self._under = span or self._under
        return np.concatenate(out).astype("<i2").tobytes() if out else b""

    @property
    def quiet_s(self) -> float:
        """Seconds of the audio returned so far since the last 10 ms under which the
        companion's sound was (its reference above -50 dBFS, taken ``LEAD_S`` ahead of its
        echo): 0.0 while it is heard. From the samples played, so exact to a block, where the
        speaker's ``busy()`` is true from the moment a line is queued until its last sample is
        played and is read when the worker gets to the audio, later than it was captured."""
        with self._lock:
            return self._quiet / RATE

    def labels(self) -> list[str]:
        """The lines (``PlaybackTap.labels``) whose sound is in the audio last returned: under
        its reference, or up to ``ECHO_TAIL_S`` before it (their echo); [] before any."""
        with self._lock:
            under = self._under
        if under is None:
            return []
        return self.tap.labels(under[0] - ECHO_TAIL_S, under[1])

    def reduction_db(self) -> float | None:
        """How much quieter the microphone came out than in while something played, since
        the last call (dB; None when nothing played): the echo taken out, on average."""
        with self._lock:
            before, after = self._energy
            self._energy = [0.0, 0.0]
        if before <= 0:
            return None
        return float(10 * np.log10(before / max(after, 1.0)))

    def _note(self, near: Samples, cleaned: Samples) -> None:
        self._energy[0] += float(np.sum(near.astype(np.float64) ** 2))
        self._energy[1] += float(np.sum(cleaned.astype(np.float64) ** 2))
        self._frames += 1
        if self._frames % self.LOG_EVERY == 0:
            before, after = self._energy
            log.debug(
                "echo: %.1f dB quieter while playing (delay %.3f s)",
                10 * np.log10(max(before, 1.0) / max(after, 1.0)),
                self.delay.delay_s,
            )


def echo_filter(tap: PlaybackTap, kind: str | None = None) -> EchoFilter | None:
    """An ``EchoFilter`` over ``tap`` with the ``kind`` canceller, or None (logged) when that
    canceller cannot be loaded here: the microphone then works as it is."""
    kind = kind or os.environ.get(SETTING, DEFAULT)
    if kind not in KINDS:
        log.warning(
            "%s=%s is not a canceller (%s); using %s", SETTING, kind, ", ".join(KINDS), DEFAULT
        )
        kind = DEFAULT
    log.info("echo cancellation: %s%s", kind, " and the residual gate" if kind in GATED else "")
    try:
        gate = ResidualGate(RATE) if kind in GATED else None
        return EchoFilter(tap, make_canceller(kind), gate=gate)
    except (ImportError, OSError) as exc:
        log.warning("listening without echo cancellation: %s", exc)
        return None
