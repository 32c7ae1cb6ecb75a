"""The reminder conversation: a pure state machine, ``handle(event, now) -> effects``."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from companion.commands import CONTEXTS, Command, Context, Vocabulary
from companion.events import (
    Begin,
    DeviceProblem,
    Effect,
    End,
    Event,
    Heard,
    Listen,
    NotUnderstood,
    Say,
    StopSpeech,
    Tick,
)
from companion.prompts import Prompts

log = logging.getLogger(__name__)

CONTEXT = Context.REMINDER
SAFETY_WORDS = frozenset({Command.STOP, Command.HURTS, Command.EMERGENCY})
"""Acted on at a reminder too, as in a session: "stop", "it hurts", the stroke warning signs."""
LIVE = CONTEXTS[CONTEXT] | (SAFETY_WORDS - {Command.STOP})
"""Listened for: the spoken "stop" is not ("start" is, and the two are never listened for at
the same time: they sound alike); a key, the switch held or the page's Stop still stops it."""


@dataclass(frozen=True)
class Settings:
    """What one reminder conversation needs to know."""

    max_snoozes: int
    """How many times "later" is allowed per reminder."""
    snooze_minutes: int
    answer_wait: dt.timedelta
    """How long to wait for an answer before the gentle second reminder (and then letting go)."""
    snoozes_used: int = 0
    """How many times this reminder was already put off."""
    name: str = ""
    """The user's name, if the caregiver gave one."""
    late_since: str = ""
    """The local time the reminder was due, when it is given late (after the computer was off)."""
    emergency_number: str = ""
    """The routine's emergency number, said with the stroke warning signs ("" : words instead)."""


class Conversation:
    """Asks start / later / skip today; ends with End(how) where how is an outcome.

    Outcomes: ``started``, ``snoozed``, ``skipped``, ``no_answer``. Time only enters through
    ``now``; ``wake_at`` says when the loop must send a Tick if nothing is heard. "Stop" ends
    this reminder (``no_answer``: the next reminder time still asks); "it hurts" and the stroke
    warning signs let the day go (``skipped``), with advice or "call now".
    """

    def __init__(self, words: Prompts, vocab: Vocabulary, settings: Settings) -> None:
        self.words = words
        self.settings = settings
        self.wake_at: dt.datetime | None = None
        self.outcome: str | None = None
        self.safety: tuple[str, str] | None = None
        """("pain" or "warning_signs", the words said back) when "it hurts" or the stroke
        warning signs ended it: a safety event the history records."""
        self._asked = 0
        self._phrases = {
            "start": vocab.teach(Command.START),
            "later": vocab.teach(Command.LATER),
            "skip": vocab.teach(Command.SKIP_TODAY),
        }

    @property
    def finished(self) -> bool:
        """Whether the conversation has ended."""
        return self.outcome is not None

    def _say(self, key: str, **values: object) -> Say:
        full = f"reminders.{key}"
        return Say(self.words.text(full, variant=self.settings.snoozes_used, **values), key=full)

    def _choices(self, now: dt.datetime, *, reset: bool = True) -> list[Effect]:
        if reset:
            self.wake_at = now + self.settings.answer_wait
        return [
            self._say(self._with_later("reminder.choices"), **self._phrases),
            Listen(CONTEXT, LIVE, suggested=Command.START),
        ]

    def _with_later(self, key: str) -> str:
        """``key``, or its variant without "later" once the snoozes are used up."""
        s = self.settings
        return key if s.snoozes_used < s.max_snoozes else f"{key}_no_later"

    def _end(self, outcome: str, line: Say) -> list[Effect]:
        self.outcome = outcome
        self.wake_at = None
        return [line, End(outcome)]

    def handle(self, event: Event, now: dt.datetime) -> list[Effect]:
        """The effects of ``event`` happening at ``now``."""
        if self.finished:
            return []
        if isinstance(event, Begin):
            return self._begin(now)
        if isinstance(event, Tick):
            if self.wake_at is None or now < self.wake_at:
                return []
            return self._no_answer(now)
        if isinstance(event, Heard):
            return self._heard(event.command, now)
        if isinstance(event, NotUnderstood):
            return [self._say("reminder.not_understood"), *self._choices(now, reset=False)]
        if isinstance(event, DeviceProblem):
            log.warning("reminder: %s problem: %s", event.device, event.detail)
        return []

    def _begin(self, now: dt.datetime) -> list[Effect]:
        self._asked = 1
        s = self.settings
        first = (
            self._say("reminder.first_named", name=s.name)
            if s.name
            else self._say("reminder.first")
        )
        out: list[Effect] = [first]
        if s.late_since:
            out.append(self._say("reminder.late", time=s.late_since))
        return out + self._choices(now)

    def _no_answer(self, now: dt.datetime) -> list[Effect]:
        if self._asked < 2:
            self._asked = 2
            return [self._say("reminder.second"), *self._choices(now)]
        return self._end("no_answer", self._say("reminder.no_answer"))

    def _heard(self, command: Command, now: dt.datetime) -> list[Effect]:
        s = self.settings
        if command in SAFETY_WORDS:
            return [StopSpeech(), *self._safety(command)]
        if command is Command.START:
            return self._end("started", self._say("reminder.starting"))
        if command is Command.SKIP_TODAY:
            return self._end("skipped", self._say("reminder.skipped"))
        if command is Command.LATER:
            if s.snoozes_used < s.max_snoozes:
                return self._end("snoozed", self._say("reminder.snoozed", minutes=s.snooze_minutes))
            return [self._say("reminder.no_more_snoozes"), *self._choices(now)]
        if command is Command.REPEAT:
            return self._begin(now)
        if command is Command.HELP:
            return [
                self._say(self._with_later("reminder.help"), **self._phrases),
                *self._choices(now),
            ]
        return [self._say("reminder.not_understood"), *self._choices(now, reset=False)]

    def heard_late(self, command: Command) -> list[Effect]:
        """``command``, taken from an input just as the conversation ended (the page's last
        look): a safety answer is never lost. "It hurts" or the warning signs are recorded and
        said as if heard in time, and let the day go (a session is not started after them);
        "stop" keeps a session from starting. Anything else comes too late: nothing."""
        if not self.finished:
            return []
        if command in (Command.HURTS, Command.EMERGENCY) and self.safety is None:
            return [StopSpeech(), *self._safety(command)]
        if command is Command.STOP and self.outcome == "started":
            return self._end("no_answer", self._say("reminder.stopped"))
        return []

    def _safety(self, command: Command) -> list[Effect]:
        """Stop, it hurts, or the stroke warning signs: quiet at once, then a few words."""
        if command is Command.STOP:
            return self._end("no_answer", self._say("reminder.stopped"))
        if command is Command.HURTS:
            advice = self._say("reminder.hurts")
            self.safety = ("pain", advice.text)
            return self._end("skipped", advice)
        number = self.settings.emergency_number or self.words.text("safety.emergency_fallback")
        key = "safety.warning_signs_lines"
        lines = [Say(line.format(emergency_number=number), key=key) for line in self.words.raw(key)]
        self.safety = ("warning_signs", " ".join(line.text for line in lines))
        return [*lines[:-1], *self._end("skipped", lines[-1])]
