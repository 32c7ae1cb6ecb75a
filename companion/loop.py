"""The one loop: inputs queue events, the session answers with effects, the loop acts on them."""

from __future__ import annotations

import datetime as dt
import logging
import queue
from collections.abc import Callable
from typing import Protocol

from companion.clock import ScaledClock
from companion.errors import NOTHING_CHANGED, StorageError
from companion.eventlog import EventLog
from companion.events import (
    Begin,
    DeviceProblem,
    Effect,
    End,
    Event,
    Heard,
    Listen,
    NotUnderstood,
    Record,
    Say,
    SetVoice,
    StopSpeech,
    Tick,
)
from companion.inputs.base import Expecting, Source
from companion.records import Record as HistoryRecord
from companion.speech.base import Speaker

log = logging.getLogger(__name__)
IDLE_POLL_S = 0.1
"""Longest wait for an event before the loop looks at the clock and the speaker again."""


class Machine(Protocol):
    """A conversation: the session, or the reminder's question."""

    wake_at: dt.datetime | None

    @property
    def finished(self) -> bool:
        """Whether it is over."""

    def handle(self, event: Event, now: dt.datetime) -> list[Effect]:
        """React to one event."""


class Loop:
    """Runs one machine until it ends, carrying out its effects."""

    def __init__(
        self,
        machine: Machine,
        speaker: Speaker,
        sources: list[Source],
        clock: ScaledClock,
        events: EventLog,
        history: Callable[[HistoryRecord], None] | None = None,
        history_lost: str = "",
    ) -> None:
        self.machine = machine
        self.speaker = speaker
        self.sources = sources
        self.clock = clock
        self.events = events
        self.history = history
        self.history_lost = history_lost
        """Said once when the history cannot be written (a full disk): the session goes on."""
        self.unsaved: StorageError | None = None
        """The first failed history write, if any (the records before it are saved)."""
        self.saved_until: dt.datetime | None = None
        """When the last record that was saved happened."""
        self.queue: queue.Queue[Event] = queue.Queue()
        self.ended: str | None = None
        self.watchers: list[Callable[[list[Effect], dt.datetime], None]] = []
        """Told of each batch of effects once carried out (the screen shows them)."""
        self._speaking = False

    def put(self, event: Event) -> None:
        """Thread-safe: hand an event to the loop."""
        self.queue.put(event)

    def run(self) -> str:
        """Run to the end; returns how the machine ended."""
        for source in self.sources:
            source.start(self.put)
        try:
            self.carry_out(self.machine.handle(Begin(), self.clock.now()))
            while not self.machine.finished:
                self._note_quiet()
                event = self._next_event()
                if event is None:
                    continue
                now = self.clock.now()
                self._log_event(event, now)
                self.carry_out(self.machine.handle(event, now))
        finally:
            for source in self.sources:
                source.close()
        return self.ended or "ended"

    def _note_quiet(self) -> None:
        """Log the moment the companion stops speaking (the user's turn, for logs and tests)."""
        speaking = self.speaker.busy()
        if self._speaking and not speaking:
            self.events.write(self.clock.now(), "quiet")
        self._speaking = speaking

    def _next_event(self) -> Event | None:
        wake = self.machine.wake_at
        timeout = (
            IDLE_POLL_S if wake is None else min(IDLE_POLL_S, self.clock.real_seconds_until(wake))
        )
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            if wake is not None and self.clock.now() >= wake:
                return Tick()
            return None

    def _log_event(self, event: Event, now: dt.datetime) -> None:
        if isinstance(event, Heard):
            value = {} if event.value is None else {"value": event.value}
            self.events.write(
                now,
                "command",
                command=event.command.value,
                source=event.source,
                text=event.text,
                confidence=round(event.confidence, 3),
                **value,
            )
        elif isinstance(event, NotUnderstood):
            self.events.write(now, "not-understood", source=event.source, text=event.text)
        elif isinstance(event, DeviceProblem):
            self.events.write(now, "device-problem", device=event.device, detail=event.detail)

    def carry_out(self, effects: list[Effect]) -> None:
        """Say, record and log ``effects`` as the machine's own (also after ``run`` ended: a
        reminder's answer taken as it ended)."""
        now = self.clock.now()
        self._expect(effects)
        done: list[Effect] = []  # carried out, in order, with the loop's own lines: watchers
        for effect in effects:
            done.append(effect)
            if isinstance(effect, Say):
                self._say(effect, now)
            elif isinstance(effect, StopSpeech):
                self.speaker.stop()
            elif isinstance(effect, SetVoice):
                self.speaker.set_voice(effect.rate, effect.volume)
            elif isinstance(effect, Listen):
                self.events.write(now, "listen", context=effect.context)
                for source in self.sources:
                    source.listen(effect)
            elif isinstance(effect, Record):
                self.events.write(now, "record", type=type(effect.record).__name__)
                lost = self._store(effect.record, now)
                if lost is not None:  # said and shown like the session's lines
                    self._say(lost, now)
                    done.append(lost)
            elif isinstance(effect, End):
                self.events.write(now, "end", how=effect.how)
                self.ended = effect.how
        for watch in self.watchers:
            watch(done, now)

    def _say(self, say: Say, now: dt.datetime) -> None:
        self.events.write(now, "say", text=say.text, key=say.key)
        self.speaker.say(say.text, beat=say.beat)

    def _expect(self, effects: list[Effect]) -> None:
        """Tell the sources that can (the keyboard) the context of this batch's Listen before
        its question is shown: a key typed as soon as the caption appears answers it, not the
        question before (``listen`` follows in its place, after the caption)."""
        listen = next((e for e in effects if isinstance(e, Listen)), None)
        if listen is None:
            return
        for source in self.sources:
            if isinstance(source, Expecting):
                source.expect(listen)

    def _store(self, record: HistoryRecord, now: dt.datetime) -> Say | None:
        """Write one record; if the disk is full (or the folder became read-only), the line
        that tells the user, once (the caller says and shows it), and go on: what was saved
        stays, and later records are still tried."""
        if self.history is None:
            return None
        try:
            self.history(record)
        except StorageError as exc:
            self.events.write(now, "history-not-saved", record=type(record).__name__)
            if self.unsaved is None:
                self.unsaved = exc
                log.info("history: %s was not saved: %s", type(record).__name__, exc.message)
                if self.history_lost:
                    return Say(self.history_lost, key="history_lost")
            return None
        self.saved_until = record.at
        return None

    def unsaved_error(self) -> StorageError | None:
        """After ``run``: a plain error if part of the session could not be saved."""
        if self.unsaved is None:
            return None
        saved = (
            f"Everything up to {self.saved_until:%H:%M} was saved."
            if self.saved_until is not None
            else "Nothing of it was saved."
        )
        return StorageError(
            f"Part of this session could not be saved: {self.unsaved.message}",
            hint=f"{saved} {self.unsaved.hint.removeprefix(NOTHING_CHANGED)}".strip(),
        )
