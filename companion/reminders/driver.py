"""Runs one reminder conversation on the session's loop, with scripted answers shared by a run."""

from __future__ import annotations

import collections
import datetime as dt
import queue
import threading
import time
from collections.abc import Callable, Iterable

from companion.clock import ScaledClock
from companion.commands import Vocabulary
from companion.eventlog import EventLog
from companion.events import Effect, Event, Heard, Listen
from companion.inputs.base import Sink, Source
from companion.inputs.script import to_event
from companion.loop import Loop
from companion.reminders.conversation import Conversation
from companion.speech.base import Speaker


class SharedScript:
    """Scripted answers for a whole daemon run: each reminder takes the lines it listens for.

    ``wait S`` lines pause while a reminder is being asked; a wait cut short by the end of a
    reminder goes on at the next one. When the lines run out, the user says nothing more.
    """

    def __init__(
        self,
        items: Iterable[str | float],
        vocab: Vocabulary,
        time_scale: float = 1.0,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self._items: collections.deque[str | float] = collections.deque(items)
        self._vocab = vocab
        self._scale = time_scale
        self._ready = ready
        """Whether the user can answer now (the question has been heard to its end)."""
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._wanted = threading.Event()
        self._latest: Listen | None = None
        self._thread: threading.Thread | None = None

    @property
    def left(self) -> int:
        """Lines not used yet."""
        with self._lock:
            return len(self._items)

    def start(self, sink: Sink) -> None:
        """Begin handing lines to one reminder."""
        self._closed.clear()
        self._wanted.clear()
        self._latest = None
        self._thread = threading.Thread(
            target=self._run, args=(sink,), daemon=True, name="reminder-script"
        )
        self._thread.start()

    def listen(self, listen: Listen) -> None:
        """The reminder listens: the next line may be handed over."""
        with self._lock:
            self._latest = listen
        self._wanted.set()

    def close(self) -> None:
        """The reminder is over; unused lines stay for the next one."""
        self._closed.set()
        self._wanted.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def _take(self) -> str | float | None:
        with self._lock:
            return self._items.popleft() if self._items else None

    def _put_back(self, item: str | float) -> None:
        with self._lock:
            self._items.appendleft(item)

    def _run(self, sink: Sink) -> None:
        while not self._closed.is_set():
            item = self._take()
            if item is None:
                return
            if isinstance(item, float):
                began = time.monotonic()
                if self._closed.wait(item / self._scale):
                    spent = (time.monotonic() - began) * self._scale
                    self._put_back(max(0.0, item - spent))
                    return
                continue
            while not self._closed.is_set() and not (self._wanted.wait(0.05) and self._ready()):
                pass
            if self._closed.is_set():
                self._put_back(item)
                return
            with self._lock:
                self._wanted.clear()
                live = self._latest.commands if self._latest else None
            sink(to_event(self._vocab, item, live))


def _left(events: queue.Queue[Event]) -> list[Heard]:
    """The answers put on a finished loop's queue that it never handled."""
    left: list[Heard] = []
    while True:
        try:
            event = events.get_nowait()
        except queue.Empty:
            return left
        if isinstance(event, Heard):
            left.append(event)


def converse(
    conversation: Conversation,
    speaker: Speaker,
    sources: list[Source],
    events: EventLog,
    now: dt.datetime,
    watch: Callable[[list[Effect], dt.datetime], None] | None = None,
) -> str:
    """Ask the reminder's question (from ``now``, real time) until it ends; returns the outcome.
    ``watch`` is told of each batch of effects (an open screen shows what is said)."""
    clock = ScaledClock(now, 1.0)
    loop = Loop(conversation, speaker, sources, clock, events)
    if watch is not None:
        loop.watchers.append(watch)
    how = loop.run()  # its sources are closed now: nothing more is put on its queue
    for event in _left(loop.queue):  # taken as it ended (the page's last look): not lost
        late = clock.now()
        events.write(late, "command", command=event.command.value, source=event.source, late=True)
        loop.carry_out(conversation.heard_late(event.command))  # said, logged and shown
        how = conversation.outcome or how
    deadline = time.monotonic() + 30
    while speaker.busy() and time.monotonic() < deadline:
        time.sleep(0.05)
    return conversation.outcome or how
