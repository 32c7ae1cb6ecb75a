"""A due or missed reminder on the session page: a real daemon gives a real reminder and a real
``companion screen`` shows it (in headless Chromium and over HTTP); Start and Later on the page
answer the daemon's question. Also the pure decision, as a table."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from companion.screen.reminder_state import decide
from tests.test_daemon import Daemon, _env, _stop_daemons, soon  # noqa: F401 - stops them
from tests.test_screen_browser import browser_page
from tests.test_screen_cli import REPO, wait_for

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 4, 10, 5, tzinfo=UTC)


def at(hh_mm: str) -> dt.datetime:
    return dt.datetime.combine(NOW.date(), dt.time.fromisoformat(hh_mm), tzinfo=UTC)


@pytest.mark.parametrize(
    ("rows", "starts", "daemon", "expected"),
    [
        ([], [], True, None),
        ([("10:00", "fired")], [], True, "due"),
        ([("10:00", "fired")], [], False, "missed"),  # the daemon stopped while asking
        ([("09:00", "fired")], [], True, "missed"),  # asked over 30 minutes ago
        ([("10:00", "missed")], [], True, "missed"),
        ([("10:00", "fired"), ("10:04", "no_answer")], [], True, "missed"),
        ([("10:00", "fired"), ("10:01", "snoozed")], [], True, "later"),
        ([("10:00", "fired"), ("10:01", "skipped")], [], True, None),
        ([("10:00", "fired"), ("10:01", "started")], ["10:01"], True, None),
        ([("10:00", "missed")], ["10:02"], True, None),  # a session began since
        ([("10:00", "missed")], ["09:00"], True, "missed"),  # only before it
        ([("08:00", "missed"), ("10:00", "fired")], [], True, "due"),
    ],
)
def test_what_the_page_says_about_todays_reminders(
    rows: list[tuple[str, str]], starts: list[str], daemon: bool, expected: str | None
) -> None:
    view = decide([(at(t), o) for t, o in rows], [at(t) for t in starts], daemon, NOW, UTC)
    assert (view or {}).get("kind") == expected


def test_a_missed_reminder_is_worded_with_its_time() -> None:
    view = decide([(at("09:30"), "fired"), (at("09:34"), "no_answer")], [], True, NOW, UTC)
    assert view is not None
    assert view["text"] == "The 09:30 reminder was missed. You can do your hand exercises now."


@contextlib.contextmanager
def screen_process(data: Path) -> Iterator[str]:
    """``companion screen`` on a free port (sessions without voice, quick); its address."""
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data)]
    subprocess.run([*cli, "routine", "set", "input.voice", "false"], check=True, cwd=REPO,
                   env=_env(), capture_output=True)  # fmt: skip
    proc = subprocess.Popen(
        [*cli, "screen", "--port", "0", "--no-browser", "--no-voice", "--time-scale", "5"],
        cwd=REPO, env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        yield found.group(1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def token_of(web: httpx.Client) -> str:
    found = re.search(r'name="token" value="([^"]+)"', web.get("/").text)
    assert found
    return found.group(1)


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_due_reminder_shows_on_the_page_and_its_start_button_begins_the_session(
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    with screen_process(tmp_path) as url, sync_api.sync_playwright() as p:
        page = browser_page(p)
        page.goto(url)
        banner = page.locator("#reminder")
        expect(banner).to_be_hidden()
        daemon = Daemon(tmp_path, *soon(1), "--no-listen", "--answer-seconds", "90")
        daemon.wait_for(": fired", timeout=90)
        expect(page.locator("#reminder-text")).to_have_text(
            "It is time for your hand exercises.", timeout=90_000
        )
        start = page.get_by_role("button", name="Start", exact=True)
        expect(start).to_have_count(1)  # the reminder's Start; the usual one steps aside
        expect(banner.get_by_role("button", name="Start", exact=True)).to_be_visible()
        start.click()
        # the session starts on the page, and the daemon's question is answered by the press
        expect(page.get_by_role("button", name="Yes", exact=True)).to_be_visible(timeout=30_000)
        expect(banner).to_be_hidden()
        daemon.wait_for(": started", timeout=30)
        # the daemon leaves the session to the page (no second one, no "already running" error)
        daemon.wait_for("today's session is already running (started on the screen)", timeout=30)
        assert daemon.stop() == 0
    assert "starting today's session" not in daemon.text()


@pytest.mark.timeout(240)
def test_later_and_missed_reminders_on_the_page_over_http(tmp_path: Path) -> None:
    with screen_process(tmp_path) as url, httpx.Client(base_url=url, timeout=10) as web:
        token = token_of(web)

        def state() -> dict[str, Any]:
            return dict(web.get("/state").json())

        assert state()["reminder"] is None
        # a reminder asked, answered Later on the page: the daemon snoozes it
        daemon = Daemon(tmp_path, *soon(1), "--no-listen", "--no-session", "--answer-seconds", "90")
        due = wait_for(state, lambda s: s["reminder"] is not None, 90)["reminder"]
        assert due["kind"] == "due"
        assert "It is time for your hand exercises." in web.get("/").text
        r = web.post("/reminder/later", data={"token": token})
        assert r.status_code == 303
        daemon.wait_for(": snoozed", timeout=30)
        later = wait_for(state, lambda s: (s["reminder"] or {}).get("kind") == "later", 20)
        assert later["reminder"]["time"] == due["time"]
        # Later again: hidden until the next reminder
        assert web.post("/reminder/later", data={"token": token}).status_code == 303
        assert state()["reminder"] is None
        assert daemon.stop() == 0
        # a reminder nobody answers (asked twice, then let go) shows as missed
        quick = Daemon(tmp_path, *soon(1), "--no-listen", "--no-session", "--answer-seconds", "1")
        quick.wait_for(": no_answer", timeout=90)
        missed = wait_for(state, lambda s: (s["reminder"] or {}).get("kind") == "missed", 20)
        assert (
            "reminder was missed. You can do your hand exercises now." in missed["reminder"]["text"]
        )
        assert quick.stop() == 0
        # a form from elsewhere cannot dismiss it
        assert web.post("/reminder/later", data={"token": "wrong"}).status_code == 403
        assert state()["reminder"]["kind"] == "missed"


def test_the_pages_answer_file_is_taken_once_and_only_when_fresh(tmp_path: Path) -> None:
    from companion.commands import Command
    from companion.reminders import page_answer

    page_answer.write(tmp_path, Command.START, NOW)
    assert oct(page_answer.answer_file(tmp_path).stat().st_mode & 0o777) == "0o600"
    assert page_answer.take(tmp_path, NOW) is Command.START
    assert page_answer.take(tmp_path, NOW) is None  # taken: removed
    page_answer.write(tmp_path, Command.LATER, NOW - dt.timedelta(seconds=1))
    assert page_answer.take(tmp_path, NOW) is None  # written before this reminder began
    assert not page_answer.answer_file(tmp_path).exists()
    page_answer.answer_file(tmp_path).write_text('{"command": "skip_today", "at": 5}')
    assert page_answer.take(tmp_path, NOW) is None
    assert not page_answer.answer_file(tmp_path).exists()
    with pytest.raises(ValueError):
        page_answer.write(tmp_path, Command.NEXT, NOW)


def test_a_new_reminder_clears_the_last_sessions_words_and_later_hides_it(tmp_path: Path) -> None:
    from companion import paths
    from companion.history.store import HistoryStore
    from companion.screen.live import Live
    from companion.screen.reminder_state import ReminderWatch

    where = paths.resolve(tmp_path).ensure()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with HistoryStore.open(where.history_db) as store:  # the daemon's record: asked, unanswered
        store.log_reminder(now, now.astimezone().date(), "fired")
        store.log_reminder(now, now.astimezone().date(), "no_answer")
    live = Live()
    live.update(caption="See you tomorrow.", exercise="palm_turn", ended="stopped")
    watch = ReminderWatch(where, live, clock=lambda: now)
    view = watch.look()
    assert view is not None and view["kind"] == "missed"
    state = live.snapshot()
    assert state["reminder"] == view
    assert (state["caption"], state["exercise"], state["ended"]) == ("", "", "")
    watch.later()
    assert live.snapshot()["reminder"] is None
    assert watch.look() is None  # the same reminder stays hidden
    live.update(running=True)  # a session running: its words stay when a reminder comes
    live.update(caption="Turn your palm up.")
    with HistoryStore.open(where.history_db) as store:
        store.log_reminder(now + dt.timedelta(seconds=1), now.astimezone().date(), "missed")
    assert ReminderWatch(where, live, clock=lambda: now).look() is not None
    assert live.snapshot()["caption"] == "Turn your palm up."
