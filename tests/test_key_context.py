"""A key typed the moment a question appears answers that question (the real loop, the real
keyboard source on a real pseudo-terminal)."""

from __future__ import annotations

import datetime as dt
import os
import pty
import time
from pathlib import Path

from companion import commands
from companion.clock import ScaledClock
from companion.commands import CONTEXTS, Command
from companion.eventlog import EventLog
from companion.events import Begin, Effect, End, Event, Heard, Listen, Say
from companion.inputs.keyboard import KeyboardSource
from companion.loop import Loop

QUESTION = "Any pain? Say a number from 0 to 10."


class OneQuestion:
    """Asks one number question; ends with the first answer it gets."""

    def __init__(self) -> None:
        self.wake_at: dt.datetime | None = None
        self.answers: list[Event] = []

    @property
    def finished(self) -> bool:
        return bool(self.answers)

    def handle(self, event: Event, now: dt.datetime) -> list[Effect]:
        if isinstance(event, Begin):
            return [Say(QUESTION), Listen("number", CONTEXTS["number"])]
        self.answers.append(event)
        return [End("answered")]


class TypesWhenAsked:
    """Shows each line; the user types ``key`` as soon as the question is shown, and the key
    has been read (it reached the loop) before the loop goes on."""

    def __init__(self, leader: int, key: bytes) -> None:
        self.leader = leader
        self.key = key
        self.loop: Loop | None = None

    def say(self, text: str, *, beat: bool = False) -> None:
        if text != QUESTION or self.loop is None:
            return
        os.write(self.leader, self.key)
        end = time.monotonic() + 10
        while self.loop.queue.empty() and time.monotonic() < end:
            time.sleep(0.01)

    def stop(self) -> None:
        pass

    def set_voice(self, rate: int, volume: float) -> None:
        pass

    def busy(self) -> bool:
        return False

    def close(self) -> None:
        pass


def test_a_key_typed_as_the_question_appears_answers_it(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    stream = os.fdopen(follower, "r")
    try:
        keyboard = KeyboardSource(stream, commands.vocabulary("en"), False, lambda _: None)
        speaker = TypesWhenAsked(leader, b"2")
        machine = OneQuestion()
        events = EventLog(tmp_path / "events.log")
        loop = Loop(machine, speaker, [keyboard], ScaledClock(dt.datetime.now(dt.UTC)), events)
        speaker.loop = loop
        assert loop.run() == "answered"
        events.close()
    finally:
        stream.close()
        os.close(leader)
    # before, the key was read in the context before the question: "that key does nothing"
    assert machine.answers == [Heard(Command.NUMBER, 2, source="key", text="2")]
