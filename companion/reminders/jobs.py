"""The scheduler's job functions and the events they put on the daemon loop's queue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from companion.reminders.times import Due


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
    daily: bool = True
    """A daily reminder of the routine (else a snooze)."""
    handed_over: bool = False
    """Already recorded in the reminder store (caught up at start)."""


@dataclass(frozen=True)
class Missed:
    """A reminder's time passed beyond the grace window (the computer was asleep)."""

    due: Due
    daily: bool = True


@dataclass(frozen=True)
class RollOver:
    """Carry progression forward and prepare the plan of the day that contains ``at``."""

    at: dt.datetime


@dataclass(frozen=True)
class Reload:
    """Read the routine again (SIGHUP, or the file changed) and rebuild the reminders from it."""


DaemonEvent = ReminderDue | Missed | RollOver | Reload
