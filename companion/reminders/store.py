"""The reminder store: pending reminders and deliveries as plain rows, validated when read.

Nothing in it is ever unpickled or run. A row that does not validate is reported in plain words
and skipped; it is never acted on and never deleted. The scheduler's jobs are rebuilt from these
rows at every start.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from companion.errors import BadInputError, DatabaseError
from companion.reminders import legacy, store_check
from companion.reminders.times import OUTCOMES, Due, parse_slot

log = logging.getLogger(__name__)

KINDS = ("reminder", "snooze")
"""A daily reminder of the routine, or one put off with "later" (or while a session ran)."""
MAX_SNOOZES = 100
"""More "later"s than this in one row is not something this program wrote."""
DEFERRED = "deferred"
"""A delivery's outcome when a session was going on and the reminder was put off."""
NOT_ASKED = "not_asked"
"""A delivery's outcome when the day had already been let go (skip today)."""
DELIVERY_OUTCOMES = (*OUTCOMES, DEFERRED, NOT_ASKED)
KEEP_DELIVERIES = dt.timedelta(days=14)
"""Finished deliveries older than this are forgotten (their outcomes are in the history)."""
UTC = dt.timezone.utc


@dataclass(frozen=True)
class Job:
    """A pending reminder: a daily one with its next time, or a snooze."""

    kind: str
    slot: str
    next_run: dt.datetime
    snoozes: int = 0

    @property
    def id(self) -> str:
        """The row's key: one daily reminder and at most one snooze per time of day."""
        return f"{self.kind} {self.slot}"


def iso(at: dt.datetime) -> str:
    """How a time is stored: ISO 8601 in UTC (the same instant always gives the same text)."""
    return at.astimezone(UTC).isoformat()


def _time(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("the time is not text")
    at = dt.datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("the time has no UTC offset")
    return at


def _slot(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("the reminder time is not text")
    try:
        slot = parse_slot(value)
    except BadInputError as exc:
        raise ValueError(str(exc)) from exc
    if slot.label != value:
        raise ValueError(f"{value!r} is not written as HH:MM")
    return value


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SNOOZES:
        raise ValueError(f"{value!r} is not a number of snoozes")
    return value


def _job(row: tuple[object, ...]) -> Job:
    job_id, kind, slot, next_run, snoozes = row
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    job = Job(str(kind), _slot(slot), _time(next_run), _count(snoozes))
    if job_id != job.id:
        raise ValueError(f"its key {job_id!r} does not match {job.id!r}")
    return job


class ReminderStore:
    """One open reminder store. ``ReminderStore.open(path)``; read-only: ``pending(path)``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self.problems: list[str] = []
        """Plain sentences about rows that were skipped (and notes on a conversion)."""
        self.notes: list[str] = []

    @classmethod
    def open(cls, path: Path) -> ReminderStore:
        """Open, creating (owner-only) or converting an old store; DatabaseError if unusable."""
        conn, kind = store_check.writable(path)
        store = cls(conn, path)
        if kind is not store_check.Kind.OURS:
            try:
                store.notes = store_check.set_up(conn, path)
            except sqlite3.Error as exc:
                conn.close()
                raise store_check.damaged(path, str(exc)) from exc
        return store

    def __enter__(self) -> ReminderStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (every change is already committed)."""
        self._conn.close()

    def _skip(self, what: str, key: object, why: str) -> None:
        text = f"{what} {str(key)[:60]!r} in {self.path} was not understood ({why}); skipped"
        if text not in self.problems:
            self.problems.append(text)
            log.warning("reminder store: %s", text)

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise store_check.damaged(self.path, str(exc)) from exc

    # ---- reading -------------------------------------------------------------------------

    def jobs(self) -> list[Job]:
        """Every valid pending reminder; an invalid row is reported in ``problems`` and skipped."""
        out = []
        for row in self._query("SELECT id, kind, slot, next_run, snoozes FROM jobs ORDER BY id"):
            try:
                out.append(_job(row))
            except (ValueError, TypeError) as exc:
                self._skip("the entry", row[0], str(exc))
        return out

    def unfinished(self) -> list[Due]:
        """Reminders handed over but never finished (the daemon was stopped or killed)."""
        out = []
        rows = self._query(
            "SELECT slot, due_at, snoozes FROM deliveries WHERE state = 'open' ORDER BY due_at"
        )
        for slot, due_at, snoozes in rows:
            try:
                out.append(Due(_slot(slot), _time(due_at), _count(snoozes)))
            except (ValueError, TypeError) as exc:
                self._skip("the delivery", f"{slot} {due_at}", str(exc))
        return out

    # ---- writing (each call is one transaction) --------------------------------------------

    def _write(self, statements: Iterable[tuple[str, tuple[object, ...]]]) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._conn.execute(sql, args)
                self._conn.execute("COMMIT")
            except BaseException:
                # the error (or SIGTERM) may come after COMMIT: the rollback must not hide it
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise DatabaseError(f"Writing the reminder store {self.path} failed: {exc}.") from exc

    def set_daily(self, wanted: Mapping[str, dt.datetime], now: dt.datetime) -> None:
        """Make the daily rows the slots of ``wanted``, each next at the time given.

        A row already due (at or before ``now``, not yet handed over) keeps its time; the rows
        of times no longer in the routine are dropped. Snoozes are kept.
        """
        have = {j.slot: j for j in self.jobs() if j.kind == "reminder"}
        statements: list[tuple[str, tuple[object, ...]]] = [
            ("DELETE FROM jobs WHERE kind = 'reminder' AND id = ?", (f"reminder {slot}",))
            for slot in set(have) - set(wanted)
        ]
        statements += [
            self._put(Job("reminder", slot, at))
            for slot, at in wanted.items()
            if slot not in have or have[slot].next_run > now
        ]
        self._write(statements)

    def hand_over(self, dues: Iterable[Due], daily_next: Mapping[str, dt.datetime]) -> list[Due]:
        """Record ``dues`` as open deliveries and move their jobs on, in one transaction.

        ``daily_next`` gives each daily reminder's next time; a snooze that fell due is removed.
        Returns the dues not already finished (a finished one is never given again).
        """
        dues = list(dues)
        done = {
            (str(s), str(a))
            for s, a in self._query("SELECT slot, due_at FROM deliveries WHERE state = 'done'")
        }
        fresh = [d for d in dues if (d.slot, iso(d.at)) not in done]
        statements: list[tuple[str, tuple[object, ...]]] = [
            (
                "INSERT OR IGNORE INTO deliveries (slot, due_at, snoozes, state) "
                "VALUES (?, ?, ?, 'open')",
                (d.slot, iso(d.at), d.snoozes),
            )
            for d in fresh
        ]
        statements += [
            ("DELETE FROM jobs WHERE id = ? AND next_run = ?", (f"snooze {d.slot}", iso(d.at)))
            for d in dues
        ]
        statements += [
            ("UPDATE jobs SET next_run = ? WHERE id = ?", (iso(at), f"reminder {slot}"))
            for slot, at in daily_next.items()
        ]
        if dues:
            oldest = iso(max(d.at for d in dues) - KEEP_DELIVERIES)
            statements.append(
                ("DELETE FROM deliveries WHERE state = 'done' AND due_at < ?", (oldest,))
            )
        self._write(statements)
        return fresh

    def finish(self, due: Due, outcome: str, snooze: Job | None = None) -> None:
        """``due`` ended with ``outcome`` (it is not given again); store ``snooze`` with it."""
        if outcome not in DELIVERY_OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        statements: list[tuple[str, tuple[object, ...]]] = [
            (
                "INSERT OR REPLACE INTO deliveries (slot, due_at, snoozes, state, outcome) "
                "VALUES (?, ?, ?, 'done', ?)",
                (due.slot, iso(due.at), due.snoozes, outcome),
            )
        ]
        if snooze is not None:
            statements.append(self._put(snooze))
        self._write(statements)

    @staticmethod
    def _put(job: Job) -> tuple[str, tuple[object, ...]]:
        return (
            "INSERT OR REPLACE INTO jobs (id, kind, slot, next_run, snoozes) "
            "VALUES (?, ?, ?, ?, ?)",
            (job.id, job.kind, job.slot, iso(job.next_run), job.snoozes),
        )

    def put(self, job: Job) -> None:
        """Store ``job`` (a snooze replaces the earlier one of its time of day)."""
        self._write([self._put(job)])

    def drop_snoozes(self) -> None:
        """Forget every pending snooze (the day was let go)."""
        self._write([("DELETE FROM jobs WHERE kind = 'snooze'", ())])


def pending(path: Path) -> tuple[list[Job], list[str]]:
    """The stored pending reminders and the problems met, read-only (safe while the daemon runs).

    An old store is read the same way, from its plain columns, and left as it is.
    """
    opened = store_check.read_only(path)
    if opened is None:
        return [], []
    conn, kind = opened
    try:
        if kind is store_check.Kind.LEGACY:
            old, problems = legacy.read(conn)
            snoozes = legacy.MIGRATED_SNOOZES
            return [
                Job(j.kind, j.slot, j.next_run, snoozes if j.kind == "snooze" else 0) for j in old
            ], problems
        if kind is store_check.Kind.NONE:
            return [], []
        store = ReminderStore(conn, path)
        return store.jobs(), store.problems
    except sqlite3.Error as exc:
        raise store_check.damaged(path, str(exc)) from exc
    finally:
        conn.close()
