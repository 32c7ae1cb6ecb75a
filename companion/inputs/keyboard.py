"""Keyboard and single-switch input from the terminal, read key by key on a thread of its own."""

from __future__ import annotations

import logging
import os
import select
import sys
import termios
import threading
import time
import tty
from collections.abc import Callable
from typing import Any, TextIO

from companion.commands import Command, Vocabulary
from companion.events import Heard, Listen, NotUnderstood
from companion.inputs.base import Sink
from companion.inputs.keymap import LEGEND, SUGGEST_KEYS, SWITCH_LEGEND, command_for

log = logging.getLogger(__name__)
LONG_PRESS_S = 0.7
"""A switch press is long (stop) when the key repeats for this long."""
NUMBER_PAUSE_S = 2.0
"""Switch mode: the number is chosen after this long without a press."""
TEN_WAIT_S = 0.8
"""After "1" in a number question, how long to wait for a "0" (ten)."""
CLOSE_S = 1.0
"""How long closing waits for the key reader to stop."""


class KeyDecoder:
    """Pure key logic: keys and their times in, events out (no terminal, no clock)."""

    def __init__(self, switch: bool = False) -> None:
        self.switch = switch
        self.context = "ready"
        self.suggested: Command | None = None
        self._presses: list[float] = []
        self._count = -1
        self._last_short = 0.0
        self._held = False
        self._digit: tuple[str, float] | None = None

    def listen(self, listen: Listen) -> None:
        """The session's current context."""
        self.context, self.suggested = listen.context, listen.suggested

    def key(self, key: str, at: float) -> list[Heard | NotUnderstood]:
        """A key was read at time ``at`` (seconds)."""
        if self.switch:
            if key in SUGGEST_KEYS:
                self._presses.append(at)
            return []
        out: list[Heard | NotUnderstood] = []
        if self._digit is not None:
            first, _ = self._digit
            self._digit = None
            if first == "1" and key == "0":
                return [Heard(Command.NUMBER, 10, source="key", text="10")]
            out.append(Heard(Command.NUMBER, int(first), source="key", text=first))
        if key == "1" and self.context == "number":
            self._digit = (key, at)
            return out
        found = command_for(key, self.context, self.suggested)
        if found is None:
            out.append(NotUnderstood(repr(key), source="key"))
        else:
            out.append(Heard(found[0], found[1], source="key", text=key))
        return out

    def idle(self, at: float) -> tuple[list[Heard | NotUnderstood], str | None]:
        """Time passes with no key: decide pending presses. Returns events and an echo line."""
        if self._digit is not None and at - self._digit[1] >= TEN_WAIT_S:
            first, _ = self._digit
            self._digit = None
            return [Heard(Command.NUMBER, int(first), source="key", text=first)], None
        if self._presses:
            return self._switch_presses(at)
        if self._count >= 0 and at - self._last_short >= NUMBER_PAUSE_S:
            value, self._count = self._count, -1
            return [Heard(Command.NUMBER, value, source="switch", text=f"{value}")], None
        return [], None

    def _switch_presses(self, at: float) -> tuple[list[Heard | NotUnderstood], str | None]:
        first, last = self._presses[0], self._presses[-1]
        out: list[Heard | NotUnderstood] = []
        if len(self._presses) >= 3 and last - first >= LONG_PRESS_S * 0.5 and not self._held:
            self._held = True
            self._count = -1
            out.append(Heard(Command.STOP, source="switch", text="long press"))
        if at - last < 0.15 or at - first < LONG_PRESS_S:
            return out, None
        held, self._held, self._presses = self._held, False, []
        if held:
            return out, None
        if self.context == "number":
            self._count += 1
            self._last_short = at
            return [], str(self._count)
        cmd = self.suggested or (Command.YES if self.context == "yesno" else None)
        if cmd is None:
            return [NotUnderstood("switch", source="switch")], None
        return [Heard(cmd, source="switch", text="press")], None


class KeyboardSource:
    """Reads the terminal in cbreak mode; shows the key map; restores the terminal on close."""

    def __init__(
        self,
        stream: TextIO,
        vocab: Vocabulary,
        switch: bool,
        echo: Callable[[str], None],
        legend: str | None = None,
    ) -> None:
        self._stream = stream
        self._decoder = KeyDecoder(switch)
        self._legend = SWITCH_LEGEND if switch else (legend or LEGEND)
        self._echo = echo
        self._keys: TerminalKeys | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_terminal(
        cls,
        vocab: Vocabulary,
        switch: bool,
        echo: Callable[[str], None],
        legend: str | None = None,
    ) -> KeyboardSource | None:
        """A source on standard input if it is a terminal, else None (``legend``: the key map
        shown, default the session's)."""
        if not sys.stdin.isatty():
            return None
        return cls(sys.stdin, vocab, switch, echo, legend)

    def start(self, sink: Sink) -> None:
        """Switch the terminal to key-by-key reading and start the reader thread."""

        def step(key: str | None) -> None:
            now = time.monotonic()
            with self._lock:
                if key is not None:
                    events = self._decoder.key(key, now)
                    echo = None
                else:
                    events, echo = self._decoder.idle(now)
            if echo is not None:
                self._echo(echo)
            for event in events:
                sink(event)

        self._keys = TerminalKeys(self._stream, step, idle=True)
        self._keys.start()
        print(self._legend, file=sys.stderr)

    def listen(self, listen: Listen) -> None:
        """Follow the session's context."""
        with self._lock:
            self._decoder.listen(listen)

    def close(self) -> None:
        """Stop reading and restore the terminal."""
        if self._keys is not None:
            self._keys.close()
            self._keys = None


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
