"""What the progression rules read from the history: plain frozen facts per day and exercise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExerciseDay:
    """How one exercise went on one day (over all of that day's sessions)."""

    exercise_id: str
    planned: int
    """Reps (or seconds) per set planned in the day's last session that held it."""
    met_completed: bool
    """Every planned set done at the planned dose, in a session that was completed."""
    met_cut_short: bool
    """Every planned set done, but only in a session that was cut short."""
    max_pain: int | None
    """Highest pain rating for this exercise that day (None if never asked)."""
    max_effort: int | None
    """Highest effort rating for this exercise that day (None if never asked)."""
    pain_stop: bool = False
    """Stopped or skipped because of pain."""


@dataclass(frozen=True)
class DaySummary:
    """One day that had at least one session."""

    day: dt.date
    sessions: int
    hows: tuple[str, ...]
    """How each session ended, in order (``records.UNFINISHED`` if it has not ended yet)."""
    exercises: tuple[ExerciseDay, ...]
    max_pain: int | None
    """Highest pain rating of the whole day, any exercise."""
    pain_stopped: bool = False
    """Something was stopped or skipped because of pain that day, or "it hurts" was said at a
    reminder or pressed on the screen that day."""
    warning_signs: bool = False
    """The stroke warning signs were answered that day (at a reminder, or in a session, which
    then ended for them), or a session's safety questions stopped it (chest pain, dizziness)."""

    def get(self, exercise_id: str) -> ExerciseDay | None:
        """The facts of one exercise, if it was planned that day."""
        return next((e for e in self.exercises if e.exercise_id == exercise_id), None)


@dataclass(frozen=True)
class HistorySummary:
    """Everything progression needs: the practice days before the plan day, and approvals."""

    days: tuple[DaySummary, ...] = ()
    """Days with sessions, oldest first."""
    approvals: tuple[tuple[dt.date, str], ...] = field(default=())
    """(from day, exercise id) the caregiver approved."""
