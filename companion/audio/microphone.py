"""Capturing from a microphone: mono 16-bit chunks at the recogniser's rate, a watchdog for a
device that fails, goes silent or vanishes, and a ``stop`` that returns in time whatever the
device does (the deadlines and the lock are ``sound_system``'s)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from companion.audio.devices import AudioDevice, pick, read_devices
from companion.audio.overflow import OverflowWarnings
from companion.audio.resample import Resampler, to_mono
from companion.audio.sound_system import (
    CLOSE_S,
    HINT,
    NOT_ANSWERING,
    OPEN_S,
    close_stream,
    exiting,
    leave_behind,
    locked,
    open_streams,
    require,
    sd,
)
from companion.audio.stream_clock import SampleClock, StreamClock
from companion.bounded import Overdue, call_within
from companion.errors import DeviceError

log = logging.getLogger(__name__)
CLOCK_LOG_S = 10.0
"""How often the capture clock's state is logged (debug)."""

ChunkSink = Callable[[bytes], None]
"""Receives 16-bit mono PCM at the recogniser's rate; called on the audio thread, so it must
only hand the bytes over (``queue.put_nowait``)."""

ProblemSink = Callable[[str], None]
"""Told once, in plain words, that the microphone failed or went away; may be called on the
audio thread, so it must only hand the message over (and never call ``Microphone.stop``)."""


class Microphone:
    """Captures at the device's own rate and delivers mono 16-bit chunks at ``rate``.

    ``start`` raises DeviceError when no microphone can be opened (within ``OPEN_S``). A
    microphone that fails, goes silent or vanishes later is reported once through
    ``on_problem`` and capture stops; nothing is raised on the audio thread. ``stop`` returns
    within ``close_s`` whatever the device does.
    """

    def __init__(
        self,
        on_chunk: ChunkSink,
        *,
        device: str | int | None = None,
        rate: int = 16000,
        chunk_ms: int = 20,
        on_problem: ProblemSink | None = None,
        stall_s: float = 2.0,
        first_audio_s: float = 5.0,
        close_s: float = CLOSE_S,
    ) -> None:
        self.on_chunk = on_chunk
        self.on_problem = on_problem
        self.device_choice = device
        self.rate = rate
        self.chunk_ms = chunk_ms
        self.stall_s = stall_s
        """Silence from the device (no audio at all, not quiet audio) longer than this is a
        failure."""
        self.first_audio_s = first_audio_s
        """How long the device may take to deliver its first audio after ``start``."""
        self.close_s = close_s
        """How long ``stop`` waits for the device to close before leaving it behind."""
        self.device: AudioDevice | None = None
        self.device_rate = 0
        self.left_behind = False
        """Whether a stream of this microphone did not close in time (see the module)."""
        self._stream: Any = None
        self._channels = 1
        self._resampler: Resampler | None = None
        self._reported = threading.Event()
        self._stopping = threading.Event()
        self._last_audio = 0.0
        self._heard = False
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()
        """Guards ``_stream`` being taken by ``stop`` and the one report."""
        self._overflows = OverflowWarnings()
        """This stream's input overflows (a new count for each ``start``)."""
        self.captured_at = 0.0
        self._clock = StreamClock()
        self._samples = SampleClock(rate)
        """``time.monotonic()`` at which the last sample of the chunk being handed to
        ``on_chunk`` was captured, from the stream's own timing (read it inside ``on_chunk``;
        0.0 when the sound system does not tell)."""

    @property
    def overflows(self) -> int:
        """Input overflows (audio lost) of the stream started last."""
        return self._overflows.total

    def start(self, refresh: bool = True) -> None:
        """Open the device and begin delivering chunks (``refresh``: see ``devices``)."""
        if self._stream is not None:
            return
        require()
        self._stopping.clear()
        self._reported.clear()
        try:
            stream = call_within(
                OPEN_S,
                locked(lambda: self._open_device(refresh), OPEN_S),
                "opening the microphone",
                late=close_stream,
            )
        except Overdue as exc:
            self._stopping.set()
            leave_behind()
            name = self.device.name if self.device else "microphone"
            raise DeviceError(
                f"The microphone '{name}' did not open within {exc.seconds:g} s: {NOT_ANSWERING}.",
                hint=HINT,
            ) from None
        self._stream = stream
        self._last_audio = time.monotonic()
        self._heard = False
        self._overflows = OverflowWarnings()
        self._watchdog = threading.Thread(target=self._watch, name="mic-watchdog", daemon=True)
        self._watchdog.start()
        assert self.device is not None
        log.info(
            "listening on %s at %d Hz (delivering %d Hz)",
            self.device.name,
            self.device_rate,
            self.rate,
        )

    def _open_device(self, refresh: bool) -> Any:
        """Choose the device and open a stream on it (on a helper thread, holding the lock)."""
        self.device = pick(read_devices(refresh), self.device_choice, want_input=True)
        self.device_rate = self.device.default_rate or self.rate
        self._resampler = Resampler(self.device_rate, self.rate)
        self._clock, self._samples = StreamClock(), SampleClock(self.device_rate)
        problem: Exception | None = None
        for channels in (1, 2) if self.device.inputs >= 2 else (1,):
            try:
                stream = self._open(self.device.index, channels)
            except (sd.PortAudioError, OSError, ValueError) as exc:  # some only do stereo
                problem = exc
                continue
            open_streams[id(stream)] = stream
            return stream
        raise DeviceError(
            f"The microphone '{self.device.name}' could not be opened: {problem}",
            hint="Check it is plugged in; the keyboard still works.",
        ) from problem

    def _open(self, index: int, channels: int) -> Any:
        stream = sd.RawInputStream(
            samplerate=self.device_rate,
            blocksize=self.device_rate * self.chunk_ms // 1000,
            device=index,
            channels=channels,
            dtype="int16",
            latency="low",
            callback=self._callback,
            finished_callback=self._finished,
        )
        self._channels = channels
        try:
            stream.start()
        except BaseException:
            stream.close(ignore_errors=True)
            raise
        return stream

    def stop(self) -> None:
        """Stop capturing (safe to call twice, or after a problem); returns within
        ``close_s``: a device that does not close by then is left behind and reported lost."""
        self._stopping.set()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            call_within(self.close_s, locked(lambda: close_stream(stream), None), "closing")
        except Overdue:
            self.left_behind = True
            leave_behind()
            self._report(
                f"the microphone stopped answering (it did not close within {self.close_s:g} s)",
                stopping=True,
            )

    @property
    def active(self) -> bool:
        """Whether chunks are being delivered."""
        return self._stream is not None and not self._reported.is_set()

    def __enter__(self) -> Microphone:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _callback(self, indata: Any, frames: int, timing: Any, status: Any) -> None:
        if self._stopping.is_set():
            return
        self._last_audio = now = time.monotonic()
        adc, current = timing.inputBufferAdcTime, timing.currentTime
        if adc > 0 and current > 0:
            start = self._samples.block(self._clock.monotonic(adc, current, now), frames)
            self.captured_at = start + frames / max(self.device_rate, 1)
        self._heard = True
        if status.input_overflow:
            self._overflowed()
        try:
            assert self._resampler is not None
            samples = to_mono(np.frombuffer(bytes(indata), dtype="<i2"), self._channels)
            chunk = self._resampler.process(samples).astype("<i2").tobytes()
            if chunk:
                self.on_chunk(chunk)
        except Exception as exc:  # never let anything escape onto the audio thread
            self._report(f"audio could not be handled ({exc})")
            raise sd.CallbackAbort from exc

    def _overflowed(self) -> None:
        """Audio was lost: the computer did not read it in time (a warning, rate-limited)."""
        count = self._overflows.note(self._last_audio)
        if count is None:
            log.debug("input overflow")
            return
        name = self.device.name if self.device else "microphone"
        log.warning(
            "microphone %s: audio lost %d time(s) (input overflow: the computer was too busy "
            "to read it in time; %d so far on this stream)",
            name,
            count,
            self._overflows.total,
        )

    def _finished(self) -> None:
        if not (self._stopping.is_set() or exiting.is_set()):
            self._report("the microphone stopped")

    def _watch(self) -> None:
        logged = time.monotonic()
        while not self._stopping.wait(min(0.25, self.stall_s / 2)):
            if time.monotonic() - logged > CLOCK_LOG_S:
                logged = time.monotonic()
                log.debug(
                    "input clock: %d moves, told times up to %.1f ms away",
                    self._samples.moves,
                    self._samples.worst * 1000,
                )
                self._samples.worst = 0.0
            limit = self.stall_s if self._heard else self.first_audio_s
            if time.monotonic() - self._last_audio > limit:
                self._report(f"no sound has come from the microphone for {limit:g} s")
                threading.Thread(target=self.stop, name="mic-stop", daemon=True).start()
                return

    def _report(self, detail: str, stopping: bool = False) -> None:
        """Tell ``on_problem`` once; after ``stop`` only when ``stopping`` (stop itself)."""
        with self._lock:
            if self._reported.is_set() or (self._stopping.is_set() and not stopping):
                return
            self._reported.set()
        name = self.device.name if self.device else "microphone"
        log.warning("microphone %s: %s", name, detail)
        if self.on_problem is not None:
            self.on_problem(f"{name}: {detail}")
