"""The daemon's signals: SIGTERM and SIGINT stop it (raised on the main thread); SIGHUP reloads."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any


class Stop(BaseException):
    """SIGTERM or SIGINT: leave the loop and shut down cleanly."""


@contextlib.contextmanager
def handled(reload: Callable[[], None]) -> Iterator[None]:
    """While inside: SIGTERM/SIGINT raise Stop, SIGHUP calls ``reload``; restored after."""

    def stop(signum: int, frame: FrameType | None) -> None:
        raise Stop()

    def hup(signum: int, frame: FrameType | None) -> None:
        reload()

    previous: dict[signal.Signals, Any] = {}
    try:
        for sig, handler in ((signal.SIGTERM, stop), (signal.SIGINT, stop), (signal.SIGHUP, hup)):
            previous[sig] = signal.signal(sig, handler)
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
