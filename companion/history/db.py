"""Opening the history file: checks it is ours and not damaged, turns on WAL, migrates in order."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from companion.errors import DatabaseError
from companion.history.migrations import MIGRATIONS, TABLES, Migration

log = logging.getLogger(__name__)

APPLICATION_ID = 0x436F6D70
"""``PRAGMA application_id`` of a companion history file ("Comp")."""
SQLITE_HEADER = b"SQLite format 3\x00"
_HINT = (
    "Nothing was changed. Move the file somewhere safe (a new, empty history will be "
    "started) or restore it from a backup."
)


def _damaged(path: Path, why: str) -> DatabaseError:
    return DatabaseError(f"The history file {path} cannot be used: {why}.", hint=_HINT)


def _check_header(path: Path) -> bool:
    """True if ``path`` holds data (so must be ours); False if missing or empty."""
    if not path.exists():
        return False
    if not path.is_file():
        raise _damaged(path, "it is not a file")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise _damaged(path, f"it cannot be read ({exc.strerror})") from exc
    if not head:
        return False
    if head != SQLITE_HEADER:
        raise _damaged(path, "it is not an SQLite database (damaged, or some other file)")
    return True


def _applied(conn: sqlite3.Connection) -> list[str]:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'"
    ).fetchone()
    if not exists:
        return []
    return [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def _check_ours(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a foreign, damaged or newer file before anything is written to it."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    if app_id == 0 and not tables:
        return  # an empty SQLite file: safe to set up
    if app_id != APPLICATION_ID:
        raise _damaged(
            path, "it is an SQLite database of some other program, not a companion history"
        )
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        raise _damaged(path, f"it is damaged ({check})")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    names = _applied(conn)
    known = [m.name for m in MIGRATIONS]
    if (
        version > len(MIGRATIONS)
        or names[: len(known)] != known[: len(names)]
        or len(names) > len(known)
    ):
        raise DatabaseError(
            f"The history file {path} was written by a newer version of companion "
            f"(schema {version}; this version knows up to {len(MIGRATIONS)}).",
            hint="Nothing was changed. Update companion to read it.",
        )
    if version != len(names):
        raise _damaged(
            path, f"its schema version ({version}) does not match its migrations ({len(names)})"
        )


def _apply(conn: sqlite3.Connection, number: int, migration: Migration) -> None:
    """Apply one migration in one transaction (re-checking the version inside it)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] >= number:
            conn.execute("ROLLBACK")  # another process got there first
            return
        if number == 1:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(
                "CREATE TABLE _migrations (name TEXT PRIMARY KEY, "
                "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
        for statement in migration.statements:
            conn.execute(statement)
        conn.execute("INSERT INTO _migrations (name) VALUES (?)", (migration.name,))
        conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    log.info("history: applied migration %s", migration.name)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration not yet applied, in order; returns the schema version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, migration in enumerate(MIGRATIONS, start=1):
        if number > version:
            _apply(conn, number, migration)
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _wal(conn: sqlite3.Connection) -> bool:
    """Switch to write-ahead logging; retried, as the switch does not wait for other openers."""
    for attempt in range(100):
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower() == "wal"
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)
    return False


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """A checked, migrated connection (autocommit; callers use explicit transactions).

    Raises DatabaseError for a damaged, foreign or newer file and never writes to one.
    """
    path = Path(path)
    has_data = _check_header(path)
    if not has_data and not create:
        raise DatabaseError(f"There is no history yet at {path}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except (OSError, sqlite3.Error) as exc:
        raise _damaged(path, f"it cannot be opened ({exc})") from exc
    try:
        conn.execute("BEGIN")  # one consistent snapshot while another process may be migrating
        try:
            _check_ours(conn, path)
        finally:
            conn.execute("ROLLBACK")
        conn.execute("PRAGMA busy_timeout = 10000")
        if not _wal(conn):
            log.warning("history: WAL journal mode is not available for %s", path)
        conn.execute("PRAGMA synchronous = FULL")  # a power cut loses at most the set in progress
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in TABLES if t not in present]
        if missing:
            raise _damaged(path, "tables are missing: " + ", ".join(missing))
    except DatabaseError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _damaged(path, str(exc)) from exc
    return conn
