"""The history day by day: each day's sessions, sets, ratings and stops, missed days, streaks."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

from companion.history import queries


@dataclass(frozen=True)
class SessionEntry:
    """One session as shown in the history."""

    row: queries.SessionRow
    sets: tuple[queries.SetRow, ...]
    stops: tuple[queries.EventRow, ...]
    skips: tuple[queries.EventRow, ...]

    @property
    def ended_next_day(self) -> bool:
        """Paused overnight: it ended on a later date than the day it counts for."""
        end = self.row.ended_at
        return end is not None and dt.date.fromisoformat(end[:10]) > self.row.day


@dataclass(frozen=True)
class DayEntry:
    """One calendar day."""

    day: dt.date
    sessions: tuple[SessionEntry, ...] = ()
    max_pain: int | None = None
    max_effort: int | None = None
    changes: tuple[queries.ChangeRow, ...] = ()
    reminders: tuple[str, ...] = ()
    at_reminders: tuple[queries.ReminderSafetyRow, ...] = ()
    """"It hurts" or the stroke warning signs said at a reminder that day, or "It hurts"
    pressed on the screen with no session running (``place`` says which)."""
    before_start: bool = False
    """The day is before the first session ever recorded (so not a missed day)."""

    @property
    def missed(self) -> bool:
        """No session on a day after practice began."""
        return not self.sessions and not self.before_start


@dataclass(frozen=True)
class Daybook:
    """The days from ``first`` to ``last`` and the streaks up to ``last``."""

    days: tuple[DayEntry, ...]
    current_streak: int
    """Days in a row with a session, ending at ``last`` (or the day before, if ``last`` is today
    and has none yet)."""
    longest_streak: int
    """The longest run of days in a row with a session, in the whole history."""
    missed: tuple[dt.date, ...] = field(default=())


def _streaks(practice: set[dt.date], last: dt.date, today: dt.date) -> tuple[int, int]:
    longest = run = 0
    previous: dt.date | None = None
    for d in sorted(x for x in practice if x <= last):
        run = run + 1 if previous is not None and (d - previous).days == 1 else 1
        longest = max(longest, run)
        previous = d
    current = 0
    d = last if last in practice or last < today else last - dt.timedelta(days=1)
    while d in practice:
        current += 1
        d -= dt.timedelta(days=1)
    return current, longest


def build(
    conn: sqlite3.Connection, first: dt.date, last: dt.date, today: dt.date | None = None
) -> Daybook:
    """Everything recorded for the days ``first`` to ``last``.

    ``today`` (default ``last``) is not over yet: without a session it is not a missed day.
    """
    today = last if today is None else today
    sets: dict[int, list[queries.SetRow]] = defaultdict(list)
    for s in queries.sets(conn, first, last):
        sets[s.session_id].append(s)
    stops: dict[int, list[queries.EventRow]] = defaultdict(list)
    for e in queries.stops(conn, first, last):
        stops[e.session_id].append(e)
    skips: dict[int, list[queries.EventRow]] = defaultdict(list)
    for e in queries.skips(conn, first, last):
        skips[e.session_id].append(e)
    sessions: dict[dt.date, list[SessionEntry]] = defaultdict(list)
    for row in queries.sessions(conn, first, last):
        sessions[row.day].append(
            SessionEntry(row, tuple(sets[row.id]), tuple(stops[row.id]), tuple(skips[row.id]))
        )
    ratings: dict[tuple[dt.date, str], int] = {}
    for r in queries.ratings(conn, first, last):
        ratings[(r.day, r.kind)] = max(ratings.get((r.day, r.kind), 0), r.value)
    changes: dict[dt.date, list[queries.ChangeRow]] = defaultdict(list)
    for c in queries.changes(conn, first, last):
        changes[c.day].append(c)
    reminders: dict[dt.date, list[str]] = defaultdict(list)
    for m in queries.reminders(conn, first, last):
        reminders[m.day].append(m.outcome)
    at_reminders: dict[dt.date, list[queries.ReminderSafetyRow]] = defaultdict(list)
    for said in queries.safety_outside_sessions(conn, first, last):
        at_reminders[said.day].append(said)
    practice = {
        dt.date.fromisoformat(r[0])
        for r in conn.execute("SELECT DISTINCT day FROM sessions WHERE how IS NOT 'skipped'")
    }
    start = min(practice) if practice else None
    days = []
    for n in range((last - first).days + 1):  # never a day past ``last`` (9999-12-31 is valid)
        d = first + dt.timedelta(days=n)
        days.append(
            DayEntry(
                d,
                tuple(sessions[d]),
                ratings.get((d, "pain")),
                ratings.get((d, "effort")),
                tuple(changes[d]),
                tuple(reminders[d]),
                tuple(at_reminders[d]),
                before_start=start is None or d < start,
            )
        )
    current, longest = _streaks(practice, last, today)
    return Daybook(
        tuple(days), current, longest, tuple(e.day for e in days if e.missed and e.day < today)
    )
