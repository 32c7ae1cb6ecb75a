"""Blocking calls into devices and other programs, each given a deadline: the call runs on a
daemon thread, the caller waits at most so long, and a call past its deadline is left behind
(never killed: C code cannot be interrupted), so no device can freeze the session."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Overdue(Exception):
    """The call did not finish within its deadline; it may still finish later, unobserved."""

    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(f"{what} did not finish within {seconds:g} s")
        self.what = what
        self.seconds = seconds


class Call(Generic[T]):
    """One call on its own daemon thread (``start``); whoever comes second, the caller's
    ``wait`` or the call's end, decides what happens to the result."""

    def __init__(self, fn: Callable[[], T], late: Callable[[T], None] | None = None) -> None:
        self._fn = fn
        self._late = late
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._abandoned = False
        self._result: T | None = None
        self._error: BaseException | None = None

    def start(self, what: str) -> Call[T]:
        """Start the call on its daemon thread."""
        name = "bounded-" + what.replace(" ", "-")[:40]
        threading.Thread(target=self._run, name=name, daemon=True).start()
        return self

    def ended(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the call to end (after ``wait`` gave up on it, say)."""
        return self._done.wait(seconds)

    def _run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # handed to the caller, or logged when it has gone
            with self._lock:
                self._error = exc
                self._done.set()
                abandoned = self._abandoned
            if abandoned:
                log.info("a call left behind failed later: %s", exc)
            return
        with self._lock:
            self._result = result
            self._done.set()
            abandoned = self._abandoned
        if abandoned and self._late is not None:
            try:
                self._late(result)
            except Exception:
                log.exception("cleaning up after a call left behind")

    def wait(self, seconds: float, what: str) -> T:
        """The result (or exception); ``Overdue`` after ``seconds``, and the call is left."""
        self._done.wait(seconds)
        with self._lock:
            if not self._done.is_set():
                self._abandoned = True
                raise Overdue(what, seconds)
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


def call_within(
    seconds: float,
    fn: Callable[[], T],
    what: str,
    *,
    late: Callable[[T], None] | None = None,
) -> T:
    """``fn()``'s result (or exception), or ``Overdue`` after ``seconds``.

    Past the deadline ``fn`` goes on running on its daemon thread; if it then returns,
    ``late(result)`` is called there (e.g. to close a stream opened too late to be wanted).
    """
    return Call(fn, late).start(what).wait(seconds, what)
