"""The first check of a history file: is it an SQLite file at all; the damaged-file error."""

from __future__ import annotations

from pathlib import Path

from companion.errors import DatabaseError, StorageError

SQLITE_HEADER = b"SQLite format 3\x00"
HINT = (
    "Nothing was changed. Move the file somewhere safe (a new, empty history will be "
    "started) or restore it from a backup."
)


def damaged(path: Path, why: str) -> DatabaseError:
    """The error for a history file that cannot be used, saying ``why`` and that nothing changed."""
    return DatabaseError(f"The history file {path} cannot be used: {why}.", hint=HINT)


def check_header(path: Path) -> bool:
    """True if ``path`` holds data (so must be ours); False if missing or empty."""
    if not path.exists():
        return False
    if not path.is_file():
        raise damaged(path, "it is not a file")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except PermissionError as exc:
        raise StorageError(
            f"This account is not allowed to read the history file {path}.",
            hint="Nothing was changed. Run the companion as the account that owns it.",
        ) from exc
    except OSError as exc:
        raise damaged(path, f"it cannot be read ({exc.strerror})") from exc
    if not head:
        return False
    if head != SQLITE_HEADER:
        raise damaged(path, "it is not an SQLite database (damaged, or some other file)")
    return True
