"""The first check of a history file: is it an SQLite file at all; the damaged-file error."""

from __future__ import annotations

from pathlib import Path

from companion.errors import DatabaseError, StorageError
from companion.sqlite_header import NotAFile, NotSQLite, holds_database

HINT = (
    "Nothing was changed. Move the file somewhere safe (a new, empty history will be "
    "started) or restore it from a backup."
)


def damaged(path: Path, why: str) -> DatabaseError:
    """The error for a history file that cannot be used, saying ``why`` and that nothing changed."""
    return DatabaseError(f"The history file {path} cannot be used: {why}.", hint=HINT)


def check_header(path: Path) -> bool:
    """True if ``path`` holds data (so must be ours); False if missing or empty."""
    try:
        return holds_database(path)
    except NotAFile:
        raise damaged(path, "it is not a file") from None
    except NotSQLite:
        raise damaged(path, "it is not an SQLite database (damaged, or some other file)") from None
    except PermissionError as exc:
        raise StorageError(
            f"This account is not allowed to read the history file {path}.",
            hint="Nothing was changed. Run the companion as the account that owns it.",
        ) from exc
    except OSError as exc:
        raise damaged(path, f"it cannot be read ({exc.strerror})") from exc
