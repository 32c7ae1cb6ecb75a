"""What the progression rules read from the history: the facts of every practice day before the
plan day (see ``summary`` for the facts themselves)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict

from companion.history.queries import (
    SessionRow,
    approvals,
    ratings,
    safety_outside_sessions,
    sessions,
    sets,
    skips,
    stops,
)
from companion.history.summary import DaySummary, ExerciseDay, HistorySummary
from companion.records import UNFINISHED, Outcome

WARNING_ENDS = frozenset({Outcome.WARNING_SIGNS, Outcome.SAFETY_CHECK})
"""How a session ends when its safety answers stopped it (the warning signs, the safety check)."""


def summary(conn: sqlite3.Connection, before: dt.date) -> HistorySummary:
    """The facts of every practice day before ``before``, for the progression rules."""
    end = before - dt.timedelta(days=1)
    by_day: dict[dt.date, list[SessionRow]] = defaultdict(list)
    for s in sessions(conn, None, end):
        by_day[s.day].append(s)
    planned: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for sid, ex, n_sets, reps in conn.execute(
        "SELECT p.session_id, p.exercise_id, p.sets, p.reps FROM planned p "
        "JOIN sessions s ON s.id = p.session_id WHERE s.day <= ? ORDER BY p.session_id, "
        "p.position",
        (end.isoformat(),),
    ):
        planned[sid].append((ex, n_sets, reps))
    done: dict[tuple[int, str], set[int]] = defaultdict(set)
    for row in sets(conn, None, end):
        if row.completed and row.done >= row.planned:
            done[(row.session_id, row.exercise_id)].add(row.set_number)
    rated: dict[tuple[dt.date, str, str], int] = {}
    day_pain: dict[dt.date, int] = {}
    for r in ratings(conn, None, end):
        key = (r.day, r.exercise_id, r.kind)
        rated[key] = max(rated.get(key, 0), r.value)
        if r.kind == "pain":
            day_pain[r.day] = max(day_pain.get(r.day, 0), r.value)
    pain_events = {
        (e.day, e.exercise_id)
        for e in stops(conn, None, end) + skips(conn, None, end)
        if e.reason == "pain"
    }
    # "it hurts" with no session running (at a reminder, or pressed on the screen) holds like
    # pain; the stroke warning signs there, or a session ended by them or by its safety
    # questions, hold for them
    outside = safety_outside_sessions(conn, None, end)
    hurt_at_reminder = {e.day for e in outside if e.what != "warning_signs"}
    warned = {e.day for e in outside if e.what == "warning_signs"}
    warned |= {
        d for d, day_sessions in by_day.items() if any(s.how in WARNING_ENDS for s in day_sessions)
    }
    days = []
    for day in sorted(by_day):
        facts: dict[str, tuple[int, bool, bool]] = {}
        for s in by_day[day]:
            complete = s.how == Outcome.COMPLETED
            for ex, n_sets, reps in planned[s.id]:
                _, ok, short = facts.get(ex, (reps, False, False))
                met = len(done[(s.id, ex)]) >= n_sets
                facts[ex] = (reps, ok or (met and complete), short or (met and not complete))
        exercises = tuple(
            ExerciseDay(
                ex,
                reps,
                ok,
                short,
                rated.get((day, ex, "pain")),
                rated.get((day, ex, "effort")),
                (day, ex) in pain_events,
            )
            for ex, (reps, ok, short) in facts.items()
        )
        days.append(
            DaySummary(
                day,
                len(by_day[day]),
                tuple(s.how or UNFINISHED for s in by_day[day]),
                exercises,
                day_pain.get(day),
                any(d == day for d, _ in pain_events) or day in hurt_at_reminder,
                day in warned,
            )
        )
    return HistorySummary(tuple(days), tuple(approvals(conn)))
