"""Where a session is: its stages, their listening contexts, and the progress of a set."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from companion.commands import Command
from companion.plan import PlannedExercise

C = Command
LEAD_IN_S = 2.0
"""Pause between "Begin." and the first count."""
PAIN_ALERT = 4
"""A pain rating at or above this after a set: advise rest and offer to skip."""
PAIN_SEVERE = 7
"""A pain rating at or above this after "it hurts": offer to stop for today."""
EFFORT_HIGH = 7
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
    PAUSED = "paused"
    REST = "rest"
    PAIN = "pain"
    EFFORT = "effort"
    HURT_LEVEL = "hurt_level"
    CONFIRM_END = "confirm_end"
    OFFER_END_PAIN = "offer_end_pain"
    OFFER_SKIP = "offer_skip"
    OFFER_SHORTEN = "offer_shorten"
    CONFIRM_UNSURE = "confirm_unsure"
    DONE = "done"

    @property
    def context(self) -> str:
        """The listening context of this stage."""
        return _CONTEXT.get(self, "yesno")


_CONTEXT = {
    Stage.READY: "ready",
    Stage.COUNTING: "counting",
    Stage.TIMED: "counting",
    Stage.PAUSED: "paused",
    Stage.REST: "rest",
    Stage.PAIN: "number",
    Stage.EFFORT: "number",
    Stage.HURT_LEVEL: "number",
    Stage.DONE: "ready",
}

SUGGESTED = {
    Stage.READY: C.START,
    Stage.PAUSED: C.RESUME,
    Stage.COUNTING: C.PAUSE,
    Stage.TIMED: C.PAUSE,
    Stage.REST: C.NEXT,
}


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
