"""The screen's answer to a reminder being asked: a small file the page writes, the daemon reads.

The page and the daemon are separate processes. When the person presses Start, Later, Stop or
It hurts on the page while the daemon asks, the screen writes ``reminder-answer.json`` in the
data folder; the daemon's reminder takes it as an answer (like a key press) and removes it. An
answer written before the reminder began, or not understood, is removed and ignored.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path

from companion.commands import Command
from companion.events import Heard, Listen
from companion.files import write_atomic
from companion.inputs.base import Sink

log = logging.getLogger(__name__)
FILE_NAME = "reminder-answer.json"
ANSWERS = frozenset({Command.START, Command.LATER, Command.STOP, Command.HURTS})
"""What the page can answer (its Start and Later, and its Stop and It hurts, always shown)."""
LOOK_EVERY_S = 0.2


def answer_file(data_dir: Path) -> Path:
    """Where the page's answer is written."""
    return data_dir / FILE_NAME


def write(data_dir: Path, command: Command, now: dt.datetime) -> None:
    """The page answers the reminder being asked (owner-only, written all or nothing)."""
    if command not in ANSWERS:
        raise ValueError(f"not an answer to a reminder: {command}")
    body = json.dumps({"command": command.value, "at": now.isoformat()})
    write_atomic(answer_file(data_dir), body)


def take(data_dir: Path, since: dt.datetime) -> Command | None:
    """The page's answer written at or after ``since`` (the file is removed either way)."""
    path = answer_file(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    try:
        path.unlink()  # whoever removes it acts on it (the page takes back an answer not taken)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.info("the page's answer could not be removed: %s", exc)
    try:
        data = json.loads(text)
        command = Command(data["command"])
        at = dt.datetime.fromisoformat(data["at"])
        fresh = at.tzinfo is not None and at >= since
    except (ValueError, KeyError, TypeError) as exc:
        log.info("the page's answer was not understood: %s", exc)
        return None
    return command if fresh and command in ANSWERS else None


class PageAnswerSource:
    """An input source for one reminder: the page's Start or Later, as a command heard."""

    def __init__(self, data_dir: Path, since: dt.datetime, every_s: float = LOOK_EVERY_S) -> None:
        self._data_dir, self._since, self._every = data_dir, since, every_s
        self._closed = threading.Event()
        self._handing = threading.Lock()
        """Held while an answer is taken and handed on: once ``close`` returns, none is."""
        self._thread: threading.Thread | None = None

    def start(self, sink: Sink) -> None:
        """Look for the page's answer until the reminder ends."""
        self._thread = threading.Thread(
            target=self._run, args=(sink,), name="page-answer", daemon=True
        )
        self._thread.start()

    def listen(self, listen: Listen) -> None:
        """Nothing to do: the page's answers are always the same four."""

    def close(self) -> None:
        self._closed.set()
        with self._handing:  # an answer being taken reaches the sink before this returns
            pass
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _run(self, sink: Sink) -> None:
        while not self._closed.wait(self._every):
            with self._handing:
                if self._closed.is_set():
                    return  # closed: the file is left for the page to take back
                command = take(self._data_dir, self._since)
                if command is not None:
                    sink(Heard(command, source="screen", text=command.value))
