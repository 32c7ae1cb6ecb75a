"""Where a session is: its stages, their listening contexts, and the progress of a set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from companion.commands import Command, Context
from companion.plan import PlannedExercise
from companion.records import Outcome

C = Command
LEAD_IN_S = 2.0
"""Pause between "Begin." and the first count."""
PAIN_ALERT = 4
"""A pain rating at or above this after a set: advise rest and offer to skip."""
PAIN_SEVERE = 7
"""A pain rating at or above this (after a set or "it hurts") ends the exercise for today and
offers to stop for today; before the exercises it ends the session (safety: pain at most 6)."""
EFFORT_HIGH = 7
"""An effort rating at or above this: say it was hard work."""
EFFORT_OFFER_FEWER = 9
"""An effort rating at or above this, with sets left: offer fewer repetitions now."""
ALERT_REPEAT_S = 60.0
"""With nothing heard, "call your emergency number now" is said again after this long ..."""
ALERT_REPEATS = 3
"""... this many times; then it is no longer said, but stays on screen until it is closed (a key,
the switch, "finish"): the warning signs and the number are not taken away from someone alone."""
FIRST_DAYS = 3
"""Practice days on which "stop" and "it hurts" are taught in full (shorter afterwards)."""
TIMED_WARNING_S = 5
REST_WARNING_S = 10
HARMLESS = frozenset({C.SLOWER, C.FASTER, C.LOUDER, C.QUIETER, C.HOW_MANY, C.HELP, C.REPEAT})
"""Commands acted on without confirmation even when the recogniser was unsure."""


class Stage(str, Enum):
    """Where the session is; each stage listens in one context."""

    SAFETY = "safety"
    READY = "ready"
    COUNTING = "counting"
    TIMED = "timed"
    SELF_PACED = "self_paced"
    """A set without a beat: each repetition ends with "done" (or a key)."""
    PAUSED = "paused"
    REST = "rest"
    PAIN = "pain"
    EFFORT = "effort"
    HURT_LEVEL = "hurt_level"
    CONFIRM_END = "confirm_end"
    OFFER_END_PAIN = "offer_end_pain"
    OFFER_SKIP = "offer_skip"
    OFFER_SHORTEN = "offer_shorten"
    OFFER_FEWER = "offer_fewer"
    CONFIRM_SKIP_LAST = "confirm_skip_last"
    CONFIRM_UNSURE = "confirm_unsure"
    ALERT = "alert"
    """Call the emergency number: the lines stay, "repeat" says them again, "finish" closes."""
    DONE = "done"

    @property
    def context(self) -> Context:
        """The listening context of this stage."""
        return _CONTEXT.get(self, Context.YESNO)


_CONTEXT = {
    Stage.READY: Context.READY,
    Stage.COUNTING: Context.COUNTING,
    Stage.TIMED: Context.COUNTING,
    Stage.SELF_PACED: Context.SELF_PACED,
    Stage.PAUSED: Context.PAUSED,
    Stage.REST: Context.REST,
    Stage.PAIN: Context.NUMBER,
    Stage.EFFORT: Context.NUMBER,
    Stage.HURT_LEVEL: Context.NUMBER,
    Stage.ALERT: Context.ALERT,
    Stage.DONE: Context.READY,
}

RUNNING = (Stage.COUNTING, Stage.TIMED, Stage.SELF_PACED)
QUESTIONS = (
    Stage.SAFETY,
    Stage.PAIN,
    Stage.EFFORT,
    Stage.HURT_LEVEL,
    Stage.CONFIRM_END,
    Stage.OFFER_END_PAIN,
    Stage.OFFER_SKIP,
    Stage.OFFER_SHORTEN,
    Stage.OFFER_FEWER,
    Stage.CONFIRM_SKIP_LAST,
    Stage.CONFIRM_UNSURE,
)
"""Stages that wait for an answer to a question (yes/no or a number)."""

FEW_OPTIONS: dict[Context, frozenset[Command]] = {
    Context.READY: frozenset({C.START, C.NEXT, C.END}),
    Context.COUNTING: frozenset({C.STOP, C.PAUSE, C.HURTS}),
    Context.SELF_PACED: frozenset({C.DONE, C.STOP, C.HURTS}),
    Context.PAUSED: frozenset({C.RESUME, C.NEXT, C.STOP}),
    Context.REST: frozenset({C.NEXT, C.PAUSE}),
    Context.YESNO: frozenset({C.YES, C.NO}),
    Context.NUMBER: frozenset({C.NUMBER}),
    Context.ALERT: frozenset({C.REPEAT, C.END}),
}
"""The two or three commands offered after a word not understood (the rest on "help")."""

SUGGESTED = {
    Stage.READY: C.START,
    Stage.PAUSED: C.RESUME,
    Stage.COUNTING: C.PAUSE,
    Stage.TIMED: C.PAUSE,
    Stage.SELF_PACED: C.DONE,
    Stage.REST: C.NEXT,
    Stage.ALERT: C.REPEAT,
}


@dataclass(frozen=True)
class ReturnPoint:
    """Where an interruption (stop, tired, an unsure word, "it hurts" at the safety questions)
    came from: the session goes back to exactly this stage and question afterwards."""

    stage: Stage
    prompt: tuple[str, ...]
    """The lines that asked the question there (said again on return)."""


@dataclass
class Alert:
    """The "call now" lines being said."""

    lines: list[str]
    how: Outcome
    """How the session ended (safety_check, warning_signs)."""
    repeats: int = 0
    """Times said again by itself, with nothing heard."""


@dataclass
class Progress:
    """How far the current set has got."""

    started_at: dt.datetime
    beats: int = 0
    """Counted: beats said so far."""
    direction: int = 0
    """Timed: 0 first direction, 1 the other."""
    elapsed: float = 0.0
    """Timed: seconds run in this direction before the last pause."""
    running_since: dt.datetime | None = None
    warned: bool = False
    leading_in: bool = True

    def done(self, item: PlannedExercise, phases: int, now: dt.datetime) -> int:
        """Repetitions (or seconds) done so far."""
        if item.timed:
            run = self.elapsed + (
                (now - self.running_since).total_seconds() if self.running_since else 0.0
            )
            return min(item.reps, int(run))
        return self.beats // max(1, phases)
