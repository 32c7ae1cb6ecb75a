"""The sound system (PortAudio through sounddevice; the only module importing it): the
deadlines and the lock every blocking call into it runs under, and the streams still open.

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
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

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


def require() -> Any:
    """The sounddevice module, or a DeviceError saying how to get PortAudio."""
    if sd is None:
        raise DeviceError(
            f"Sound is not available: {_MISSING}.",
            hint="Install PortAudio (Debian/Ubuntu: apt-get install libportaudio2).",
        )
    return sd


OPEN_S = 10.0
"""Longest wait for the audio system to list its devices or open a microphone."""
CLOSE_S = 3.0
"""Longest wait for a microphone to stop; past it the stream is left behind."""

open_streams: dict[int, Any] = {}
"""Streams of this package not yet closed (left-behind ones too, which this keeps alive);
PortAudio is only re-read while there are none."""
_portaudio = threading.Lock()
"""Held while PortAudio is re-read or a stream is opened or closed (never in callbacks); only
ever taken on a helper thread of ``call_within``, so a blocked holder blocks no caller."""
exiting = threading.Event()
"""Set when the process exits: streams closed then are not reported as failing."""
NOT_ANSWERING = "the sound system is not answering"
HINT = "Plug the microphone in again or restart the sound system; the keyboard still works."
T = TypeVar("T")


def locked(fn: Callable[[], T], wait_s: float | None) -> Callable[[], T]:
    """``fn`` to run holding the PortAudio lock, waiting for it ``wait_s`` (None: for good)."""

    def run() -> T:
        if not _portaudio.acquire(timeout=-1 if wait_s is None else wait_s):
            raise DeviceError(f"Sound cannot be used: {NOT_ANSWERING}.", hint=HINT)
        try:
            return fn()
        finally:
            _portaudio.release()

    return run


def leave_behind() -> None:
    """A stream is blocked inside PortAudio: sounddevice's exit handler would close it (and
    hang the exit), so it is not run; the system frees everything when the process ends."""
    atexit.unregister(sd._exit_handler)


@atexit.register  # after sounddevice's, so it runs first
def _close_at_exit() -> None:
    """Close what is still open before sounddevice's exit handler does it without a deadline
    (a stream still open at finalisation would call into a dying interpreter); a stream that
    does not close in time, or is stuck closing, makes that handler be skipped."""
    exiting.set()
    for stream in list(open_streams.values()) if sd is not None else []:
        try:
            call_within(CLOSE_S, locked(partial(close_stream, stream), CLOSE_S), "exit")
        except (Overdue, DeviceError):
            leave_behind()
            return


def close_stream(stream: Any) -> None:
    """Abort and close ``stream`` (holding the lock; may block for good inside PortAudio);
    nothing if it is closed already."""
    if id(stream) not in open_streams:
        return
    try:
        stream.abort(ignore_errors=True)
        stream.close(ignore_errors=True)
    except (sd.PortAudioError, OSError) as exc:
        log.debug("closing the stream: %s", exc)
    open_streams.pop(id(stream), None)
