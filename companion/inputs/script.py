"""Scripted input: one thing the user says per line, handed over each time the session listens."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable

from companion.commands import Command, Context, Vocabulary
from companion.errors import BadInputError
from companion.events import Heard, InputEnded, Listen, NotUnderstood
from companion.inputs.base import Sink

PASSIVE = frozenset({Context.COUNTING, Context.REST})
"""Contexts where the session listens in the background: a line that is no command live there
is kept for the next question instead of interrupting."""
_WAIT = re.compile(r"^wait\s+(\S+)\s*$", re.IGNORECASE)


def to_event(
    vocab: Vocabulary, text: str, live: frozenset[Command] | None
) -> Heard | NotUnderstood:
    """A scripted line as the session hears it: a live command, or not understood."""
    parsed = vocab.parse(text, live)
    if parsed is None:
        return NotUnderstood(text, source="script")
    return Heard(parsed.command, parsed.value, source="script", text=text)


def parse_lines(lines: Iterable[str]) -> list[str | float]:
    """Script lines as phrases (str) and waits (float seconds); blank and # lines dropped."""
    out: list[str | float] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _WAIT.match(line)
        if m:
            try:
                seconds = float(m.group(1))
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= 86400:
                raise BadInputError(
                    f"script line {number}: 'wait' needs a number of seconds "
                    f"from 0 to 86400, not {m.group(1)!r}"
                )
            out.append(seconds)
        else:
            out.append(line)
    return out


class ScriptSource:
    """Hands one scripted line to the session each time it listens; ``wait S`` pauses."""

    def __init__(
        self,
        items: list[str | float],
        vocab: Vocabulary,
        time_scale: float = 1.0,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self._items = list(items)
        self._vocab = vocab
        self._scale = time_scale
        self._ready = ready
        self._latest: Listen | None = None
        self._wanted = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, sink: Sink) -> None:
        """Start handing lines over, from a thread of its own."""
        self._thread = threading.Thread(
            target=self._run, args=(sink,), daemon=True, name="script-input"
        )
        self._thread.start()

    def listen(self, listen: Listen) -> None:
        """The session listens: the next line may be handed over."""
        with self._lock:
            self._latest = listen
        self._wanted.set()

    def close(self) -> None:
        """Stop."""
        self._closed.set()
        self._wanted.set()

    def _run(self, sink: Sink) -> None:
        for item in self._items:
            if isinstance(item, float):
                if self._closed.wait(item / self._scale):
                    return
                continue
            latest = self._await_listen(item)
            if latest is None:
                return
            sink(to_event(self._vocab, item, latest.commands))
        if not self._closed.is_set():
            sink(InputEnded())

    def _await_listen(self, item: str) -> Listen | None:
        """Wait until the session listens for something ``item`` can be handed to."""
        while not self._closed.is_set():
            if not (self._wanted.wait(0.05) and self._ready()):
                continue
            with self._lock:
                latest = self._latest
                self._wanted.clear()
            if latest is None:
                continue
            if latest.context in PASSIVE and self._vocab.parse(item, latest.commands) is None:
                continue
            return latest
        return None
