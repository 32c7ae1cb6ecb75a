"""Sound devices through sounddevice (the only module importing it): list, capture, play.

Every call into PortAudio that can block (re-reading the devices, opening, stopping and closing
a stream, playing) runs with a deadline (``companion.bounded``): a sound server that stops
answering, or a USB microphone pulled out, can leave PortAudio blocked for good, and the
session must go on with the keyboard. A stream that does not close in time is left behind
(kept open and never touched again), and the device is reported lost once.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

from companion.audio.overflow import OverflowWarnings
from companion.audio.resample import Resampler, to_mono
from companion.bounded import Overdue, call_within
from companion.errors import DeviceError

log = logging.getLogger(__name__)

try:
    import sounddevice as sd
except OSError as _exc:  # the PortAudio library itself is missing
    sd = None
    _MISSING = str(_exc)
else:
    _MISSING = ""


def _audio() -> Any:
    """The sounddevice module, or a DeviceError saying how to get PortAudio."""
    if sd is None:
        raise DeviceError(
            f"Sound is not available: {_MISSING}.",
            hint="Install PortAudio (Debian/Ubuntu: apt-get install libportaudio2).",
        )
    return sd


ChunkSink = Callable[[bytes], None]
"""Receives 16-bit mono PCM at the recogniser's rate; called on the audio thread, so it must
only hand the bytes over (``queue.put_nowait``)."""

ProblemSink = Callable[[str], None]
"""Told once, in plain words, that the microphone failed or went away; may be called on the
audio thread, so it must only hand the message over (and never call ``Microphone.stop``)."""


@dataclass(frozen=True)
class AudioDevice:
    """One sound device as the audio system reports it."""

    index: int
    name: str
    inputs: int
    """Input channels (0 for a speaker)."""
    outputs: int
    """Output channels (0 for a microphone)."""
    default_rate: int
    """The device's own sample rate."""
    host_api: str
    default_input: bool = False
    default_output: bool = False


OPEN_S = 10.0
"""Longest wait for the audio system to list its devices or open a microphone."""
CLOSE_S = 3.0
"""Longest wait for a microphone to stop; past it the stream is left behind."""
PLAY_GRACE_S = 10.0
"""How much longer than the sound itself ``play`` may take."""

_open_streams: dict[int, Any] = {}
"""Streams of this module not yet closed (left-behind ones too, which this keeps alive);
PortAudio is only re-read while there are none."""
_portaudio = threading.Lock()
"""Held while PortAudio is re-read or a stream is opened or closed (never in callbacks); only
ever taken on a helper thread of ``call_within``, so a blocked holder blocks no caller."""
_exiting = threading.Event()
"""Set when the process exits: streams closed then are not reported as failing."""
_NOT_ANSWERING = "the sound system is not answering"
_HINT = "Plug the microphone in again or restart the sound system; the keyboard still works."
T = TypeVar("T")


def _locked(fn: Callable[[], T], wait_s: float | None) -> Callable[[], T]:
    """``fn`` to run holding the PortAudio lock, waiting for it ``wait_s`` (None: for good)."""

    def run() -> T:
        if not _portaudio.acquire(timeout=-1 if wait_s is None else wait_s):
            raise DeviceError(f"Sound cannot be used: {_NOT_ANSWERING}.", hint=_HINT)
        try:
            return fn()
        finally:
            _portaudio.release()

    return run


def _leave_behind() -> None:
    """A stream is blocked inside PortAudio: sounddevice's exit handler would close it (and
    hang the exit), so it is not run; the system frees everything when the process ends."""
    atexit.unregister(sd._exit_handler)


@atexit.register  # after sounddevice's, so it runs first
def _close_at_exit() -> None:
    """Close what is still open before sounddevice's exit handler does it without a deadline
    (a stream still open at finalisation would call into a dying interpreter); a stream that
    does not close in time, or is stuck closing, makes that handler be skipped."""
    _exiting.set()
    for stream in list(_open_streams.values()) if sd is not None else []:
        try:
            call_within(CLOSE_S, _locked(partial(_close_stream, stream), CLOSE_S), "exit")
        except (Overdue, DeviceError):
            _leave_behind()
            return


def devices(refresh: bool = True) -> list[AudioDevice]:
    """Every sound device; ``refresh`` asks the audio system again (devices plugged in since,
    or an audio server started since), unless a stream of ours is open."""
    _audio()
    try:
        return call_within(OPEN_S, _locked(lambda: _read_devices(refresh), OPEN_S), "listing")
    except Overdue as exc:
        _leave_behind()
        raise DeviceError(
            f"The sound devices could not be listed within {exc.seconds:g} s: {_NOT_ANSWERING}.",
            hint=_HINT,
        ) from None


def _read_devices(refresh: bool) -> list[AudioDevice]:
    """``devices``, holding the PortAudio lock."""
    try:
        if refresh and not _open_streams:
            sd._terminate()
            sd._initialize()
        raw: Any = sd.query_devices()
        apis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except (sd.PortAudioError, OSError) as exc:
        raise DeviceError(f"The audio system cannot be used: {exc}") from exc
    if default_in is None or default_in < 0:
        default_in = apis[0]["default_input_device"] if apis else -1
    if default_out is None or default_out < 0:
        default_out = apis[0]["default_output_device"] if apis else -1
    return [
        AudioDevice(
            index=int(d["index"]),
            name=str(d["name"]),
            inputs=int(d["max_input_channels"]),
            outputs=int(d["max_output_channels"]),
            default_rate=int(d["default_samplerate"]),
            host_api=str(apis[d["hostapi"]]["name"]),
            default_input=d["index"] == default_in,
            default_output=d["index"] == default_out,
        )
        for d in raw
    ]


def choose(
    choice: str | int | None, *, want_input: bool = True, refresh: bool = False
) -> AudioDevice:
    """The device by index, exact name or unique part of its name (None: the default one)."""
    return _pick(devices(refresh), choice, want_input)


def _pick(
    found_devices: list[AudioDevice], choice: str | int | None, want_input: bool
) -> AudioDevice:
    """``choose`` among ``found_devices``."""
    kind = "microphone" if want_input else "speaker"
    usable = [d for d in found_devices if (d.inputs if want_input else d.outputs) > 0]
    if not usable:
        raise DeviceError(
            f"No {kind} was found.",
            hint="Plug one in, or use the keyboard (companion devices lists them).",
        )
    if choice is None or choice == "":
        flag = "default_input" if want_input else "default_output"
        return next((d for d in usable if getattr(d, flag)), usable[0])
    text = str(choice).strip()
    if text.isdigit():
        found = [d for d in usable if d.index == int(text)]
    else:
        found = [d for d in usable if d.name.lower() == text.lower()] or [
            d for d in usable if text.lower() in d.name.lower()
        ]
    if len(found) == 1:
        return found[0]
    names = ", ".join(f"{d.index} {d.name}" for d in (found or usable))
    what = "matches several" if found else "matches no"
    raise DeviceError(
        f"'{choice}' {what} {kind}: {names}.", hint="Give the number shown by: companion devices"
    )


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

    def start(self, refresh: bool = True) -> None:
        """Open the device and begin delivering chunks (``refresh``: see ``devices``)."""
        if self._stream is not None:
            return
        _audio()
        self._stopping.clear()
        self._reported.clear()
        try:
            stream = call_within(
                OPEN_S,
                _locked(lambda: self._open_device(refresh), OPEN_S),
                "opening the microphone",
                late=_close_stream,
            )
        except Overdue as exc:
            self._stopping.set()
            _leave_behind()
            name = self.device.name if self.device else "microphone"
            raise DeviceError(
                f"The microphone '{name}' did not open within {exc.seconds:g} s: {_NOT_ANSWERING}.",
                hint=_HINT,
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
        self.device = _pick(_read_devices(refresh), self.device_choice, want_input=True)
        self.device_rate = self.device.default_rate or self.rate
        self._resampler = Resampler(self.device_rate, self.rate)
        problem: Exception | None = None
        for channels in (1, 2) if self.device.inputs >= 2 else (1,):
            try:
                stream = self._open(self.device.index, channels)
            except (sd.PortAudioError, OSError, ValueError) as exc:  # some only do stereo
                problem = exc
                continue
            _open_streams[id(stream)] = stream
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
            call_within(self.close_s, _locked(lambda: _close_stream(stream), None), "closing")
        except Overdue:
            self.left_behind = True
            _leave_behind()
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

    def _callback(self, indata: Any, _frames: int, _time: Any, status: Any) -> None:
        if self._stopping.is_set():
            return
        self._last_audio = time.monotonic()
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
        if not (self._stopping.is_set() or _exiting.is_set()):
            self._report("the microphone stopped")

    def _watch(self) -> None:
        while not self._stopping.wait(min(0.25, self.stall_s / 2)):
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


def _close_stream(stream: Any) -> None:
    """Abort and close ``stream`` (holding the lock; may block for good inside PortAudio);
    nothing if it is closed already."""
    if id(stream) not in _open_streams:
        return
    try:
        stream.abort(ignore_errors=True)
        stream.close(ignore_errors=True)
    except (sd.PortAudioError, OSError) as exc:
        log.debug("closing the stream: %s", exc)
    _open_streams.pop(id(stream), None)


def play(pcm16: bytes, rate: int, device: str | int | None = None) -> None:
    """Play 16-bit mono PCM and wait until it has finished (for the speech output); a
    DeviceError when the speaker fails or has not finished ``PLAY_GRACE_S`` after the sound."""
    out = choose(device, want_input=False)
    samples = np.frombuffer(pcm16, dtype="<i2")
    seconds = len(samples) / rate + PLAY_GRACE_S
    try:
        call_within(
            seconds,
            lambda: sd.play(samples, samplerate=rate, device=out.index, blocking=True),
            "playing",
        )
    except Overdue:
        _leave_behind()
        raise DeviceError(
            f"The speaker '{out.name}' did not finish playing: {_NOT_ANSWERING}.", hint=_HINT
        ) from None
    except (sd.PortAudioError, OSError) as exc:
        raise DeviceError(f"The speaker '{out.name}' could not be used: {exc}") from exc
