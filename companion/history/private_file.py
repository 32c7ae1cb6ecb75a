"""Making the history file and keeping it and SQLite's files beside it owner-only (0600)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from companion import paths
from companion.errors import storage_error

log = logging.getLogger(__name__)

SIDECARS = ("-wal", "-shm", "-journal")
"""SQLite's companion files beside the history (same owner-only mode)."""


def make_file(path: Path) -> bool:
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


def make_private(path: Path) -> None:
    """Take group and other permissions away from the history and SQLite's files beside it (an
    install from before this rule). SQLite gives new -wal and -shm files the history's mode."""
    for p in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        if paths.tighten(p):
            log.warning("history: %s was readable by other accounts; now by its owner only", p)


def remove_if_empty(path: Path) -> None:
    """Remove the empty file this process made for a history it then could not set up."""
    try:
        if path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass
