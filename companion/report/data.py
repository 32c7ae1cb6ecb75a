"""Gathering the therapist's report from the history for a range of days (what it holds is in
``contents``; its stops, skips and early ends are grouped in ``stop_events``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter, defaultdict

from companion import library
from companion.history import queries
from companion.records import Outcome
from companion.report.contents import DONE, MISSED, NOT_STARTED, PARTLY, Day, ReportData
from companion.report.stop_events import stop_events

Planned = tuple[str, int, int]
"""(exercise id, sets, reps or seconds) planned in a session."""


def planned(conn: sqlite3.Connection, first: dt.date, last: dt.date) -> dict[int, list[Planned]]:
    """session id -> [(exercise id, sets, reps)] planned, for sessions in [first, last]."""
    out: dict[int, list[Planned]] = defaultdict(list)
    for sid, ex, n_sets, reps in conn.execute(
        "SELECT p.session_id, p.exercise_id, p.sets, p.reps FROM planned p JOIN sessions s "
        "ON s.id = p.session_id WHERE s.day BETWEEN ? AND ? ORDER BY p.session_id, p.position",
        (first.isoformat(), last.isoformat()),
    ):
        out[sid].append((ex, n_sets, reps))
    return out


def first_day(conn: sqlite3.Connection) -> dt.date | None:
    """The day of the first session ever recorded."""
    row = conn.execute("SELECT min(day) FROM sessions").fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def first_recorded(conn: sqlite3.Connection) -> dt.date | None:
    """The first day anything was recorded: a session or a reminder."""
    row = conn.execute(
        "SELECT min(day) FROM (SELECT min(day) AS day FROM sessions "
        "UNION ALL SELECT min(day) FROM reminders)"
    ).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else None


def window(first: dt.date, last: dt.date, begun: dt.date | None) -> dt.date:
    """The report's first day: ``first``, or the first recorded day if later (the days before
    it hold nothing); ``last`` alone when nothing was recorded by then."""
    if begun is None or begun > last:
        return last
    return max(first, begun)


def since(conn: sqlite3.Connection, last: dt.date) -> dict[str, dt.date]:
    """exercise id -> the day its dose or level last changed by ``last``, else the first day a
    session planned it."""
    out = {
        ex: dt.date.fromisoformat(day)
        for ex, day in conn.execute(
            "SELECT p.exercise_id, min(s.day) FROM planned p JOIN sessions s "
            "ON s.id = p.session_id WHERE s.day <= ? GROUP BY p.exercise_id",
            (last.isoformat(),),
        )
    }
    for ex, day in conn.execute(
        "SELECT exercise_id, max(day) FROM changes WHERE day <= ? AND exercise_id != '' "
        "GROUP BY exercise_id",
        (last.isoformat(),),
    ):
        out[ex] = dt.date.fromisoformat(day)
    return out


def dose(conn: sqlite3.Connection, last: dt.date) -> dict[str, tuple[int, int]]:
    """exercise id -> (sets, reps) as the latest session by ``last`` that planned it did."""
    out: dict[str, tuple[int, int]] = {}
    for ex, n_sets, reps in conn.execute(
        "SELECT p.exercise_id, p.sets, p.reps FROM planned p JOIN sessions s "
        "ON s.id = p.session_id WHERE s.day <= ? ORDER BY s.day, s.started_at, s.id",
        (last.isoformat(),),
    ):
        out[ex] = (n_sets, reps)
    return out


def _timed(exercise_id: str) -> bool:
    ex = library.BY_ID.get(exercise_id)
    return ex is not None and ex.kind is library.Kind.TIMED


def _status(
    sessions: list[queries.SessionRow], done: dict[int, int], plans: dict[int, list[Planned]]
) -> str:
    """Done if one session was completed with every planned set; partly if any practice."""
    if all(s.how == Outcome.SKIPPED for s in sessions):  # none, or every exercise skipped
        return MISSED
    for s in sessions:
        wanted = sum(n_sets for _, n_sets, _ in plans[s.id])
        if s.how == Outcome.COMPLETED and wanted and done[s.id] >= wanted:
            return DONE
    return PARTLY


def gather(conn: sqlite3.Connection, first: dt.date, last: dt.date) -> ReportData:
    """The report's numbers for the days ``first`` to ``last`` (inclusive), starting no earlier
    than the first recorded day (so its size does not grow with empty days before it)."""
    first = window(first, last, first_recorded(conn))
    sessions = queries.sessions(conn, first, last)
    sets = queries.sets(conn, first, last)
    ratings = queries.ratings(conn, first, last)
    plans = planned(conn, first, last)
    stops = queries.stops(conn, first, last)
    skips = queries.skips(conn, first, last)
    start = first_day(conn)

    by_day: dict[dt.date, list[queries.SessionRow]] = defaultdict(list)
    for s in sessions:
        by_day[s.day].append(s)
    reps: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    secs: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    done_sets: dict[dt.date, int] = defaultdict(int)
    done_by_session: dict[int, int] = defaultdict(int)
    for row in sets:
        (secs if _timed(row.exercise_id) else reps)[row.day][row.exercise_id] += row.done
        totals[row.exercise_id][0] += row.done
        if row.completed and row.done >= row.planned:
            done_sets[row.day] += 1
            done_by_session[row.session_id] += 1
            totals[row.exercise_id][1] += 1
    planned_sets: dict[dt.date, int] = defaultdict(int)
    for s in sessions:
        for ex, n_sets, _ in plans[s.id]:
            planned_sets[s.day] += n_sets
            totals[ex][2] += n_sets
    pain: dict[dt.date, int] = {}
    effort: dict[dt.date, int] = {}
    for r in ratings:
        target = pain if r.kind == "pain" else effort
        target[r.day] = max(target.get(r.day, 0), r.value)
    events = stop_events(stops, skips, sessions, sets, ratings)
    stop_count: dict[dt.date, int] = defaultdict(int)
    for x in events:
        if x.what == "stop" and x.counted:
            stop_count[x.day] += 1

    days = []
    for n in range((last - first).days + 1):  # never a day past ``last`` (9999-12-31 is valid)
        d = first + dt.timedelta(days=n)
        status = _status(by_day[d], done_by_session, plans)
        if status == MISSED and (start is None or d < start):
            status = NOT_STARTED
        days.append(
            Day(
                day=d,
                status=status,
                sessions=len(by_day[d]),
                reps=dict(reps[d]),
                seconds=dict(secs[d]),
                sets_done=done_sets[d],
                sets_planned=planned_sets[d],
                max_pain=pain.get(d),
                max_effort=effort.get(d),
                stops=stop_count[d],
            )
        )

    return ReportData(
        first=first,
        last=last,
        days=tuple(days),
        ratings=tuple(ratings),
        changes=tuple(queries.changes(conn, first, last)),
        stops=tuple(events),
        per_exercise={k: (v[0], v[1], v[2]) for k, v in totals.items()},
        reminders=dict(Counter(m.outcome for m in queries.reminders(conn, first, last))),
        safety=tuple(queries.safety_answers(conn, first, last)),
        at_reminders=tuple(queries.safety_outside_sessions(conn, first, last)),
        since=since(conn, last),
        dose=dose(conn, last),
    )
