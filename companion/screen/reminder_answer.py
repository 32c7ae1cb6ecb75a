"""The page's answer to the reminder the daemon is asking: handed over in the answer file, and
taken back when the daemon does not take it (it had stopped asking while the page still showed
the reminder), so the page deals with the press itself ("It hurts" is then recorded here)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any

from companion.commands import Command
from companion.paths import Paths
from companion.reminders import page_answer

log = logging.getLogger(__name__)
TAKEN_WITHIN_S = 1.5
"""How long the daemon has to take the answer (it looks every 0.2 s while it asks)."""
LOOK_EVERY_S = 0.05


def give(where: Paths, shown: dict[str, Any] | None, command: Command, now: dt.datetime) -> bool:
    """Hand ``command`` to the reminder the page shows as being asked (``shown``, the page's
    reminder); whether it was written (False: none is shown as asked, or no file)."""
    if not shown or shown.get("kind") != "due":
        return False
    try:
        page_answer.write(where.data_dir, command, now)
    except OSError as exc:
        log.warning("the reminder's answer could not be handed to the daemon: %s", exc)
        return False
    return True


async def taken(where: Paths, within_s: float = TAKEN_WITHIN_S) -> bool:
    """Whether the daemon took the answer given (within ``within_s``); if not, it is taken back,
    so a daemon that looks later never sees it and only the page acts on it."""
    path = page_answer.answer_file(where.data_dir)
    deadline = time.monotonic() + within_s
    while path.exists() and time.monotonic() < deadline:
        await asyncio.sleep(LOOK_EVERY_S)
    try:
        path.unlink()  # whoever removes the file acts on it: the daemon, or the page now
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning("the reminder's answer could not be taken back: %s", exc)
    log.info("the reminder was no longer asked; the page deals with its answer itself")
    return False
