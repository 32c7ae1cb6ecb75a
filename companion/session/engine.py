"""The session state machine: ``handle(event, now) -> effects``; no clock, no I/O inside.

``Session`` is built in layers: ``core.Core`` holds where the session is and the verbs that
speak, record and listen; ``exercises.ExerciseFlow`` adds the verbs that move through the
exercises; here each event is routed: commands to ``handlers``, time to ``ticks``."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from companion import records
from companion.commands import SAFETY, Command
from companion.events import (
    Begin,
    DeviceProblem,
    Effect,
    Event,
    Heard,
    InputEnded,
    NotUnderstood,
    Tick,
)
from companion.records import Outcome
from companion.session import handlers, safety, ticks
from companion.session.exercises import ExerciseFlow
from companion.session.state import FIRST_DAYS, HARMLESS, Stage


class Session(ExerciseFlow):
    """One guided session over a plan. Mutable, but pure: time comes in, effects go out."""

    def handle(self, event: Event, now: dt.datetime) -> list[Effect]:
        """React to one event at time ``now``; returns what to do."""
        self._out = []
        self.now = now
        if self.stage is Stage.DONE and not isinstance(event, Begin):
            return []
        if isinstance(event, Begin):
            self._begin(now)
        elif isinstance(event, Tick):
            if self.wake_at is not None and now >= self.wake_at:
                self._tick(now)
        elif isinstance(event, Heard):
            self._heard(event, now)
        elif isinstance(event, NotUnderstood):
            if event.source in ("key", "switch"):
                self.say("unknown_key", keys=self.key_options())
            else:
                self.say("not_understood", options=self.few_options())
            self.ask_again()
            self.listen()
        elif isinstance(event, DeviceProblem):
            if event.device not in self.told:
                self.told.add(event.device)
                self.say("no_speaker" if event.device == "speaker" else "no_microphone")
        elif isinstance(event, InputEnded):
            if self.stage is Stage.ALERT:
                safety.close_alert(self)
            else:
                self.finish(Outcome.INCOMPLETE, now)
        return self._out

    def _begin(self, now: dt.datetime) -> None:
        """The greeting, what to say if it hurts or to stop, then the safety questions."""
        self.record(
            records.SessionStarted(
                at=now,
                day=self.plan.day,
                planned=tuple((i.exercise_id, i.sets, i.reps) for i in self.items),
            )
        )
        self.set_voice()
        if self.routine.name:
            self.say("greeting", name=self.routine.name)
        else:
            self.say("greeting_anonymous")
        if self.plan.practice_days < FIRST_DAYS:
            self.say("teach_hurts")
            self.say("teach_stop")
        else:
            self.say("teach_short")
        if self.routine.safety.pre_session_check:
            self.say_text(self.words.text("safety.intro"), "safety.intro")
            safety.ask(self, now)
        else:
            self.after_safety(now)

    def _tick(self, now: dt.datetime) -> None:
        """The time it asked to be woken at has come."""
        if self.stage is Stage.SELF_PACED:
            self.wake_at = None
        elif self.stage is Stage.COUNTING:
            ticks.count_beat(self, now)
        elif self.stage is Stage.TIMED:
            ticks.timed_tick(self, now)
        elif self.stage is Stage.REST:
            ticks.rest_tick(self, now)
        elif self.stage is Stage.ALERT:
            safety.alert_tick(self, now)
        elif not self.reprompted and self.last_prompt:
            self.reprompted = True
            self.wake_at = None
            self.say("reprompt")
            for line in self.last_prompt[-1:]:
                self.say_text(line, "reprompt")

    def _heard(self, event: Heard, now: dt.datetime) -> None:
        """A command; one the recogniser was unsure of is confirmed first (never a safety word,
        never one that does no harm)."""
        cmd = event.command
        if (
            event.unsure
            and cmd not in SAFETY
            and cmd not in HARMLESS
            and self.stage not in (Stage.CONFIRM_UNSURE, Stage.ALERT)
        ):
            self.pending = replace(event, unsure=False)
            self.halt(now)
            phrase = self.talk.vocab.teach(cmd) if cmd is not Command.NUMBER else str(event.value)
            self.interrupt(Stage.CONFIRM_UNSURE, [("unsure", {"phrase": phrase})], now)
            return
        handlers.dispatch(self, event, now)
