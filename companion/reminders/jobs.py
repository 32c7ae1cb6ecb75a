"""The scheduler's job functions (stored as "module:function") and the daemon loop's events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from companion.reminders.times import Due

REMIND = "companion.reminders.jobs:remind"
"""Textual reference of the reminder job, as stored in the job store."""
ROLL_OVER = "companion.reminders.jobs:roll_over"
"""Textual reference of the daily job that prepares the day's plan."""


def remind(slot: str, snoozes: int = 0) -> tuple[str, int]:
    """A reminder fell due; the scheduler adapter turns the result into a ReminderDue event."""
    return slot, snoozes


def roll_over() -> None:
    """A new day began; the scheduler adapter turns this into a RollOver event."""


# ---- events the scheduler thread puts on the daemon's queue --------------------------------


@dataclass(frozen=True)
class ReminderDue:
    """Give this reminder now."""

    due: Due


@dataclass(frozen=True)
class Missed:
    """A reminder's time passed beyond the grace window (the computer was asleep)."""

    due: Due


@dataclass(frozen=True)
class RollOver:
    """Carry progression forward and prepare the plan of the day that contains ``at``."""

    at: dt.datetime


@dataclass(frozen=True)
class Reload:
    """Read the routine again (SIGHUP) and bring the stored reminders in line with it."""


DaemonEvent = ReminderDue | Missed | RollOver | Reload
