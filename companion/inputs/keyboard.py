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

from companion.commands import Command, Context, Vocabulary
from companion.events import Heard, Listen, NotUnderstood
from companion.inputs.base import Sink
from companion.inputs.keymap import (
    ARROWS,
    LEGEND,
    SUGGEST_KEYS,
    SWITCH_LEGEND,
    command_for,
    keys_line,
)
from companion.inputs.scanning import Scanner, scanned
from companion.inputs.status_bar import PinnedStatus
from companion.prompts import Prompts
from companion.prompts import load as load_prompts

log = logging.getLogger(__name__)
LONG_PRESS_S = 0.7
"""A switch press is decided this long after it began (a hold repeats the key meanwhile)."""
HOLD_PRESSES = 3
"""A switch held down (the key repeating) at least this many times: stop."""
TEN_WAIT_S = 0.8
"""After "1" in a number question, how long to wait for a "0" (ten)."""
ESC_WAIT_S = 0.1
"""After Esc, how long to wait for the rest of an arrow key (Esc [ C) before it means stop."""
SCAN_SECONDS = 2.0
"""Switch scanning: how long each choice waits for a press, once said (the routine's
``input.scan_seconds``)."""
CLOSE_S = 1.0
"""How long closing waits for the key reader to stop."""

Out = list[Heard | NotUnderstood]


class KeyDecoder:
    """Pure key logic: keys and their times in, events out (no terminal, no clock).

    Switch mode scans: the choices are offered one at a time and a press picks the one just
    offered; a long hold is "stop" and two quick presses "it hurts"."""

    def __init__(
        self, switch: bool = False, words: Prompts | None = None, scan_s: float = SCAN_SECONDS
    ) -> None:
        self.switch = switch
        self.context = Context.READY
        self.suggested: Command | None = None
        self.scanner: Scanner | None = None
        if switch:
            if words is None:
                words = load_prompts("en")
            self.scanner = Scanner(words, scan_s)
        self._presses: list[float] = []
        self._held = False
        self._digit: tuple[str, float] | None = None
        self._esc: tuple[str, float] | None = None

    def listen(self, listen: Listen) -> None:
        """The session's current context."""
        self.context, self.suggested = listen.context, listen.suggested
        if self.scanner is not None:
            self.scanner.listen(listen.context)

    def expect(self, listen: Listen) -> None:
        """The session is about to ask in ``listen``'s context: keys mean its answers from now
        (a switch's scan follows at ``listen``, once the question is out)."""
        if not self.switch:
            self.context, self.suggested = listen.context, listen.suggested

    def key(self, key: str, at: float) -> Out:
        """A key was read at time ``at`` (seconds)."""
        if self.switch:
            if key in SUGGEST_KEYS:
                self._presses.append(at)
            return []
        out: Out = []
        if self._esc is not None:
            sequence = self._esc[0] + key
            if sequence == "\x1b" + key and key not in "[O":
                self._esc = None
                out += self._decode("\x1b", at)  # Esc, then another key
            elif len(sequence) == 2:
                self._esc = (sequence, at)
                return out
            else:
                self._esc = None
                arrow = ARROWS.get(key)
                if arrow is not None:
                    out.append(Heard(arrow, source="key", text="arrow"))
                return out  # up, down and the rest of a sequence do nothing
        if key == "\x1b":
            self._esc = (key, at)
            return out
        return out + self._decode(key, at)

    def _decode(self, key: str, at: float) -> Out:
        out: Out = []
        if self._digit is not None:
            first, _ = self._digit
            self._digit = None
            if first == "1" and key == "0":
                return [Heard(Command.NUMBER, 10, source="key", text="10")]
            out.append(Heard(Command.NUMBER, int(first), source="key", text=first))
        if key == "1" and self.context == Context.NUMBER:
            self._digit = (key, at)
            return out
        found = command_for(key, self.context, self.suggested)
        if found is None:
            out.append(NotUnderstood(repr(key), source="key"))
        else:
            out.append(Heard(found[0], found[1], source="key", text=key))
        return out

    def idle(self, at: float, quiet: bool = True) -> tuple[Out, str | None]:
        """Time passes with no key (``quiet``: nothing is being said): decide pending keys and
        presses. Returns events and a line to say (a scanned choice)."""
        if self._esc is not None and at - self._esc[1] >= ESC_WAIT_S:
            self._esc = None
            return self._decode("\x1b", at), None
        if self._digit is not None and at - self._digit[1] >= TEN_WAIT_S:
            first, _ = self._digit
            self._digit = None
            return [Heard(Command.NUMBER, int(first), source="key", text=first)], None
        if self._presses:  # the scan holds still until the press is decided
            return self._switch_presses(at), None
        line = self.scanner.tick(at, quiet) if self.scanner is not None else None
        return [], line

    def _switch_presses(self, at: float) -> Out:
        first, last = self._presses[0], self._presses[-1]
        out: Out = []
        holding = len(self._presses) >= HOLD_PRESSES and last - first >= LONG_PRESS_S * 0.5
        if holding and not self._held:
            self._held = True
            out.append(Heard(Command.STOP, source="switch", text="long press"))
        if at - last < 0.15 or at - first < LONG_PRESS_S:
            return out
        presses, held = len(self._presses), self._held
        self._held, self._presses = False, []
        if held:
            return out
        if presses >= 2:
            return [Heard(Command.HURTS, source="switch", text="two presses")]
        if self.scanner is not None and scanned(self.context):
            chosen = self.scanner.press(at)
            return [chosen] if chosen is not None else []
        if self.suggested is None:
            return [NotUnderstood("switch", source="switch")]
        return [Heard(self.suggested, source="switch", text="press")]


class KeyboardSource:
    """Reads the terminal in cbreak mode; shows the key map, and a status line each time the
    session listens, pinned to the bottom of the terminal (``PinnedStatus``) where it can be;
    restores the terminal on close."""

    def __init__(
        self,
        stream: TextIO,
        vocab: Vocabulary,
        switch: bool,
        echo: Callable[[str], None],
        legend: str | None = None,
        *,
        words: Prompts | None = None,
        scan_s: float = SCAN_SECONDS,
        quiet: Callable[[], bool] = lambda: True,
    ) -> None:
        self._stream = stream
        self._decoder = KeyDecoder(switch, words, scan_s)
        self._switch = switch
        self._legend = SWITCH_LEGEND if switch else (legend or LEGEND)
        self._echo = echo
        self._quiet = quiet
        self._keys: TerminalKeys | None = None
        self._status: PinnedStatus | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_terminal(
        cls,
        vocab: Vocabulary,
        switch: bool,
        echo: Callable[[str], None],
        legend: str | None = None,
        **scan: Any,
    ) -> KeyboardSource | None:
        """A source on standard input if it is a terminal, else None (``legend``: the key map
        shown, default the session's; ``scan``: words, scan_s and quiet for a switch)."""
        if not sys.stdin.isatty():
            return None
        return cls(sys.stdin, vocab, switch, echo, legend, **scan)

    def start(self, sink: Sink) -> None:
        """Switch the terminal to key-by-key reading and start the reader thread."""

        def step(key: str | None) -> None:
            now = time.monotonic()
            with self._lock:
                if key is not None:
                    events = self._decoder.key(key, now)
                    echo = None
                else:
                    events, echo = self._decoder.idle(now, self._quiet())
            if echo is not None:
                self._echo(echo)
            for event in events:
                sink(event)

        self._keys = TerminalKeys(self._stream, step, idle=True)
        self._keys.start()
        print(self._legend, file=sys.stderr, flush=True)
        if self._shows_status():
            self._status = PinnedStatus.for_terminal(sys.stderr)

    def expect(self, listen: Listen) -> None:
        """Before the question of ``listen`` is shown: keys typed from now on answer it."""
        with self._lock:
            self._decoder.expect(listen)

    def listen(self, listen: Listen) -> None:
        """Follow the session's context, and show where it is and which keys work now."""
        with self._lock:
            self._decoder.listen(listen)
        if not self._shows_status():
            return
        line = status_line(listen, self._switch)
        if self._status is not None:
            self._status.show(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def _shows_status(self) -> bool:
        return self._legend is LEGEND or self._switch

    def close(self) -> None:
        """Stop reading and restore the terminal (its status rows too)."""
        if self._status is not None:
            self._status.close()
            self._status = None
        if self._keys is not None:
            self._keys.close()
            self._keys = None


def status_line(listen: Listen, switch: bool) -> str:
    """The line kept on screen at each moment: where the session is, what can be said, and
    which keys (or what the switch) do now."""
    keys = (
        "Switch: press at the choice you want; hold = stop; two presses = it hurts"
        if switch
        else f"Keys: {keys_line(listen.context, listen.suggested)}"
    )
    where = f"[{listen.status}]  " if listen.status else ""
    return f"{where}{keys}"


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
