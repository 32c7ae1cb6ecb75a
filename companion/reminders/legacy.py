"""The old reminder store (APScheduler's pickled job table), read without unpickling anything.

Only the plain columns are looked at: the job's id ("reminder HH:MM", "snooze HH:MM",
"roll-over") and its next run time (seconds since the epoch). The pickled ``job_state`` column is
never read, so a planted row cannot run code.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from dataclasses import dataclass

from companion.errors import BadInputError
from companion.reminders.times import parse_slot

TABLE = "apscheduler_jobs"
"""The table APScheduler's SQLAlchemy job store kept its jobs in."""
MIGRATED_SNOOZES = 1
"""How many "later"s a migrated snooze counts as used (the count was only in the pickle)."""


@dataclass(frozen=True)
class OldJob:
    """A job of the old store that can be carried over."""

    kind: str
    """reminder or snooze."""
    slot: str
    next_run: dt.datetime


def read(conn: sqlite3.Connection) -> tuple[list[OldJob], list[str]]:
    """The jobs worth keeping, and a plain sentence for each row that was not understood."""
    found: list[OldJob] = []
    problems: list[str] = []
    for job_id, when in conn.execute(f"SELECT id, next_run_time FROM {TABLE}"):
        kind, _, label = str(job_id).partition(" ")
        if kind == "roll-over" and not label:
            continue  # rebuilt at every start
        if kind not in ("reminder", "snooze"):
            problems.append(f"an old entry {str(job_id)[:60]!r} was not understood; skipped")
            continue
        try:
            slot = parse_slot(label).label
        except BadInputError:
            problems.append(f"an old entry {str(job_id)[:60]!r} has no valid time; skipped")
            continue
        if not isinstance(when, int | float) or not math.isfinite(when):
            if kind == "snooze":
                problems.append(f"the old snooze of {slot} has no valid time; skipped")
            continue  # a daily reminder without a time is rebuilt from the routine
        try:
            at = dt.datetime.fromtimestamp(float(when), dt.timezone.utc)
        except (OverflowError, OSError, ValueError):
            problems.append(f"the old entry {kind} {slot} has an impossible time; skipped")
            continue
        found.append(OldJob(kind, slot, at))
    return found, problems
