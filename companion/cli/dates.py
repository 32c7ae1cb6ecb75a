"""``--date`` arguments: an ISO day inside a sane window, or a plain message."""

from __future__ import annotations

import datetime as dt

from companion.errors import BadInputError

EARLIEST = dt.date(2000, 1, 1)
"""No session can be older than this program; an earlier day is a typing mistake."""


def parse_day(text: str, *, today: dt.date, latest: dt.date | None = None) -> dt.date:
    """``text`` as a day from ``EARLIEST`` to ``latest`` (default ``today``); else BadInputError."""
    latest = today if latest is None else latest
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise BadInputError(f"--date must look like 2026-03-29, not {text!r}") from exc
    if not EARLIEST <= day <= latest:
        end = f"today ({today.isoformat()})" if latest == today else latest.isoformat()
        raise BadInputError(
            f"--date must be a day from {EARLIEST.isoformat()} to {end}, not {day.isoformat()}.",
            hint="Nothing was recorded or changed.",
        )
    return day
