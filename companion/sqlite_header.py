"""Is a file an SQLite database at all: the first check before a store is opened (the history
and the reminder store), so that no SQLite call ever touches some other file. Each store turns
the answer into its own plain message."""

from __future__ import annotations

from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""


class NotAFile(Exception):
    """The path is there, but is a folder or some other thing than a plain file."""


class NotSQLite(Exception):
    """The file's first bytes are not SQLite's: damaged, or some other file."""


def holds_database(path: Path) -> bool:
    """True if ``path`` starts with SQLite's header; False if it is missing or empty.

    Raises ``NotAFile``, ``NotSQLite``, or the ``OSError`` of a file that cannot be read."""
    if not path.exists():
        return False
    if not path.is_file():
        raise NotAFile(path)
    with path.open("rb") as f:
        head = f.read(len(SQLITE_HEADER))
    if head and head != SQLITE_HEADER:
        raise NotSQLite(path)
    return bool(head)
