"""The stored reminders whose time passed while no daemon ran: every time that passed (a daily
reminder's every missed day), and each daily one's next time, for the daemon's catch-up at
start (``times.catch_up`` then decides which are still given and which are missed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from companion.reminders.scheduler import daily_trigger, next_from
from companion.reminders.store import Job
from companion.reminders.times import Due, parse_slot

MAX_CATCH_UP = 400
"""At most this many missed times are counted per reminder (more than a year of one a day)."""


def fire_times(
    trigger: Any, first: dt.datetime, now: dt.datetime, limit: int = MAX_CATCH_UP
) -> list[dt.datetime]:
    """The times ``trigger`` fires from ``first`` (a stored next run time) up to ``now``."""
    out: list[dt.datetime] = []
    t: dt.datetime | None = first
    while t is not None and t <= now and len(out) < limit:
        out.append(t)
        t = trigger.get_next_fire_time(t, now)
    return out


@dataclass(frozen=True)
class Stale:
    """Stored reminders whose time passed while no daemon ran."""

    dues: list[Due]
    """Every time that passed, oldest first."""
    daily_next: dict[str, dt.datetime]
    """Each overdue daily reminder's next time after now."""


def stale(stored: Sequence[Job], tz: dt.tzinfo, now: dt.datetime) -> Stale:
    """The reminders of ``stored`` that fell due up to ``now`` (a daily one: every day missed)."""
    dues: list[Due] = []
    daily_next: dict[str, dt.datetime] = {}
    for job in stored:
        if job.next_run > now:
            continue
        if job.kind == "snooze":
            dues.append(Due(job.slot, job.next_run, job.snoozes))
            continue
        slot = parse_slot(job.slot)
        trigger = daily_trigger(slot, tz)
        dues += [Due(job.slot, t) for t in fire_times(trigger, job.next_run, now)]
        daily_next[job.slot] = next_from(slot, tz, now)
    return Stale(sorted(dues, key=lambda d: d.at), daily_next)
