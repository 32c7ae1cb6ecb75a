"""Single keys from a terminal in cbreak mode, read on a thread of their own."""

from __future__ import annotations

import logging
import os
import select
import sys
import termios
import threading
import tty
from collections.abc import Callable
from typing import Any, TextIO

log = logging.getLogger(__name__)

CLOSE_S = 1.0
"""How long closing waits for the key reader to stop."""


class TerminalKeys:
    """Single keys from a terminal (cbreak mode), each handed to ``on_key`` from a thread of
    their own; the terminal is restored on close. Under ``KeyboardSource`` (session and
    reminder keys) and ``companion voice teach`` (its own keys)."""

    def __init__(
        self,
        stream: TextIO,
        on_key: Callable[[str], None] | Callable[[str | None], None],
        *,
        idle: bool = False,
    ) -> None:
        self._stream = stream
        self._on_key: Callable[[Any], None] = on_key
        self._idle = idle
        """Also call ``on_key(None)`` every 50 ms without a key (timing a held switch)."""
        self._closed = threading.Event()
        self._saved: list[Any] | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_terminal(cls, on_key: Callable[[str], None]) -> TerminalKeys | None:
        """Keys from standard input if it is a terminal, else None."""
        return cls(sys.stdin, on_key) if sys.stdin.isatty() else None

    def __enter__(self) -> TerminalKeys:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Switch the terminal to key-by-key reading and start the reader thread."""
        fd = self._stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self._thread = threading.Thread(target=self._run, daemon=True, name="keys")
        self._thread.start()

    def close(self) -> None:
        """Stop reading and restore the terminal (never waiting on it for long: the reader
        gets ``CLOSE_S``, and the settings are restored at once, not after pending output)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=CLOSE_S)
            if self._thread.is_alive():
                log.warning("the key reader did not stop within %g s; left behind", CLOSE_S)
        if self._saved is not None:
            saved, self._saved = self._saved, None
            try:
                termios.tcsetattr(self._stream.fileno(), termios.TCSANOW, saved)
            except (termios.error, OSError, ValueError) as exc:  # the terminal has gone
                log.info("terminal settings not restored: %s", exc)

    def _run(self) -> None:
        fd = self._stream.fileno()
        while not self._closed.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                data = os.read(fd, 1) if ready else None
            except OSError as exc:  # the terminal hung up (EIO)
                log.debug("reading the terminal: %s", exc)
                data = b""
            if data == b"":  # at its end a terminal reads empty for ever: stop
                log.info("the terminal has closed; keys are no longer read")
                return
            if data:
                self._on_key(data.decode("utf-8", "replace"))
            elif self._idle:
                self._on_key(None)
