"""The companion's speech played in-process: one persistent output stream, every sample timed.

``OutputStream`` keeps one PortAudio output stream open and plays the lines handed to it
(``play``) one after another, writing silence when there is none. Its callback knows when each
block will reach the speaker (``outputBufferDacTime``, mapped onto ``time.monotonic()`` by
``StreamClock``), so every block of speech is handed to the ``PlaybackTap`` with the time it is
heard: the echo canceller's reference is exact (within ~1 ms of the microphone's own capture
times, docs/recognition.md), where a player process started up to 170 ms away from it.

Between lines the stream writes silence ahead; a line handed over then would wait behind it
(170 ms). So a line that finds nothing left to be heard restarts the stream: what was written
ahead is dropped, the line starts after ``LEAD_S``, on a new timeline of the tap (1-5 samples
off the last: ``realign`` measures it); the restart returns once the line fills what is written
ahead (``FILL_S``), and a killed line's tail is dropped by a restart with nothing. Off by
default (``RESTART_SETTING=1`` turns it on): under load a restarted line still lost about
80 ms of itself at times (docs/benchmarks.md, session 11).

``play`` returns a ``StreamLine``: waited on with a time bound, killed at once (the rest of the
line is dropped at the next block and cut from the tap too), and reporting a line the stream
stopped playing. Opening, restarting and closing run under the sound system's deadlines; the
callback never blocks. ``COMPANION_PLAYBACK=command`` plays through a player process instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt

from companion.audio.devices import pick, read_devices
from companion.audio.playback_tap import RATE as TAP_RATE
from companion.audio.playback_tap import PlaybackTap
from companion.audio.resample import Resampler
from companion.audio.sound_system import (
    CLOSE_S,
    OPEN_S,
    close_stream,
    leave_behind,
    locked,
    open_streams,
    require,
    sd,
)
from companion.audio.stream_clock import SampleClock, StreamClock
from companion.audio.stream_line import StreamLine
from companion.bounded import Overdue, call_within
from companion.errors import DeviceError

log = logging.getLogger(__name__)

SETTING = "COMPANION_PLAYBACK"
"""Environment variable: ``stream`` (the default) or ``command`` (a player process per line)."""
RESTART_SETTING = "COMPANION_STREAM_RESTART"
"""``1``: restart the stream for a line handed over in silence; unset or ``0`` (the default):
never (a line handed over in silence waits behind the silence written ahead)."""
BLOCK_S = 0.02
"""One callback's block."""
LATENCY_S = 0.1
"""How far ahead of the speaker the stream writes: room for a busy machine (a late callback
is a gap in the voice: 0.02 s gave 85 underflows in 10 s of speech at load 3-6, 0.05 s 21, 0.1 s
none); a line is cut this long after ``kill``."""
RESTART_LATENCY_S = 0.25
"""The same for a stream that restarts per line: its line is written ahead at once after a
restart, so more room costs it no delay, and a callback held up for 0.15-0.3 s (by the load, or
by another thread holding Python's lock as the next line is synthesised) no longer leaves a gap
in the line (with ``LATENCY_S`` a restarted line's first 0.14 s played, then silence)."""
LEAD_S = 0.02
"""Silence before a line on a restarted stream, whose first moments the sound server may not play
(PulseAudio's null sink plays what it had rendered ahead: 20 ms here, as for a new aplay)."""
FILL_S = 0.1
"""Longest wait, after a restart, for the callback to fill what the stream writes ahead: it is
filled block by block after ``start`` returns (2-4 blocks before), each block needing Python's
lock; until then a callback held up (the next line synthesised as this one starts) leaves a gap
in the line (0.2 s held: the line's first 60 ms, then 0.14 s of silence)."""
DROP_AFTER_S = 0.04
"""How long after a kill the stream drops the killed line's tail: a line handed over at once
(a beat line cuts the one before) restarts it itself, without waiting for that restart."""
RESTART_S = 2.0
"""Longest wait for a restart (dropping what is written ahead); past it the stream has stopped
playing and is left behind."""
LOG_EVERY_S = 10.0
STALL_S = 1.0
"""A stream whose callback has not run for this long has stopped playing."""


def wanted() -> bool:
    """Whether speech should be played in-process (``SETTING``)."""
    return os.environ.get(SETTING, "stream").strip().lower() != "command"


class OutputStream:
    """One persistent output stream playing queued lines (see the module)."""

    def __init__(
        self, tap: PlaybackTap | None, device: str | int | None = None, restart: bool | None = None
    ) -> None:
        self.tap = tap
        if restart is None:
            restart = os.environ.get(RESTART_SETTING, "0").strip() == "1"
        self.restart = restart
        self.latency = RESTART_LATENCY_S if self.restart else LATENCY_S
        """How far ahead of the speaker the stream writes (a killed line is cut this late)."""
        self.device_choice = device
        self.rate = 0
        self.name = "speaker"
        self._stream: Any = None
        self._lines: deque[StreamLine] = deque()
        self._current: StreamLine | None = None
        self._last: StreamLine | None = None  # the line handed to the device last
        self._lead = 0  # frames of silence to write before the next line (after a restart)
        self._dead = False  # a restart failed: the stream plays no more
        self._last_callback = self._logged = 0.0
        self._clock = StreamClock()
        self._samples = SampleClock(1)
        self._lock = threading.Lock()
        self._unfilled = 0  # blocks still to write after a restart before its room is full
        self._filled = threading.Event()
        self.underflows = self.restarts = self.drops = 0

    # ---- opening and closing ----------------------------------------------------------------

    def open(self, rate: int) -> None:
        """Open the stream at ``rate`` (or the device's own); DeviceError when it cannot be
        opened within ``OPEN_S``."""
        require()
        try:
            stream = call_within(
                OPEN_S,
                locked(lambda: self._open_device(rate), OPEN_S),
                "opening the speaker",
                late=close_stream,
            )
        except Overdue:
            leave_behind()
            raise DeviceError(f"The speaker did not open within {OPEN_S:g} s.") from None
        self._stream = stream
        self._last_callback = time.monotonic()
        log.info("speech plays in-process on %s at %d Hz", self.name, self.rate)

    def _open_device(self, rate: int) -> Any:
        device = pick(read_devices(True), self.device_choice, want_input=False)
        self.name = device.name
        problem: Exception | None = None
        for chosen in dict.fromkeys((rate, device.default_rate or rate)):
            self.rate, self._samples = chosen, SampleClock(chosen)
            try:
                stream = sd.OutputStream(
                    samplerate=chosen,
                    blocksize=int(chosen * BLOCK_S),
                    device=device.index,
                    channels=1,
                    dtype="float32",
                    latency=self.latency,
                    callback=self._callback,
                )
                stream.start()
            except (sd.PortAudioError, OSError, ValueError) as exc:
                problem = exc
                continue
            open_streams[id(stream)] = stream
            return stream
        raise DeviceError(f"The speaker '{device.name}' could not be opened: {problem}")

    @property
    def playing(self) -> bool:
        """Whether the stream is open and its callback ran lately."""
        return (
            self._stream is not None
            and not self._dead
            and time.monotonic() - self._last_callback < STALL_S
        )

    def close(self) -> None:
        """Cut what is playing and close the stream (within ``CLOSE_S``, else left behind)."""
        stream, self._stream = self._stream, None
        for line in [*self._lines, *([self._current] if self._current else [])]:
            line.kill()
        if stream is None:
            return
        try:
            call_within(CLOSE_S, locked(lambda: close_stream(stream), None), "closing")
        except Overdue:
            leave_behind()
            log.warning("the speaker did not close within %g s; left behind", CLOSE_S)

    # ---- playing ----------------------------------------------------------------------------

    def play(self, samples: npt.NDArray[np.int16], rate: int, label: str = "") -> StreamLine:
        """Queue ``samples`` (mono 16-bit at ``rate``; the line ``label``) after what is queued."""
        mono = np.asarray(samples, dtype=np.int16).reshape(-1)
        reference = mono if rate == TAP_RATE else Resampler(rate, TAP_RATE).process(mono)
        if rate != self.rate:
            mono = Resampler(rate, self.rate).process(mono)
        line = StreamLine(mono.astype(np.float32) / 32768.0, self.rate, reference, label)
        if not self.playing:
            line.problem = "the audio output is not playing"
            line.done.set()
            return line
        if self.restart:
            line.on_kill = self._drop_soon
        if self.restart and self._idle():
            self._restart(line)
        else:
            self._lines.append(line)
        return line

    def _idle(self) -> bool:
        """Whether nothing written to the device is still to be heard (or it was cut off)."""
        last = self._last
        if self._lines or last is None or last.killed:
            return not self._lines
        return last.done.is_set() and last.ends <= time.monotonic()

    def _drop_soon(self, line: StreamLine) -> None:
        """``line`` was killed: drop what the stream wrote of it ahead (up to ``latency``) by
        restarting it with nothing, ``DROP_AFTER_S`` later on a thread of its own (the caller
        never waits)."""
        if line.pos == 0 or 0 < line.ends <= time.monotonic():
            return  # nothing of it is still to be heard
        cut = threading.Timer(DROP_AFTER_S, self._restart, args=(None,))
        cut.name, cut.daemon = "speaker-cut", True
        cut.start()

    def _restart(self, line: StreamLine | None) -> None:
        """Drop what the stream has written ahead and start it again with ``line`` first (None:
        with silence, after a line was killed)."""
        stream = self._stream
        given_up = threading.Event()

        def restart() -> str | None:
            if line is None and (self._lines or (self._current and not self._current.killed)):
                return None  # a line was handed over meanwhile: its own restart dropped it
            try:
                stream.abort()
                if given_up.is_set():  # too late (a sound server that stopped answering):
                    return "given up"  # starting it again could block for good
                self._dropped(time.monotonic() + LEAD_S)
                self._samples, self._lead = SampleClock(self.rate), round(LEAD_S * self.rate)
                if self.tap is not None and line is not None:  # placed by a new anchor:
                    self.tap.new_timeline()  # measured apart (realign)
                if line is not None:
                    self._last = line
                    self._lines.append(line)
                self._last_callback = time.monotonic()
                self._filled.clear()
                self._unfilled = max(1, round(stream.latency / BLOCK_S)) if line else 0
                stream.start()
                if line is not None and not self._filled.wait(FILL_S):
                    log.debug("the restarted stream was not filled within %g s", FILL_S)
            except (sd.PortAudioError, OSError) as exc:
                return str(exc)
            return None

        try:
            problem = call_within(
                RESTART_S,
                locked(restart, RESTART_S),
                "restarting the speaker",
                late=lambda _: locked(lambda: close_stream(stream), None)(),
            )
        except Overdue:
            given_up.set()
            leave_behind()
            problem = f"the audio output stopped playing (no restart within {RESTART_S:g} s)"
        except DeviceError as exc:
            problem = exc.message
        if line is None:
            self.drops += 1
        else:
            self.restarts += 1
        if problem is None:
            return
        log.warning("the speaker could not be restarted: %s", problem)
        self._dead = True
        if line is not None:
            line.problem = problem
            line.done.set()

    def _dropped(self, at: float) -> None:
        """The stream was stopped, its sound ending at ``at`` (the server still plays what it
        took ahead, about ``LEAD_S``): a cut line's tail is dropped, and cut from the tap."""
        current, self._current = self._current, None
        if current is not None:
            self._finish(current, at, cut=True)
        elif self.tap is not None and self._last is not None and self._last.killed:
            self.tap.cut(at)
        self._lines.clear()

    def _callback(self, out: Any, frames: int, timing: Any, status: Any) -> None:
        now = time.monotonic()
        self._last_callback = now
        if status.output_underflow:
            self.underflows += 1
        told = self._clock.monotonic(timing.outputBufferDacTime, timing.currentTime, now)
        heard = self._samples.block(told, frames)
        if now - self._logged > LOG_EVERY_S:
            self._logged = now
            log.debug(
                "output clock: %d moves, told times up to %.1f ms away, %d underflows",
                self._samples.moves,
                self._samples.worst * 1000,
                self.underflows,
            )
            self._samples.worst = 0.0
        if self._unfilled:
            self._unfilled -= 1
            if not self._unfilled:
                self._filled.set()
        out.fill(0)
        filled = min(frames, self._lead)
        self._lead -= filled
        while filled < frames:
            line = self._current
            if line is None:
                if not self._lines:
                    break
                line = self._current = self._last = self._lines.popleft()
            at = heard + filled / self.rate
            if line.killed:
                self._finish(line, at, cut=True)
                continue
            n = min(frames - filled, len(line.samples) - line.pos)
            out[filled : filled + n, 0] = line.samples[line.pos : line.pos + n]
            if line.pos == 0:
                line.started = at
            self._tell_tap(line, line.pos, n, at)
            line.pos += n
            filled += n
            if line.pos >= len(line.samples):
                self._finish(line, heard + filled / self.rate, cut=False)

    def _finish(self, line: StreamLine, at: float, cut: bool) -> None:
        self._current = None
        line.ends = at
        if cut and self.tap is not None and line.pos:
            self.tap.cut(at)
        line.done.set()

    def _tell_tap(self, line: StreamLine, pos: int, n: int, at: float) -> None:
        if self.tap is None:
            return
        lo = int(round(pos * TAP_RATE / line.rate))
        hi = int(round((pos + n) * TAP_RATE / line.rate))
        if hi > lo:
            self.tap.played(line.reference[lo:hi], TAP_RATE, at, line.label)
