"""Bad input leaves nothing half-written: the folders a command makes for a new data folder are
removed again when it is refused before anything was recorded (no way to answer, a bad option)."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from companion.errors import BadInputError, DeviceError
from companion.paths import Paths

log = logging.getLogger(__name__)


def missing_top(path: Path) -> Path | None:
    """The highest folder of ``path`` that does not exist yet (None: ``path`` exists)."""
    top = None
    probe = path.absolute()
    while not probe.exists() and not probe.is_symlink():
        top = probe
        if probe.parent == probe:
            break
        probe = probe.parent
    return top


def recorded(history: Path) -> bool:
    """Whether ``history`` holds a session (or cannot be read: then it is kept)."""
    if not history.exists():
        return False
    try:
        conn = sqlite3.connect(history.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return conn.execute("SELECT 1 FROM sessions LIMIT 1").fetchone() is not None
        finally:
            conn.close()
    except sqlite3.Error:
        return True


@contextlib.contextmanager
def undone_if_refused(where: Paths) -> Iterator[None]:
    """Around a command that makes ``where``'s folders: if they were new and it is refused
    (BadInputError, DeviceError) with no session recorded, they are removed again."""
    made = [t for t in dict.fromkeys(missing_top(f) for f in where.folders) if t is not None]
    try:
        yield
    except (BadInputError, DeviceError):
        if made and not recorded(where.history_db):
            for top in made:
                log.info("refused: the new folder %s is removed again", top)
                shutil.rmtree(top, ignore_errors=True)
        raise
