"""Today's plan: which exercises, what dose, and what changed since last time (and why)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from companion import library
from companion.routine import Routine


@dataclass(frozen=True)
class PlannedExercise:
    """One exercise in today's plan."""

    exercise_id: str
    sets: int
    reps: int
    """Repetitions per set, or seconds per direction for a timed exercise."""
    seconds_per_rep: float
    rest_seconds: int

    @property
    def timed(self) -> bool:
        """Whether this exercise is timed rather than counted."""
        return library.get(self.exercise_id).kind is library.Kind.TIMED


@dataclass(frozen=True)
class Change:
    """One change to the dose or level, with the rule that made it."""

    exercise_id: str
    """The exercise concerned ("" for the whole programme)."""
    kind: str
    """up, down, hold, unlock, restart, approval_needed."""
    old: int
    new: int
    rule: str
    """The rule's key; its sentence is ``prompts/<lang>/progression.toml`` [rule]."""


@dataclass(frozen=True)
class Plan:
    """What today's session holds."""

    day: dt.date
    items: tuple[PlannedExercise, ...]
    changes: tuple[Change, ...] = field(default=())
    practice_days: int = 0
    """Practice days before this one (a day with nothing done does not count)."""


def from_routine(routine: Routine, day: dt.date) -> Plan:
    """The plan straight from the routine (no history)."""
    return Plan(
        day=day,
        items=tuple(
            PlannedExercise(e.id, e.sets, e.reps, e.seconds_per_rep, e.rest_seconds)
            for e in routine.exercises
        ),
    )


@dataclass(frozen=True)
class HandChange:
    """An exercise the affected hand cannot do (no pinch), and what is done instead."""

    exercise_id: str
    instead: str
    """The alternative done in its place ("" when it is left out)."""


def for_hand(plan: Plan, pinch: bool) -> tuple[Plan, tuple[HandChange, ...]]:
    """Today's plan for a hand that can (or cannot) pinch: an exercise that needs a thumb and
    finger is replaced by its alternative (with the same sets and rest, the alternative's own
    starting dose) or, when it has none or that one is planned already, left out."""
    if pinch:
        return plan, ()
    items: list[PlannedExercise] = []
    changes: list[HandChange] = []
    planned = {i.exercise_id for i in plan.items}
    for item in plan.items:
        ex = library.get(item.exercise_id)
        if not ex.needs_pinch:
            items.append(item)
            continue
        alt = ex.alternative
        if alt and alt not in planned:
            other = library.get(alt)
            dose = other.default_seconds if other.kind is library.Kind.TIMED else other.default_reps
            items.append(
                replace(item, exercise_id=alt, reps=dose, seconds_per_rep=other.seconds_per_rep)
            )
            planned.add(alt)
            changes.append(HandChange(item.exercise_id, alt))
        else:
            changes.append(HandChange(item.exercise_id, ""))
    return replace(plan, items=tuple(items)), tuple(changes)
