"""Keyboard and single-switch input from the terminal: the session's key source, showing the
key map and a status line (the keys are decoded by ``key_decoder``, read by ``terminal_keys``)."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from companion.commands import Vocabulary
from companion.events import Listen
from companion.inputs.base import Sink
from companion.inputs.key_decoder import SCAN_SECONDS, KeyDecoder
from companion.inputs.keymap import LEGEND, SWITCH_LEGEND, keys_line
from companion.inputs.status_bar import PinnedStatus
from companion.inputs.terminal_keys import TerminalKeys
from companion.prompts import Prompts


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
