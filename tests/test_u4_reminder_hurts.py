""" "It hurts" pressed on the page while it still shows a reminder as being asked: recorded once,
by the daemon if it still asks, by the screen if the daemon had stopped asking (it had ended
with no answer, or the daemon is gone, before the page looked again)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

from companion.commands import Command
from companion.events import Event
from companion.history.store import HistoryStore
from companion.reminders import page_answer
from companion.reminders.lock import DaemonLock
from companion.reminders.page_answer import PageAnswerSource
from companion.screen.pages import Screen
from companion.screen.reminder_state import ReminderWatch
from tests.screen_app import TOKEN, client_for, new_screen


def _screen_safety(history: Path) -> list[tuple[str, str]]:
    with contextlib.closing(sqlite3.connect(history)) as conn:
        return conn.execute("SELECT what, text FROM screen_safety ORDER BY id").fetchall()


def _press_hurts(screen: Screen) -> tuple[int, str]:
    reply = client_for(screen).post(
        "/press", data={"command": "hurts", "token": TOKEN}, headers={"x-companion-token": TOKEN}
    )
    return reply.status_code, reply.json()["message"]


def test_it_hurts_after_the_reminder_stopped_asking_is_recorded_and_acknowledged(
    tmp_path: Path,
) -> None:
    screen = new_screen(tmp_path / "data")
    where = screen.where
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    day = now.astimezone().date()
    with DaemonLock(where.daemon_lock):  # the daemon runs and asks: the page shows it due
        with HistoryStore.open(where.history_db) as store:
            store.log_reminder(now, day, "fired")
        view = ReminderWatch(where, screen.live).look()
        assert view is not None and view["kind"] == "due"
        with HistoryStore.open(where.history_db) as store:  # it stops asking: no answer
            store.log_reminder(now + dt.timedelta(seconds=30), day, "no_answer")
        # the page has not looked again yet: it still shows the reminder as being asked
        assert screen.live.snapshot()["reminder"] == view
        status, message = _press_hurts(screen)
    assert status == 200
    assert message.startswith("No session is running now. Rest your hand.")
    assert _screen_safety(where.history_db) == [("pain", message)]
    assert not page_answer.answer_file(where.data_dir).exists()  # no answer left for later


def test_it_hurts_taken_by_the_reminder_still_asking_is_left_to_the_daemon(
    tmp_path: Path,
) -> None:
    screen = new_screen(tmp_path / "data")
    where = screen.where
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    heard: list[Event] = []
    source = PageAnswerSource(where.data_dir, now - dt.timedelta(seconds=1))
    with DaemonLock(where.daemon_lock):
        with HistoryStore.open(where.history_db) as store:
            store.log_reminder(now, now.astimezone().date(), "fired")
        ReminderWatch(where, screen.live).look()
        source.start(heard.append)  # the daemon's reminder, looking for the page's answer
        try:
            status, message = _press_hurts(screen)
        finally:
            source.close()
    assert status == 200
    assert message.startswith("Rest your hand.")
    assert [getattr(e, "command", None) for e in heard] == [Command.HURTS]
    assert _screen_safety(where.history_db) == []  # the daemon records it (once)
