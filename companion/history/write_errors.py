"""Why reading or writing the history failed: the disk or folder (StorageError) or the file."""

from __future__ import annotations

import errno
import os
import sqlite3
import tempfile
from pathlib import Path

from companion.errors import CompanionError, DatabaseError, storage_error

STORAGE_CODES = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
}
"""SQLite result codes that may mean the disk or folder, not the file, is the problem."""
PROBE_BYTES = 4096
"""How much a test write puts in the folder to tell a full disk from a damaged file."""


def why_not_writable(path: Path) -> OSError | None:
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
    if code in STORAGE_CODES:
        why = why_not_writable(path)
        if why is not None:
            return storage_error(why, path.parent if why.filename != str(path) else path)
    return DatabaseError(f"Writing the history in {path} failed: {exc}.")
