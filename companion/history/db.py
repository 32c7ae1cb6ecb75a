"""Opening the history file: checks it is ours and not damaged, turns on WAL, migrates in order;
owner-only (0600), and read-only when the folder cannot be written and only reading is asked."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import urllib.parse
from pathlib import Path

from companion.errors import DatabaseError, StorageError
from companion.history.file_header import check_header, damaged
from companion.history.migrations import MIGRATIONS, TABLES, Migration
from companion.history.private_file import make_file, make_private, remove_if_empty
from companion.history.write_errors import write_error

log = logging.getLogger(__name__)

APPLICATION_ID = 0x436F6D70
"""``PRAGMA application_id`` of a companion history file ("Comp")."""


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
        raise damaged(
            path, "it is an SQLite database of some other program, not a companion history"
        )
    check = conn.execute("PRAGMA quick_check").fetchone()[0]
    if check != "ok":
        why = [s for s in str(check).splitlines() if s.strip() and not s.startswith("***")]
        raise damaged(path, f"it is damaged ({why[0] if why else check})")  # one line
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
        raise damaged(
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
        if conn.in_transaction:  # SQLite has already undone it after a full disk
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

    Raises DatabaseError for a damaged, foreign or newer file and never writes to one, and
    StorageError when the folder cannot be written (read-only, full). With ``create=False`` (only
    reading is asked: history, report, export) an unwritable folder gives a read-only connection.
    """
    path = Path(path)
    has_data = check_header(path)
    if not has_data and not create:
        raise DatabaseError(f"There is no history yet at {path}.")
    made = False if has_data else make_file(path)
    make_private(path)
    try:
        return _open(path)
    except StorageError:
        if made:
            remove_if_empty(path)
        if create:
            raise
        log.info("history: %s cannot be written; reading it read-only", path)
        return _open_read_only(path)


def _open(path: Path) -> sqlite3.Connection:
    """Open for reading and writing: check, switch to WAL, migrate."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except sqlite3.Error as exc:
        raise damaged(path, f"it cannot be opened ({exc})") from exc
    try:
        conn.execute("BEGIN")  # one consistent snapshot while another process may be migrating
        try:
            _check_ours(conn, path)
        finally:
            if conn.in_transaction:  # SQLite ends it itself after some I/O errors
                conn.execute("ROLLBACK")
        conn.execute("PRAGMA busy_timeout = 10000")
        if not _wal(conn):
            log.warning("history: WAL journal mode is not available for %s", path)
        conn.execute("PRAGMA synchronous = FULL")  # a power cut loses at most the set in progress
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn)
        _check_tables(conn, path)
    except DatabaseError:
        conn.close()
        raise
    except sqlite3.DatabaseError as exc:
        conn.close()
        problem = write_error(path, exc)
        if isinstance(problem, StorageError):
            raise problem from exc
        raise damaged(path, str(exc)) from exc
    return conn


def _check_tables(conn: sqlite3.Connection, path: Path) -> None:
    present = {
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' "
            "UNION SELECT name FROM sqlite_temp_master WHERE type='table'"
        )
    }
    missing = [t for t in TABLES if t not in present]
    if missing:
        raise damaged(path, "tables are missing: " + ", ".join(missing))


def _open_read_only(path: Path) -> sqlite3.Connection:
    """Open without writing anything, not even SQLite's -shm file: for reading a history in a
    folder that cannot be written (a read-only disk, a backup copy)."""
    url = "file:" + urllib.parse.quote(os.fsencode(path.resolve()))
    last: sqlite3.Error | None = None
    # mode=ro uses the -wal and -shm files if they can be read or made; immutable=1 reads the
    # file alone (a history closed cleanly has no -wal: everything is in the file).
    for option in ("mode=ro", "immutable=1"):
        try:
            conn = sqlite3.connect(f"{url}?{option}", uri=True, isolation_level=None, timeout=10.0)
        except sqlite3.Error as exc:
            last = exc
            continue
        try:
            conn.execute("BEGIN")
            try:
                _check_ours(conn, path)
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
            _check_current(conn, path)
            _check_tables(conn, path)
            conn.execute("PRAGMA foreign_keys = ON")
        except DatabaseError:
            conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            conn.close()
            last = exc
            continue
        if option == "immutable=1" and _has_wal(path):
            log.warning(
                "The newest records in %s can only be read when its folder can be written; "
                "they are not shown.",
                path,
            )
        return conn
    raise DatabaseError(
        f"The history file {path} cannot be read: {last}.",
        hint="Nothing was changed. Check that this account may read the folder.",
    )


def _check_current(conn: sqlite3.Connection, path: Path) -> None:
    """A read-only history must need no migration (it cannot be updated), unless every one it
    lacks is optional: then its tables stand in as empty TEMP tables (nothing is written)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    missing = MIGRATIONS[version:]
    if all(m.optional for m in missing):
        if missing:
            conn.execute("PRAGMA temp_store = MEMORY")  # nothing written, not even a temp file
        for migration in missing:
            for statement in migration.stand_ins():
                conn.execute(statement)
        return
    if missing:
        raise StorageError(
            f"The history file {path} needs a one-time update to be read by this version, and "
            f"the folder {path.parent} cannot be written.",
            hint="Nothing was changed. Make the folder writable once, then run the command again.",
        )


def _has_wal(path: Path) -> bool:
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False
