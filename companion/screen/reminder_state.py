"""A due or missed reminder on the session page: read from what the daemon records, shown live.

The daemon is another process; it records each reminder in the history (``fired`` when it
starts asking, then the outcome). The screen reads that (read-only) every few seconds and puts
what the page should say in the live state; the page shows it with a big Start button.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from companion import prompts, routine
from companion.errors import CompanionError
from companion.paths import Paths
from companion.prompts import Prompts
from companion.reminders import lock
from companion.reminders.scheduler import zone
from companion.screen.live import Live

log = logging.getLogger(__name__)
LOOK_EVERY_S = 2.0
"""How often the history is looked at for a new reminder."""
ASKING_AT_MOST = dt.timedelta(minutes=30)
"""A reminder still "being asked" after this long is taken as ended without an answer."""
CONVERSATION_ENDS = frozenset({"snoozed", "started", "skipped", "no_answer"})
"""Outcomes logged when the reminder's question ends (its time is when it was asked)."""


def decide(
    rows: Sequence[tuple[dt.datetime, str]],
    session_starts: Sequence[dt.datetime],
    daemon_running: bool,
    now: dt.datetime,
    tz: dt.tzinfo,
    words: Prompts | None = None,
) -> dict[str, str] | None:
    """What the page shows for today's reminder rows (time, outcome), in order; None: nothing.
    Its words: ui.toml [screen.reminder] of ``words`` (default: the packaged language's).

    Nothing once a session has begun since the last reminder, or after "skip today"."""
    if not rows:
        return None
    asked_at: dt.datetime | None = None
    outcome, at = rows[-1][1], rows[-1][0]
    for when, what in rows:
        if what == "fired":
            asked_at = when
        outcome = what
        at = asked_at if what in CONVERSATION_ENDS and asked_at is not None else when
    if any(began >= at for began in session_starts):
        return None
    if outcome == "fired":
        kind = "due" if daemon_running and now - at <= ASKING_AT_MOST else "missed"
    elif outcome in ("missed", "no_answer"):
        kind = "missed"
    elif outcome == "snoozed":
        kind = "later"
    else:  # started, skipped
        return None
    time = f"{at.astimezone(tz):%H:%M}"
    return {
        "kind": kind,
        "time": time,
        "text": (words or prompts.load()).text(f"ui.screen.reminder.{kind}", time=time),
        "key": f"{kind} {at.isoformat()}",
    }


def _aware(text: object) -> dt.datetime:
    at = dt.datetime.fromisoformat(str(text))
    return at if at.tzinfo else at.astimezone()


Rows = list[tuple[dt.datetime, str]]
"""A day's reminder outcomes: (time, outcome), in the order they were recorded."""


def read_day(history: Path, day: dt.date) -> tuple[Rows, list[dt.datetime]]:
    """Today's reminder rows and session starts, read-only (the daemon may be writing)."""
    if not history.exists():
        return [], []
    conn = sqlite3.connect(history.resolve().as_uri() + "?mode=ro", uri=True, timeout=2)
    try:
        rows = conn.execute(
            "SELECT at, outcome FROM reminders WHERE day = ? ORDER BY id", (day.isoformat(),)
        ).fetchall()
        starts = conn.execute(
            "SELECT started_at FROM sessions WHERE day = ?", (day.isoformat(),)
        ).fetchall()
    finally:
        conn.close()
    return [(_aware(a), str(o)) for a, o in rows], [_aware(s) for (s,) in starts]


def now_for(where: Paths, now: dt.datetime) -> dict[str, str] | None:
    """What the page shows about reminders at ``now`` (None: nothing, or it cannot be read)."""
    try:
        chosen = routine.load(where.routine_file)
    except CompanionError:
        chosen = routine.default()
    tz = zone(chosen.reminders.timezone)
    try:
        rows, starts = read_day(where.history_db, now.astimezone(tz).date())
    except (sqlite3.Error, ValueError) as exc:
        log.info("the reminders in the history cannot be read now: %s", exc)
        return None
    running = lock.holder(where.daemon_lock) is not None
    return decide(rows, starts, running, now, tz, prompts.load(chosen.language))


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class ReminderWatch:
    """Looks at the reminders every few seconds on a thread and keeps the page's state current."""

    def __init__(
        self,
        where: Paths,
        live: Live,
        every_s: float = LOOK_EVERY_S,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self._where, self._live, self._every, self._clock = where, live, every_s, clock
        self._dismissed = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def look(self) -> dict[str, str] | None:
        """Read the reminders now; the page gets any change."""
        view = now_for(self._where, self._clock())
        if view is not None and view["key"] == self._dismissed:
            view = None
        shown = self._live.snapshot()
        if shown.get("reminder") != view:
            if view is not None and not shown["running"] and (shown["ended"] or shown["exercise"]):
                self._live.reset()  # a new start: the last session's words and picture go (the
                # reminder's own words, shown by the daemon, stay)
            self._live.update(reminder=view)
        return view

    def later(self) -> None:
        """ "Later" on the page: this reminder is not shown again (a new one will be)."""
        shown = self._live.snapshot().get("reminder")
        if shown:
            self._dismissed = shown["key"]
        self._live.update(reminder=None)

    def start(self) -> None:
        """Look now, then every few seconds until stopped."""
        self._thread = threading.Thread(target=self._run, name="reminders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            try:
                self.look()
            except Exception:  # noqa: BLE001 - the page goes on without it
                log.exception("the reminders could not be looked at")
            if self._stop.wait(self._every):
                return
