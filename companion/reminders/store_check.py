"""Checks the reminder job store file before the scheduler opens it (stdlib sqlite3 only)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from companion.errors import DatabaseError

TABLE = "apscheduler_jobs"
"""The table APScheduler's SQLAlchemy job store keeps its jobs in."""


def check_store(path: Path) -> None:
    """DatabaseError with a plain message if ``path`` exists and is not a usable job store."""
    if not path.exists():
        return
    hint = (
        f"Move it away (mv '{path}' '{path}.broken') and start the daemon again: the "
        "reminders are rebuilt from the routine; only pending snoozes are lost."
    )
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            status = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"The reminder store {path} is damaged ({exc}).", hint=hint) from exc
    if status != "ok":
        raise DatabaseError(f"The reminder store {path} is damaged ({status}).", hint=hint)
    if tables and TABLE not in tables:
        raise DatabaseError(f"{path} is not a reminder store (it holds other tables).", hint=hint)
