"""Read-only questions to the history: the progression summary, and rows for reports and CSV."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

from companion.history.summary import DaySummary, ExerciseDay, HistorySummary
from companion.records import UNFINISHED, Outcome


@dataclass(frozen=True)
class SessionRow:
    """One session."""

    id: int
    day: dt.date
    started_at: str
    ended_at: str | None
    how: str | None
    """None while it runs (or if it died and no later session has started yet)."""


@dataclass(frozen=True)
class SetRow:
    """One set."""

    session_id: int
    day: dt.date
    at: str
    exercise_id: str
    set_number: int
    planned: int
    done: int
    duration_s: float
    completed: bool


@dataclass(frozen=True)
class RatingRow:
    """One pain or effort rating."""

    session_id: int
    day: dt.date
    at: str
    exercise_id: str
    set_number: int
    kind: str
    value: int


@dataclass(frozen=True)
class EventRow:
    """A stop or a skip, with its reason."""

    session_id: int
    day: dt.date
    at: str
    exercise_id: str
    reason: str


@dataclass(frozen=True)
class SafetyRow:
    """One safety answer (see ``records.SafetyAnswer``)."""

    session_id: int
    day: dt.date
    at: str
    question: str
    answer: str
    text: str

    @property
    def alarming(self) -> bool:
        """A "yes" to a safety question, pain over 6 at them, or the "call now" alert."""
        if self.question == "call_now_alert":
            return True
        if self.question == "pain_now":
            return self.answer.isdigit() and int(self.answer) > PAIN_LIMIT
        return self.answer == "yes"


PAIN_LIMIT = 6
"""Pain above this before the exercises means no exercise that day (the session's rule)."""
_BRIEF = {
    ("chest_pain", "no"): "no chest pain",
    ("chest_pain", "yes"): "CHEST PAIN (yes)",
    ("dizziness", "no"): "no dizziness",
    ("dizziness", "yes"): "DIZZY (yes)",
    ("pain_over_6", "no"): "pain 6 or less",
    ("pain_over_6", "yes"): "PAIN OVER 6 (yes)",
    ("stop_for_today", "no"): "did not stop for today",
    ("stop_for_today", "yes"): "STOPPED FOR TODAY (yes)",
    ("call_now_alert", "chest_pain"): "CALL-NOW ALERT SHOWN (chest pain)",
    ("call_now_alert", "warning_signs"): "CALL-NOW ALERT SHOWN (stroke warning signs)",
}


def brief(row: SafetyRow) -> str:
    """A few words for one answer ("no chest pain", "pain 2"); capitals when alarming."""
    if row.question == "pain_now":
        text = f"pain {row.answer}"
        return text.upper() if row.alarming else text
    known = _BRIEF.get((row.question, row.answer))
    if known is not None:
        return known
    text = f"{row.question.replace('_', ' ')}: {row.answer}"
    return text.upper() if row.alarming else text


@dataclass(frozen=True)
class ChangeRow:
    """A level or dose change and the rule that made it."""

    day: dt.date
    exercise_id: str
    kind: str
    old: int
    new: int
    rule: str


@dataclass(frozen=True)
class ReminderRow:
    """What happened to a reminder."""

    at: str
    day: dt.date
    outcome: str


def _range(column: str, start: dt.date | None, end: dt.date | None) -> tuple[str, list[str]]:
    where, args = [], []
    if start is not None:
        where.append(f"{column} >= ?")
        args.append(start.isoformat())
    if end is not None:
        where.append(f"{column} <= ?")
        args.append(end.isoformat())
    return (" WHERE " + " AND ".join(where)) if where else "", args


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def sessions(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[SessionRow]:
    """Sessions whose day is in [start, end], in the order they started."""
    where, args = _range("day", start, end)
    return [
        SessionRow(r[0], _d(r[1]), r[2], r[3], r[4])
        for r in conn.execute(
            f"SELECT id, day, started_at, ended_at, how FROM sessions{where} ORDER BY id", args
        )
    ]


def sets(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[SetRow]:
    """Sets of sessions whose day is in [start, end], in order."""
    where, args = _range("s.day", start, end)
    return [
        SetRow(r[0], _d(r[1]), r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))
        for r in conn.execute(
            "SELECT x.session_id, s.day, x.at, x.exercise_id, x.set_number, x.planned, x.done,"
            f" x.duration_s, x.completed FROM sets x JOIN sessions s ON s.id = x.session_id"
            f"{where} ORDER BY x.id",
            args,
        )
    ]


def ratings(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[RatingRow]:
    """Pain and effort ratings of sessions whose day is in [start, end], in order."""
    where, args = _range("s.day", start, end)
    return [
        RatingRow(r[0], _d(r[1]), r[2], r[3], r[4], r[5], r[6])
        for r in conn.execute(
            "SELECT x.session_id, s.day, x.at, x.exercise_id, x.set_number, x.kind, x.value "
            f"FROM ratings x JOIN sessions s ON s.id = x.session_id{where} ORDER BY x.id",
            args,
        )
    ]


def _events(
    conn: sqlite3.Connection, table: str, start: dt.date | None, end: dt.date | None
) -> list[EventRow]:
    where, args = _range("s.day", start, end)
    return [
        EventRow(r[0], _d(r[1]), r[2], r[3], r[4])
        for r in conn.execute(
            f"SELECT x.session_id, s.day, x.at, x.exercise_id, x.reason FROM {table} x "
            f"JOIN sessions s ON s.id = x.session_id{where} ORDER BY x.id",
            args,
        )
    ]


def stops(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[EventRow]:
    """Every stop with its reason (user, pain, tired, device, safety_check)."""
    return _events(conn, "stops", start, end)


def skips(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[EventRow]:
    """Every skipped exercise with its reason."""
    return _events(conn, "skips", start, end)


def safety_answers(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[SafetyRow]:
    """Safety answers of sessions whose day is in [start, end], in the order given."""
    where, args = _range("s.day", start, end)
    return [
        SafetyRow(r[0], _d(r[1]), r[2], r[3], r[4], r[5])
        for r in conn.execute(
            "SELECT x.session_id, s.day, x.at, x.question, x.answer, x.text "
            f"FROM safety_answers x JOIN sessions s ON s.id = x.session_id{where} ORDER BY x.id",
            args,
        )
    ]


def changes(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[ChangeRow]:
    """Level and dose changes logged by sessions, by day."""
    where, args = _range("day", start, end)
    return [
        ChangeRow(_d(r[0]), r[1], r[2], r[3], r[4], r[5])
        for r in conn.execute(
            f"SELECT day, exercise_id, kind, old, new, rule FROM changes{where} ORDER BY day, id",
            args,
        )
    ]


def reminders(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[ReminderRow]:
    """Reminder outcomes, by day."""
    where, args = _range("day", start, end)
    return [
        ReminderRow(r[0], _d(r[1]), r[2])
        for r in conn.execute(f"SELECT at, day, outcome FROM reminders{where} ORDER BY id", args)
    ]


def approvals(conn: sqlite3.Connection) -> list[tuple[dt.date, str]]:
    """(from day, exercise id) approved by the caregiver."""
    return [
        (_d(r[0]), r[1]) for r in conn.execute("SELECT day, exercise_id FROM approvals ORDER BY id")
    ]


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
                any(d == day for d, _ in pain_events),
            )
        )
    return HistorySummary(tuple(days), tuple(approvals(conn)))
