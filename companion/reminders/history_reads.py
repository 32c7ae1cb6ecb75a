"""What the daemon reads from the history: a day's reminder outcomes, the sessions not ended."""

from __future__ import annotations

import datetime as dt

from companion.history.store import HistoryStore


def outcomes_on(history: HistoryStore, day: dt.date) -> list[str]:
    """The reminder outcomes logged for ``day``, in order."""
    rows = history.connection.execute(
        "SELECT outcome FROM reminders WHERE day = ? ORDER BY id", (day.isoformat(),)
    ).fetchall()
    return [str(r[0]) for r in rows]


def open_sessions(history: HistoryStore) -> list[dt.datetime]:
    """When each session that has not ended began (aware times)."""
    rows = history.connection.execute(
        "SELECT started_at FROM sessions WHERE ended_at IS NULL"
    ).fetchall()
    started = [dt.datetime.fromisoformat(str(r[0])) for r in rows]
    return [t if t.tzinfo else t.astimezone() for t in started]
