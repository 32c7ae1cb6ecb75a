"""The history store: the session hands it each record the moment it happens; commits at once."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from companion.errors import BadInputError, StorageError
from companion.history.db import connect
from companion.history.write_errors import write_error
from companion.plan import Change
from companion.records import (
    Rating,
    Record,
    SafetyAnswer,
    SessionEnded,
    SessionStarted,
    SetDone,
    Skipped,
    Stopped,
)

log = logging.getLogger(__name__)

REMINDER_OUTCOMES = ("fired", "snoozed", "started", "skipped", "no_answer", "missed")
"""What can happen to a reminder (``log_reminder``)."""
REMINDER_SAFETY = ("pain", "warning_signs")
"""What can be said at a reminder that is a safety event (``log_reminder_safety``)."""
SCREEN_SAFETY = ("pain",)
"""What can be pressed on the screen outside a session and a reminder that is a safety event
(``log_screen_safety``)."""


class HistoryStore:
    """One open history file. ``HistoryStore.open(path)``; ``write(record)``; ``close()``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.connection = conn
        """The open connection (autocommit), for ``companion.history.queries``."""
        self.path = path
        self._session: int | None = None
        self._start_lost: StorageError | None = None
        """Why the open session's start could not be saved (a full disk): its records neither."""

    @classmethod
    def open(cls, path: Path | str, *, create: bool = True) -> HistoryStore:
        """Open (creating and migrating if needed); DatabaseError if damaged, foreign or newer."""
        return cls(connect(Path(path), create=create), Path(path))

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (everything written is already committed)."""
        self.connection.close()

    @property
    def session_id(self) -> int | None:
        """The id of the session being written, if one is open."""
        return self._session

    def _run(self, sql: str, args: tuple[object, ...]) -> int:
        try:
            cur = self.connection.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            raise BadInputError(f"This cannot be stored in the history: {exc}.") from exc
        except sqlite3.Error as exc:
            raise write_error(self.path, exc) from exc
        return int(cur.lastrowid or 0)

    def _current(self, record: Record) -> int:
        if self._session is None and self._start_lost is not None:
            raise self._start_lost
        if self._session is None:
            raise BadInputError(
                f"{type(record).__name__} arrived outside a session; a session must start first."
            )
        return self._session

    def write(self, record: Record) -> None:
        """Store one record; it is committed (and on disk) when this returns."""
        if isinstance(record, SessionStarted):
            self._start_lost = None
            try:
                self._start(record)
            except StorageError as exc:
                self._start_lost = exc
                raise
        elif isinstance(record, SetDone):
            self._run(
                "INSERT INTO sets (session_id, at, exercise_id, set_number, planned, done,"
                " duration_s, completed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._current(record),
                    record.at.isoformat(),
                    record.exercise_id,
                    record.set_number,
                    record.planned,
                    record.done,
                    float(record.duration_s),
                    int(record.completed),
                ),
            )
        elif isinstance(record, Rating):
            self._run(
                "INSERT INTO ratings (session_id, at, exercise_id, set_number, kind, value)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self._current(record),
                    record.at.isoformat(),
                    record.exercise_id,
                    record.set_number,
                    record.kind,
                    record.value,
                ),
            )
        elif isinstance(record, SafetyAnswer):
            self._run(
                "INSERT INTO safety_answers (session_id, at, question, answer, text)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    self._current(record),
                    record.at.isoformat(),
                    record.question,
                    record.answer,
                    record.text,
                ),
            )
        elif isinstance(record, Stopped | Skipped):
            table = "stops" if isinstance(record, Stopped) else "skips"
            self._run(
                f"INSERT INTO {table} (session_id, at, exercise_id, reason) VALUES (?, ?, ?, ?)",
                (self._current(record), record.at.isoformat(), record.exercise_id, record.reason),
            )
        elif isinstance(record, SessionEnded):
            try:
                self._run(
                    "UPDATE sessions SET ended_at = ?, how = ? WHERE id = ?",
                    (record.at.isoformat(), record.how, self._current(record)),
                )
            finally:
                self._session, self._start_lost = None, None
        else:
            raise BadInputError(f"Not a history record: {record!r}")

    def _start(self, record: SessionStarted) -> None:
        """Close any session left open by a crash, then open a new one (one transaction)."""
        conn = self.connection
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._close_dangling()
                cur = conn.execute(
                    "INSERT INTO sessions (day, started_at) VALUES (?, ?)",
                    (record.day.isoformat(), record.at.isoformat()),
                )
                session = int(cur.lastrowid or 0)
                conn.executemany(
                    "INSERT INTO planned (session_id, position, exercise_id, sets, reps) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [
                        (session, n, ex, sets, reps)
                        for n, (ex, sets, reps) in enumerate(record.planned, start=1)
                    ],
                )
                conn.execute("COMMIT")
            except BaseException:
                rollback(conn)
                raise
        except sqlite3.Error as exc:
            raise write_error(self.path, exc) from exc
        self._session = session

    def _close_dangling(self) -> None:
        """Mark sessions that never ended (the process died) as interrupted at their last record."""
        for (sid,) in self.connection.execute(
            "SELECT id FROM sessions WHERE ended_at IS NULL"
        ).fetchall():
            last = self.connection.execute(
                "SELECT max(at) FROM (SELECT started_at AS at FROM sessions WHERE id = :s "
                "UNION ALL SELECT at FROM sets WHERE session_id = :s "
                "UNION ALL SELECT at FROM ratings WHERE session_id = :s "
                "UNION ALL SELECT at FROM stops WHERE session_id = :s "
                "UNION ALL SELECT at FROM skips WHERE session_id = :s "
                "UNION ALL SELECT at FROM safety_answers WHERE session_id = :s)",
                {"s": sid},
            ).fetchone()[0]
            self.connection.execute(
                "UPDATE sessions SET ended_at = ?, how = 'interrupted' WHERE id = ?", (last, sid)
            )
            log.warning("history: session %s never ended; marked interrupted", sid)

    def log_changes(self, day: dt.date, changes: Iterable[Change]) -> None:
        """Record the plan changes that took effect on ``day`` (once each; repeats are ignored)."""
        rows = [(day.isoformat(), c.exercise_id, c.kind, c.old, c.new, c.rule) for c in changes]
        try:
            with_tx(
                self.connection,
                lambda c: c.executemany(
                    "INSERT OR IGNORE INTO changes (day, exercise_id, kind, old, new, rule) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                ),
            )
        except sqlite3.Error as exc:
            raise write_error(self.path, exc) from exc

    def log_reminder(self, at: dt.datetime, day: dt.date, outcome: str) -> None:
        """Record a reminder outcome: fired, snoozed, started, skipped, no_answer or missed."""
        if outcome not in REMINDER_OUTCOMES:
            raise BadInputError(
                f"Unknown reminder outcome {outcome!r}; use one of " + ", ".join(REMINDER_OUTCOMES)
            )
        self._run(
            "INSERT INTO reminders (at, day, outcome) VALUES (?, ?, ?)",
            (at.isoformat(), day.isoformat(), outcome),
        )

    def log_reminder_safety(self, at: dt.datetime, day: dt.date, what: str, text: str) -> None:
        """Record "it hurts" (``pain``) or the stroke warning signs (``warning_signs``) said at a
        reminder, with the words said back; no session is needed."""
        self._log_outside("reminder_safety", REMINDER_SAFETY, at, day, what, text)

    def log_screen_safety(self, at: dt.datetime, day: dt.date, what: str, text: str) -> None:
        """Record "It hurts" (``pain``) pressed on the screen with no session running and no
        reminder asking, with the words shown back."""
        self._log_outside("screen_safety", SCREEN_SAFETY, at, day, what, text)

    def _log_outside(
        self,
        table: str,
        known: tuple[str, ...],
        at: dt.datetime,
        day: dt.date,
        what: str,
        text: str,
    ) -> None:
        """A safety event with no session running, into ``table`` (one of two fixed names)."""
        if what not in known:
            where = "at a reminder" if table == "reminder_safety" else "on the screen"
            raise BadInputError(
                f"Unknown safety event {where} {what!r}; use one of " + ", ".join(known)
            )
        self._run(
            f"INSERT INTO {table} (at, day, what, text) VALUES (?, ?, ?, ?)",
            (at.isoformat(), day.isoformat(), what, text),
        )

    def approve(self, exercise_id: str, day: dt.date, at: dt.datetime) -> bool:
        """The caregiver approves ``exercise_id`` from ``day`` on; False if already approved."""
        before = self.connection.total_changes
        self._run(
            "INSERT OR IGNORE INTO approvals (day, exercise_id, at) VALUES (?, ?, ?)",
            (day.isoformat(), exercise_id, at.isoformat()),
        )
        return self.connection.total_changes > before


def with_tx(conn: sqlite3.Connection, work: Callable[[sqlite3.Connection], object]) -> None:
    """Run ``work(conn)`` inside one immediate transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        work(conn)
        conn.execute("COMMIT")
    except BaseException:
        rollback(conn)
        raise


def rollback(conn: sqlite3.Connection) -> None:
    """Undo the open transaction, if SQLite has not already (it does after a full disk)."""
    if conn.in_transaction:
        conn.execute("ROLLBACK")
