"""The screen records "It hurts" pressed with no session running and no reminder asking: a
safety event in the history (``screen_safety``), seen by the history, the report and the
progression like pain said at a reminder."""

from __future__ import annotations

import datetime as dt
import logging

from companion.errors import CompanionError
from companion.history.store import HistoryStore
from companion.paths import Paths

log = logging.getLogger(__name__)


def record(where: Paths, now: dt.datetime, shown: str) -> bool:
    """Record "It hurts" pressed at ``now`` (local time: its date is the day), with the words
    ``shown`` back; whether it was stored (a history that cannot be written is logged)."""
    try:
        with HistoryStore.open(where.history_db) as store:
            store.log_screen_safety(now, now.date(), "pain", shown)
    except (CompanionError, OSError) as exc:
        log.warning('"It hurts" pressed on the screen could not be recorded: %s', exc)
        return False
    return True
