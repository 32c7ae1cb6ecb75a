"""What the daemon reads from the history: a day's reminder outcomes."""

from __future__ import annotations

import datetime as dt

from companion.history.store import HistoryStore


def outcomes_on(history: HistoryStore, day: dt.date) -> list[str]:
    """The reminder outcomes logged for ``day``, in order."""
    rows = history.connection.execute(
        "SELECT outcome FROM reminders WHERE day = ? ORDER BY id", (day.isoformat(),)
    ).fetchall()
    return [str(r[0]) for r in rows]
