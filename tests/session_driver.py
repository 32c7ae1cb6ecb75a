"""Drives the pure session state machine with fixed times, for the engine tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from companion import commands, prompts, records, routine
from companion.commands import Command
from companion.events import Begin, Effect, Event, Heard, InputEnded, Listen, Record, Say, Tick
from companion.inputs.script import PASSIVE, to_event
from companion.plan import Plan, PlannedExercise
from companion.session.engine import Session
from companion.session.state import Stage

T0 = dt.datetime(2026, 3, 28, 10, 0, tzinfo=ZoneInfo("Europe/London"))


def make_routine(safety: bool = False, reprompt: float = 0.0) -> routine.Routine:
    """The default routine with the safety check and re-prompt chosen."""
    r = routine.default()
    return dataclasses.replace(
        r,
        safety=dataclasses.replace(r.safety, pre_session_check=safety),
        listening=dataclasses.replace(r.listening, reprompt_seconds=reprompt),
    )


def make_plan(*items: tuple[str, int, int]) -> Plan:
    """A plan of (exercise id, sets, reps) with a 4 s cadence and 30 s rests."""
    chosen = items or (("palm_turn", 2, 3), ("wrist_bend", 2, 3))
    return Plan(day=T0.date(), items=tuple(PlannedExercise(e, s, r, 4.0, 30) for e, s, r in chosen))


class Driver:
    """Feeds events at controlled times and keeps every effect."""

    def __init__(
        self,
        plan: Plan | None = None,
        safety: bool = False,
        reprompt: float = 0.0,
        emergency_number: str = "",
    ):
        r = make_routine(safety, reprompt)
        r = dataclasses.replace(
            r, safety=dataclasses.replace(r.safety, emergency_number=emergency_number)
        )
        self.session = Session(
            r,
            plan or make_plan(),
            prompts.load("en"),
            commands.vocabulary("en"),
        )
        self.now = T0
        self.effects: list[Effect] = []
        self.last: list[Effect] = []

    def send(self, event: Event) -> list[Effect]:
        """One event now."""
        self.last = self.session.handle(event, self.now)
        self.effects += self.last
        return self.last

    def begin(self) -> Driver:
        self.send(Begin())
        return self

    def say(self, command: Command, value: int | None = None, unsure: bool = False) -> list[Effect]:
        """The user gives a command."""
        return self.send(Heard(command, value, source="voice", unsure=unsure))

    def script(self, *lines: str, end: bool = False, limit: float = 3600) -> Driver:
        """Say each line as ``companion session --script`` hands it over: while a set is counted
        or a rest runs, a line that is no command live then waits for the next question."""
        vocab = commands.vocabulary("en")
        for line in lines:
            waited = 0.0
            while not self.session.finished:
                listen = self.listening()
                if listen.context not in PASSIVE or vocab.parse(line, listen.commands):
                    break
                assert waited < limit, f"{line!r} never got a question; at {self.stage}"
                self.advance(0.5)
                waited += 0.5
            assert not self.session.finished, f"the session ended before {line!r}"
            self.send(to_event(vocab, line, self.listening().commands))
        if end:
            self.send(InputEnded())
        return self

    def advance(self, seconds: float) -> list[Effect]:
        """Let time pass, delivering a Tick at each wake-up on the way."""
        end = self.now + dt.timedelta(seconds=seconds)
        out: list[Effect] = []
        while self.session.wake_at is not None and self.session.wake_at <= end:
            self.now = max(self.now, self.session.wake_at)
            out += self.send(Tick())
        self.now = end
        return out

    def until(self, stage: Stage, limit: float = 600) -> Driver:
        """Let time pass until the session reaches ``stage``."""
        waited = 0.0
        while self.session.stage is not stage:
            assert waited < limit, f"never reached {stage}; at {self.session.stage}"
            self.advance(0.5)
            waited += 0.5
        return self

    @property
    def stage(self) -> Stage:
        return self.session.stage

    def said(self, effects: list[Effect] | None = None) -> list[str]:
        """The lines spoken among ``effects`` (default: all)."""
        return [
            e.text for e in (self.effects if effects is None else effects) if isinstance(e, Say)
        ]

    def keys(self, effects: list[Effect] | None = None) -> list[str]:
        return [e.key for e in (self.effects if effects is None else effects) if isinstance(e, Say)]

    def records(self, kind: type | None = None) -> list[records.Record]:
        out = [e.record for e in self.effects if isinstance(e, Record)]
        return [r for r in out if kind is None or isinstance(r, kind)]

    def listening(self) -> Listen:
        """The latest Listen effect."""
        return [e for e in self.effects if isinstance(e, Listen)][-1]


def at_stage(stage: Stage) -> Driver:
    """A driver whose session has just reached ``stage`` by the ordinary path."""
    if stage is Stage.SAFETY:
        return Driver(safety=True).begin()
    if stage is Stage.SELF_PACED:
        d = Driver(make_plan(("coin_drop", 2, 3), ("palm_turn", 1, 2))).begin()
        d.say(Command.START)
        return d
    if stage is Stage.TIMED:
        d = Driver(make_plan(("pen_spin", 2, 15))).begin()
        d.say(Command.START)
        d.advance(2.5)
        return d
    d = Driver().begin()
    if stage is Stage.READY:
        return d
    d.say(Command.START)
    if stage is Stage.COUNTING:
        d.advance(4.5)
        return d
    if stage is Stage.PAUSED:
        d.advance(4.5)
        d.say(Command.PAUSE)
        return d
    if stage is Stage.CONFIRM_END:
        d.advance(4.5)
        d.say(Command.STOP)
        return d
    if stage is Stage.HURT_LEVEL:
        d.advance(4.5)
        d.say(Command.HURTS)
        return d
    if stage is Stage.OFFER_SHORTEN:
        d.advance(4.5)
        d.say(Command.TIRED)
        return d
    if stage is Stage.CONFIRM_UNSURE:
        d.until(Stage.PAIN).say(Command.NUMBER, 1)
        d.say(Command.NUMBER, 2)
        d.until(Stage.REST).say(Command.NEXT, unsure=True)
        return d
    d.until(Stage.PAIN)
    if stage is Stage.PAIN:
        return d
    if stage is Stage.OFFER_SKIP:
        d.say(Command.NUMBER, 6)
        return d
    d.say(Command.NUMBER, 1)
    if stage is Stage.EFFORT:
        return d
    d.say(Command.NUMBER, 2)
    if stage is Stage.REST:
        return d
    if stage is Stage.OFFER_END_PAIN:
        d = at_stage(Stage.HURT_LEVEL)
        d.say(Command.NUMBER, 8)
        return d
    if stage is Stage.OFFER_FEWER:
        d = at_stage(Stage.EFFORT)
        d.say(Command.NUMBER, 9)
        return d
    if stage is Stage.CONFIRM_SKIP_LAST:
        d = Driver(make_plan(("palm_turn", 2, 3))).begin()
        d.say(Command.NEXT)
        return d
    if stage is Stage.ALERT:
        d = at_stage(Stage.COUNTING)
        d.say(Command.EMERGENCY)
        return d
    raise AssertionError(stage)
