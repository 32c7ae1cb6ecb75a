"""What the session page shows right now, shared between the session's loop and the web server.

The loop's thread updates it; each open page holds a subscription (an asyncio queue) and gets
every new snapshot at once. Presses on the page go back as events through the same sink the
keyboard uses, so the page is just another input.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from companion.commands import Command
from companion.events import Heard
from companion.inputs.base import Sink

log = logging.getLogger(__name__)
UNCHECKED = frozenset(
    {
        Command.STOP,
        Command.HURTS,
        Command.EMERGENCY,
        Command.REPEAT,
        Command.HELP,
        Command.SLOWER,
        Command.FASTER,
        Command.LOUDER,
        Command.QUIETER,
        Command.HOW_MANY,
    }
)
"""Presses that act whatever the page showed (stop and "it hurts" always work); every other
press answers the question the page showed, and only once (see ``Live.press``)."""
ANSWERED = "ui.screen.answered"
CHANGED = "ui.screen.changed"
NO_SESSION = "ui.screen.no_session"
"""Why a press was not passed on: the key of the page's message (prompts ui.toml [screen])."""

IDLE: dict[str, Any] = {
    "running": False,
    "caption": "",
    "said": "",
    "exercise": "",
    "exercise_name": "",
    "context": "",
    "stage": "",
    "commands": [],
    "set_no": 0,
    "sets": 0,
    "rep": 0,
    "reps": 0,
    "timed": False,
    "day_done": 0.0,
    "ended": "",
    "reminder": None,
    "asked": "",
    "version": 0,
}
"""The state before any session (and the keys every snapshot has)."""


class Live:
    """The session page's state and the way back from its buttons (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, Any] = dict(IDLE)
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]]
        self._subscribers = []
        self._sink: Sink | None = None
        self._voice: Callable[[str], None] | None = None
        self._answered = ""
        """The question (``asked``) a press from the page has already answered."""

    def snapshot(self) -> dict[str, Any]:
        """A copy of the current state."""
        with self._lock:
            return dict(self._state)

    def update(self, **changes: Any) -> None:
        """Change some fields and send the new state to every open page."""
        with self._lock:
            self._state.update(changes)
            self._state["version"] += 1
            state = dict(self._state)
            subscribers = list(self._subscribers)
        for loop, q in subscribers:
            try:
                loop.call_soon_threadsafe(q.put_nowait, state)
            except RuntimeError:  # that page's event loop has closed
                log.debug("a closed page missed an update")

    def reset(self) -> None:
        """Back to the state before any session (kept: the version count)."""
        with self._lock:
            version = self._state["version"]
            self._state = dict(IDLE, version=version)
        self.update()

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        """A queue that receives every snapshot from now on (for one open page)."""
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), q)
        with self._lock:
            self._subscribers.append(entry)
        try:
            yield q
        finally:
            with self._lock:
                self._subscribers.remove(entry)

    def connect(self, sink: Sink | None) -> None:
        """Where presses go (the session loop's queue), or None when no session runs."""
        with self._lock:
            self._sink = sink

    def connect_voice(self, say: Callable[[str], None] | None) -> None:
        """How the running session says a line of the screen's own (after its current line),
        or None when no session's voice is there."""
        with self._lock:
            self._voice = say

    def session_voice(self) -> Callable[[str], None] | None:
        """The running session's voice for the screen's own lines (None: no session speaks)."""
        with self._lock:
            return self._voice

    def press(
        self, command: Command, value: int | None = None, asked: str | None = None
    ) -> str | None:
        """A button on the page: hand the command to the session; None if it was, else why not
        (the key of the message the page shows: ``ANSWERED``, ``CHANGED``, ``NO_SESSION``).

        ``asked`` is the question the page showed (its snapshot's ``asked``; None: not known).
        An answer to a question no longer asked (a stale page, another tab), or a second answer
        to the same one (a double click), is refused: it would answer a question the user has
        not seen. Stop, "it hurts" and the other ``UNCHECKED`` presses always go through."""
        with self._lock:
            sink = self._sink
            if sink is not None and asked is not None and command not in UNCHECKED:
                if asked != self._state["asked"]:
                    return CHANGED
                if asked and asked == self._answered:
                    return ANSWERED
                self._answered = asked
        if sink is None:
            return NO_SESSION
        text = command.value if value is None else str(value)
        sink(Heard(command, value, source="screen", text=text))
        return None
