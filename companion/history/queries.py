"""Read-only questions to the history: its rows, for reports, the plan and CSV.

The progression rules' summary is read in ``practice_days``; a safety answer in a few words is
``safety_words.brief``.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass


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


@dataclass(frozen=True)
class ReminderSafetyRow:
    """ "It hurts" or the stroke warning signs said at a reminder (no session running)."""

    at: str
    day: dt.date
    what: str
    """``pain`` or ``warning_signs``."""
    text: str
    """The words said back (the advice to rest, or the call-now lines)."""
    place: str = "reminder"
    """``reminder`` (said at a reminder) or ``screen`` (pressed on the screen, nothing asking)."""


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


def reminder_safety(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[ReminderSafetyRow]:
    """ "It hurts" and the stroke warning signs said at reminders, by day."""
    return _safety_outside(conn, "reminder_safety", "reminder", start, end)


def safety_outside_sessions(
    conn: sqlite3.Connection, start: dt.date | None = None, end: dt.date | None = None
) -> list[ReminderSafetyRow]:
    """ "It hurts" and the warning signs with no session running: said at reminders, then
    pressed on the screen with nothing asking, each in time order, by day."""
    on_screen = _safety_outside(conn, "screen_safety", "screen", start, end)
    return sorted(reminder_safety(conn, start, end) + on_screen, key=lambda e: (e.day, e.at))


def _safety_outside(
    conn: sqlite3.Connection, table: str, place: str, start: dt.date | None, end: dt.date | None
) -> list[ReminderSafetyRow]:
    """The rows of ``table`` (``reminder_safety`` or ``screen_safety``: a fixed name, never
    input), as rows of ``place``, by id."""
    where, args = _range("day", start, end)
    return [
        ReminderSafetyRow(r[0], _d(r[1]), r[2], r[3], place)
        for r in conn.execute(f"SELECT at, day, what, text FROM {table}{where} ORDER BY id", args)
    ]


def approvals(conn: sqlite3.Connection) -> list[tuple[dt.date, str]]:
    """(from day, exercise id) approved by the caregiver."""
    return [
        (_d(r[0]), r[1]) for r in conn.execute("SELECT day, exercise_id FROM approvals ORDER BY id")
    ]
