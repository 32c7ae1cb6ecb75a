"""Opening the reminder store file: checks it is ours (or the old store to migrate), not damaged.

Plain ``sqlite3`` with the path handed over as a path (or a percent-quoted ``file:`` URI for
read-only use), so a data folder with ``?`` or ``#`` in its name stays that folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from enum import Enum
from pathlib import Path

from companion.errors import DatabaseError
from companion.reminders import legacy
from companion.sqlite_header import NotAFile, NotSQLite, holds_database

APPLICATION_ID = 0x436F5265
"""``PRAGMA application_id`` of a companion reminder store ("CoRe")."""
SCHEMA = 1
"""``PRAGMA user_version`` of the tables this version writes."""
TABLES = ("jobs", "deliveries")
CREATE = (
    """CREATE TABLE jobs (
    id TEXT PRIMARY KEY,        -- "reminder HH:MM" (daily) or "snooze HH:MM"
    kind TEXT NOT NULL,         -- reminder or snooze
    slot TEXT NOT NULL,         -- HH:MM[:SS], local to the routine's zone
    next_run TEXT NOT NULL,     -- ISO 8601, UTC
    snoozes INTEGER NOT NULL DEFAULT 0
)""",
    """CREATE TABLE deliveries (
    slot TEXT NOT NULL,
    due_at TEXT NOT NULL,       -- ISO 8601, UTC: when the reminder was due
    snoozes INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL,        -- open (handed over, not finished) or done
    outcome TEXT,               -- how it ended, once done
    PRIMARY KEY (slot, due_at)
)""",
)


class Kind(Enum):
    """What an existing file holds."""

    NONE = "none"
    """No file, or an empty one: to be set up."""
    OURS = "ours"
    LEGACY = "legacy"
    """The old APScheduler job table: to be migrated."""


def _hint(path: Path) -> str:
    return (
        f"Nothing was changed. Move it away (mv '{path}' '{path}.broken') and start the daemon "
        "again: the reminders are rebuilt from the routine; only pending snoozes are lost."
    )


def damaged(path: Path, why: str) -> DatabaseError:
    """The error for a reminder store that cannot be used."""
    return DatabaseError(f"The reminder store {path} is damaged ({why}).", hint=_hint(path))


def _has_data(path: Path) -> bool:
    try:
        return holds_database(path)
    except NotAFile:
        raise damaged(path, "it is not a file") from None
    except NotSQLite:
        raise damaged(path, "file is not a database") from None
    except OSError as exc:
        raise damaged(path, f"it cannot be read: {exc.strerror}") from exc


def classify(conn: sqlite3.Connection, path: Path) -> Kind:
    """What ``conn`` holds; DatabaseError for a damaged, foreign or newer file."""
    status = conn.execute("PRAGMA quick_check").fetchone()[0]
    if status != "ok":
        raise damaged(path, str(status))
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if app_id == APPLICATION_ID:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA:
            raise DatabaseError(
                f"The reminder store {path} was written by a newer version of companion.",
                hint="Nothing was changed. Update companion to use it.",
            )
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise damaged(path, "tables are missing: " + ", ".join(missing))
        return Kind.OURS
    if app_id == 0 and not tables:
        return Kind.NONE
    if app_id == 0 and tables == {legacy.TABLE}:
        return Kind.LEGACY
    raise DatabaseError(
        f"{path} is not a reminder store (it holds other tables).", hint=_hint(path)
    )


def read_only(path: Path) -> tuple[sqlite3.Connection, Kind] | None:
    """A read-only connection and what it holds, or None when there is no store yet."""
    if not _has_data(path):
        return None
    uri = path.resolve().as_uri() + "?mode=ro"  # as_uri() percent-quotes '?', '#' and '%'
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=10.0)
    except sqlite3.Error as exc:
        raise damaged(path, str(exc)) from exc
    try:
        return conn, classify(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise damaged(path, str(exc)) from exc
    except DatabaseError:
        conn.close()
        raise


def writable(path: Path) -> tuple[sqlite3.Connection, Kind]:
    """A connection (autocommit) to the store, created owner-only if missing, and its kind."""
    _has_data(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"The reminder store {path} cannot be opened ({exc}).") from exc
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA synchronous = FULL")
        return conn, classify(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise damaged(path, str(exc)) from exc
    except DatabaseError:
        conn.close()
        raise


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.timezone.utc).isoformat()


def set_up(conn: sqlite3.Connection, path: Path) -> list[str]:
    """Create the tables in one transaction; from an old store, carry over its plain columns.

    The old pickled table is dropped in the same transaction, so nothing that could be
    unpickled is left behind. Returns plain sentences saying what was carried over or skipped.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = classify(conn, path)
        if current is Kind.OURS:
            conn.execute("ROLLBACK")  # another process set it up first
            return []
        old: list[legacy.OldJob] = []
        said: list[str] = []
        if current is Kind.LEGACY:
            old, said = legacy.read(conn)
            conn.execute(f"DROP TABLE {legacy.TABLE}")
        for statement in CREATE:
            conn.execute(statement)
        for job in old:
            snoozes = legacy.MIGRATED_SNOOZES if job.kind == "snooze" else 0
            conn.execute(
                "INSERT OR REPLACE INTO jobs (id, kind, slot, next_run, snoozes) "
                "VALUES (?, ?, ?, ?, ?)",
                (f"{job.kind} {job.slot}", job.kind, job.slot, _iso(job.next_run), snoozes),
            )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    if current is Kind.LEGACY:
        said.append(f"the old reminder store was converted ({len(old)} entries carried over)")
    return said
