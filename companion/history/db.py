"""Opening the history file: checks it is ours and not damaged, turns on WAL, migrates in order;
owner-only (0600), and read-only when the folder cannot be written and only reading is asked."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
import time
import urllib.parse
from pathlib import Path

from companion import paths
from companion.errors import CompanionError, DatabaseError, StorageError, storage_error
from companion.history.migrations import MIGRATIONS, TABLES, Migration

log = logging.getLogger(__name__)

APPLICATION_ID = 0x436F6D70
"""``PRAGMA application_id`` of a companion history file ("Comp")."""
SQLITE_HEADER = b"SQLite format 3\x00"
_HINT = (
    "Nothing was changed. Move the file somewhere safe (a new, empty history will be "
    "started) or restore it from a backup."
)
SIDECARS = ("-wal", "-shm", "-journal")
"""SQLite's companion files beside the history (same owner-only mode)."""
_STORAGE_CODES = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
}
"""SQLite result codes that may mean the disk or folder, not the file, is the problem."""
PROBE_BYTES = 4096
"""How much a test write puts in the folder to tell a full disk from a damaged file."""


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
    except PermissionError as exc:
        raise StorageError(
            f"This account is not allowed to read the history file {path}.",
            hint="Nothing was changed. Run the companion as the account that owns it.",
        ) from exc
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
        why = [s for s in str(check).splitlines() if s.strip() and not s.startswith("***")]
        raise _damaged(path, f"it is damaged ({why[0] if why else check})")  # one line
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


def _why_not_writable(path: Path) -> OSError | None:
    """Why ``path`` or its folder cannot be written (read-only, not allowed, full), or None."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))
        if path.exists() and not os.access(path, os.W_OK):
            return PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        with tempfile.TemporaryFile(dir=folder, prefix=".companion-probe-") as probe:
            probe.write(b"\0" * PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return exc
    return None


def write_error(path: Path, exc: sqlite3.Error) -> CompanionError:
    """The error to raise when reading or writing the history failed with ``exc``: a plain
    StorageError when the disk is full or the folder cannot be written, else DatabaseError."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return storage_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), path.parent)
    if code in _STORAGE_CODES:
        why = _why_not_writable(path)
        if why is not None:
            return storage_error(why, path.parent if why.filename != str(path) else path)
    return DatabaseError(f"Writing the history in {path} failed: {exc}.")


def _make_file(path: Path) -> bool:
    """Create an empty history file, owner-only, in a private folder; True if this call made it.
    StorageError if the folder or file cannot be made."""
    try:
        if not path.parent.is_dir():
            paths.private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False  # made meanwhile by another process (or an empty file left before)
    except OSError as exc:
        raise storage_error(exc, path.parent) from exc
    os.close(fd)
    return True


def _make_private(path: Path) -> None:
    """Take group and other permissions away from the history and SQLite's files beside it (an
    install from before this rule). SQLite gives new -wal and -shm files the history's mode."""
    for p in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        if paths.tighten(p):
            log.warning("history: %s was readable by other accounts; now by its owner only", p)


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """A checked, migrated connection (autocommit; callers use explicit transactions).

    Raises DatabaseError for a damaged, foreign or newer file and never writes to one, and
    StorageError when the folder cannot be written (read-only, full). With ``create=False`` (only
    reading is asked: history, report, export) an unwritable folder gives a read-only connection.
    """
    path = Path(path)
    has_data = _check_header(path)
    if not has_data and not create:
        raise DatabaseError(f"There is no history yet at {path}.")
    made = False if has_data else _make_file(path)
    _make_private(path)
    try:
        return _open(path)
    except StorageError:
        if made:
            _remove_if_empty(path)
        if create:
            raise
        log.info("history: %s cannot be written; reading it read-only", path)
        return _open_read_only(path)


def _remove_if_empty(path: Path) -> None:
    """Remove the empty file this process made for a history it then could not set up."""
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


def _open(path: Path) -> sqlite3.Connection:
    """Open for reading and writing: check, switch to WAL, migrate."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
    except sqlite3.Error as exc:
        raise _damaged(path, f"it cannot be opened ({exc})") from exc
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
        raise _damaged(path, str(exc)) from exc
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
        raise _damaged(path, "tables are missing: " + ", ".join(missing))


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
