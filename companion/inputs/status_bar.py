"""The status line pinned to the bottom rows of a terminal: captions scroll above it, so where the
session is and which keys work now never scroll away (a terminal scroll region, from terminfo)."""

from __future__ import annotations

import curses
import logging
import os
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

log = logging.getLogger(__name__)

MAX_SHARE = 3
"""The status line takes at most one row in this many of the terminal's rows."""


@dataclass(frozen=True)
class Caps:
    """The terminal's own control sequences (terminfo) that pinning needs."""

    region: bytes
    """csr: set the scroll region (top, bottom row)."""
    save: bytes
    """sc: remember the cursor."""
    restore: bytes
    """rc: go back to the remembered cursor."""
    move: bytes
    """cup: put the cursor at (row, column)."""
    clear_below: bytes
    """ed: clear from the cursor to the end of the screen."""
    up: bytes
    """cuu: move the cursor up n rows."""

    @classmethod
    def load(cls, term: str | None, fd: int) -> Caps | None:
        """The sequences of terminal type ``term`` (None: $TERM), or None if it lacks any."""
        try:
            curses.setupterm(term, fd)
        except curses.error as exc:  # no TERM, or a type terminfo does not know
            log.info("status line not pinned: %s", exc)
            return None
        names = ("csr", "sc", "rc", "cup", "ed", "cuu")
        found = [curses.tigetstr(name) for name in names]
        if not all(found):
            log.info("status line not pinned: the terminal has no scroll region")
            return None
        return cls(*(f for f in found if f is not None))

    def text(self, cap: bytes, *params: int) -> str:
        """One sequence as text, with its parameters filled in."""
        raw = curses.tparm(cap, *params) if params else cap
        return raw.decode("ascii", "replace")


Size = Callable[[], tuple[int, int]]
"""Returns the terminal's (rows, columns); 0 when unknown."""


class PinnedStatus:
    """Keeps one status text in the terminal's bottom rows while everything else scrolls above.

    Each ``show`` redraws the text there and puts the cursor back where the captions were; the
    rows grow (never shrink) to fit the longest text, up to a third of the terminal, and a text
    longer than that is cut. ``close`` gives the whole terminal back and clears the rows."""

    def __init__(self, stream: TextIO, caps: Caps, size: Size) -> None:
        self._stream = stream
        self._caps = caps
        self._size = size
        self._shape: tuple[int, int] = (0, 0)
        self._reserved = 0
        self._broken = False

    @classmethod
    def for_terminal(cls, stream: TextIO) -> PinnedStatus | None:
        """Pinned on ``stream`` if it is a terminal of known size that has a scroll region, else
        None (then the caller prints the status line as an ordinary line)."""
        try:
            if not stream.isatty():
                return None
            fd = stream.fileno()
            rows, columns = _terminal_size(fd)
        except (OSError, ValueError):
            return None
        if rows < 6 or columns < 20:  # unknown (a bare pty reports 0) or too small to share
            return None
        caps = Caps.load(None, fd)
        return cls(stream, caps, lambda: _terminal_size(fd)) if caps is not None else None

    def show(self, text: str) -> None:
        """Draw ``text`` in the pinned rows, wrapped at word ends (cut if it would take more than
        a third of the terminal)."""
        try:
            rows, columns = self._size()
        except OSError:
            return
        if rows < 6 or columns < 20:
            return
        out = ""
        if (rows, columns) != self._shape:  # the first time, or the window was resized
            out += self._resized(rows)
            self._shape = (rows, columns)
        lines = textwrap.wrap(" ".join(text.splitlines()), columns) or [""]
        lines = lines[: max(1, rows // MAX_SHARE)]
        if len(lines) > self._reserved:
            out += self._grow(len(lines))
        c = self._caps
        top = rows - self._reserved
        out += c.text(c.save) + c.text(c.move, top, 0) + c.text(c.clear_below)
        for n, line in enumerate(lines):  # each row placed, never wrapped by the terminal
            out += c.text(c.move, top + n, 0) + line
        self._write(out + c.text(c.restore))

    def close(self) -> None:
        """Give the whole terminal back to scrolling text and clear the status rows."""
        if self._reserved == 0:
            return
        rows, _ = self._shape
        c = self._caps
        out = c.text(c.save) + c.text(c.region, 0, rows - 1) + c.text(c.restore)
        out += c.text(c.save) + c.text(c.move, rows - self._reserved, 0) + c.text(c.clear_below)
        out += c.text(c.restore)
        self._reserved = 0
        self._write(out)

    def _resized(self, rows: int) -> str:
        """Start again with no rows reserved (the whole terminal scrolls)."""
        self._reserved = 0
        c = self._caps
        return c.text(c.save) + c.text(c.region, 0, rows - 1) + c.text(c.restore)

    def _grow(self, need: int) -> str:
        """Take ``need`` rows at the bottom: scroll what is above up out of their way first."""
        rows, _ = self._shape
        more = need - self._reserved
        self._reserved = need
        c = self._caps
        return (
            "\n" * more
            + c.text(c.up, more)
            + c.text(c.save)
            + c.text(c.region, 0, rows - need - 1)
            + c.text(c.restore)
        )

    def _write(self, out: str) -> None:
        try:
            self._stream.write(out)
            self._stream.flush()
        except (OSError, ValueError) as exc:  # the terminal has gone: the session goes on
            if not self._broken:
                log.warning("the status line cannot be shown: %s", exc)
            self._broken = True


def _terminal_size(fd: int) -> tuple[int, int]:
    size = os.get_terminal_size(fd)
    return size.lines, size.columns
