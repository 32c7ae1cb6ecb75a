"""Defects found by trying the local screen during a live session as a user would (double
clicks, two tabs, a stale page): a real session (real history file) shown on the real app,
pressed through its HTTP interface or in headless Chromium. Each test failed before its fix."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from companion import paths, prompts, routine, runner
from companion.commands import Command
from companion.screen.app import Screen, create_app
from companion.screen.link import ScreenLink
from companion.screen.live import Live
from tests.screen_app import BASE, TOKEN

CHEST = "Do you have any chest pain right now?"
DIZZY = "Do you feel dizzy in a new way today?"


@dataclass
class Trial:
    """A real session shown on the screen's app, pressed through HTTP."""

    where: paths.Paths
    live: Live
    client: TestClient
    thread: threading.Thread
    result: dict[str, str]

    def state(self) -> dict[str, Any]:
        return dict(self.client.get("/state").json())

    def wait(self, test: Callable[[dict[str, Any]], bool], seconds: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            state = self.state()
            if test(state):
                return state
            assert time.monotonic() < deadline, f"timed out; last state {state}"
            time.sleep(0.02)

    def press(self, command: str, shown: dict[str, Any], value: int | None = None) -> Any:
        """A press as the page sends it, from the page showing ``shown``."""
        data = {"command": command, "token": TOKEN, "asked": str(shown.get("asked", ""))}
        if value is not None:
            data["value"] = str(value)
        return self.client.post("/press", data=data, headers={"x-companion-token": TOKEN})

    def safety_answers(self) -> list[tuple[str, str]]:
        with contextlib.closing(sqlite3.connect(self.where.history_db)) as conn:
            rows = conn.execute("SELECT question, answer FROM safety_answers ORDER BY id")
            return rows.fetchall()


@contextlib.contextmanager
def trial(data: Path, scale: float = 20, live: Live | None = None) -> Iterator[Trial]:
    """A real session (the default routine: safety questions first) waiting for the page (on
    ``live``: a new one if not given)."""
    where = paths.resolve(data).ensure()
    live = live or Live()
    client = TestClient(create_app(Screen(live, where, TOKEN)), base_url=BASE)
    options = runner.Options(
        script=[3000.0], voice=False, listen=False, time_scale=scale, screen=ScreenLink(live)
    )
    result: dict[str, str] = {}

    def run() -> None:
        with contextlib.ExitStack() as stack:
            result["how"] = runner.run(where, routine.default(), prompts.load("en"), options, stack)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    t = Trial(where, live, client, thread, result)
    yield t
    if thread.is_alive() and live.snapshot()["stage"] == "alert":  # "finish" closes it
        live.press(Command.END)
        thread.join(timeout=20)
    if thread.is_alive():  # end it: "stop", then "yes"
        live.press(Command.STOP)
        t.wait(lambda s: s["stage"] == "confirm_end" or not s["running"], 10)
        live.press(Command.YES)
        thread.join(timeout=20)


def test_a_double_click_on_no_answers_only_the_safety_question_on_the_page(
    tmp_path: Path,
) -> None:
    """ "No" clicked twice at "Do you have any chest pain?" (a double click, or two tabs): the
    second press answered "Do you feel dizzy?", which the user had neither seen nor heard."""
    with trial(tmp_path) as t:
        shown = t.wait(lambda s: s["caption"].endswith(CHEST) and "no" in s["commands"])
        first = t.press("no", shown)
        second = t.press("no", shown)
        assert first.status_code == 200
        assert second.status_code == 409, second.text
        now = t.wait(lambda s: s["caption"].endswith(DIZZY))
        time.sleep(0.3)
        assert t.safety_answers() == [("chest_pain", "no")]
        assert t.state()["caption"] == now["caption"]


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_double_click_in_the_browser_answers_one_safety_question(tmp_path: Path) -> None:
    """The same double click, by a person in Chromium: the page's script sent both clicks."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_screen_browser import browser_page, session_with_screen

    with session_with_screen(tmp_path, [3000.0], scale=20) as run:
        app = create_app(Screen(run.live, run.where, TOKEN))
        t = Trial(run.where, run.live, TestClient(app, base_url=BASE), run.thread, run.result)
        with sync_api.sync_playwright() as p:
            page = browser_page(p)
            page.goto(run.url)
            caption = page.locator("#caption")
            sync_api.expect(caption).to_contain_text(CHEST, timeout=20_000)
            no = page.get_by_role("button", name="No", exact=True)
            sync_api.expect(no).to_be_visible()
            no.dblclick()
            sync_api.expect(caption).to_contain_text(DIZZY, timeout=20_000)
            page.wait_for_timeout(500)
            assert t.safety_answers() == [("chest_pain", "no")]
            sync_api.expect(caption).to_contain_text(DIZZY)
        run.live.press(Command.STOP)
        t.wait(lambda s: s["stage"] == "confirm_end", 10)
        run.live.press(Command.YES)
        run.thread.join(timeout=20)


def test_stop_on_the_page_at_the_call_now_alert_leaves_the_alert_on_the_page(
    tmp_path: Path,
) -> None:
    """The page's Stop at "call your emergency number now" closed the alert (the session ended,
    the page said so); now it only makes it quiet, and Finish for today closes it."""
    with trial(tmp_path) as t:
        shown = t.wait(lambda s: s["caption"].endswith(CHEST) and "yes" in s["commands"])
        assert t.press("yes", shown).status_code == 200
        alert = t.wait(lambda s: s["context"] == "alert")
        assert "now." in alert["caption"] or "now." in alert["said"]
        assert t.press("stop", alert).status_code == 200
        time.sleep(0.5)
        quiet = t.state()
        assert quiet["running"] and quiet["context"] == "alert" and not quiet["ended"]
        assert quiet["caption"] == alert["caption"] and "end" in quiet["commands"]
        assert t.press("end", quiet).status_code == 200
        t.wait(lambda s: not s["running"] and s["ended"] == "safety_check")
        t.thread.join(timeout=20)
    assert t.result.get("how") == "safety_check"


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_page_left_open_from_an_earlier_run_can_still_stop_the_next_session(
    tmp_path: Path,
) -> None:
    """A tab left open from yesterday's `companion session --screen` (or before the screen was
    restarted) reconnects by itself and shows today's session live, but each press carried the
    old run's token: Stop and It hurts were refused ("The companion is not answering.")."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from companion.screen import guard
    from companion.screen.server import ScreenServer
    from tests.test_screen_browser import browser_page

    where = paths.resolve(tmp_path / "data").ensure()
    earlier = ScreenServer(Screen(Live(), where, guard.new_token()), port=0)
    url = earlier.start()
    port = earlier.port
    with sync_api.sync_playwright() as p:
        page = browser_page(p)
        page.goto(url)
        sync_api.expect(page.locator("#caption")).to_have_text("Press Start when you are ready.")
        earlier.stop()
        live = Live()
        later = ScreenServer(Screen(live, where, guard.new_token()), port=port)
        later.start()
        try:
            with trial(tmp_path / "data", live=live) as t:
                caption = page.locator("#caption")
                sync_api.expect(caption).to_contain_text(CHEST, timeout=30_000)  # reconnected
                page.get_by_role("button", name="It hurts").click()
                t.wait(lambda s: s["stage"] == "hurt_level", 10)
        finally:
            later.stop()


def test_stop_pressed_in_two_tabs_is_never_not_understood(tmp_path: Path) -> None:
    """Stop pressed twice (two tabs, or the user presses again because the voice went on): the
    second, at "Do you want to end the session?", was answered "Sorry, I did not understand"."""
    with trial(tmp_path) as t:
        for _ in range(3):
            shown = t.wait(lambda s: s["stage"] == "safety" and "no" in s["commands"])
            assert t.press("no", shown).status_code == 200
            t.wait(lambda s, a=shown["asked"]: s["asked"] != a)
        shown = t.wait(lambda s: s["stage"] == "ready" and "start" in s["commands"])
        assert t.press("start", shown).status_code == 200
        counting = t.wait(lambda s: s["stage"] == "counting" and s["rep"] >= 1)
        assert t.press("stop", counting).status_code == 200
        assert t.press("stop", counting).status_code == 200  # the other tab
        t.wait(lambda s: s["stage"] == "confirm_end")
        time.sleep(0.5)
        shown = t.state()
        said = f"{shown['said']} {shown['caption']}"
        assert "did not understand" not in said, said
        assert shown["caption"].endswith("Do you want to end the session? Say yes or no.")
        assert t.press("yes", shown).status_code == 200
        t.wait(lambda s: not s["running"])


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_page_that_has_lost_the_companion_says_so_before_anyone_presses_stop(
    tmp_path: Path,
) -> None:
    """The server gone (stopped, crashed, the computer asleep): the page went on showing the
    last question and its buttons as if live; only a press said "The companion is not
    answering." Now it says at once that the buttons do not work, and clears it when back."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from companion.screen import guard
    from companion.screen.server import ScreenServer
    from tests.test_screen_browser import browser_page

    where = paths.resolve(tmp_path).ensure()
    first = ScreenServer(Screen(Live(), where, guard.new_token()), port=0)
    url, port = first.start(), first.port
    with sync_api.sync_playwright() as p:
        page = browser_page(p)
        page.goto(url)
        status = page.locator("#status")
        sync_api.expect(status).to_have_text("")
        first.stop()
        sync_api.expect(status).to_contain_text("the buttons do not work now", timeout=20_000)
        live = Live()
        again = ScreenServer(Screen(live, where, guard.new_token()), port=port)
        again.start()
        try:
            sync_api.expect(status).to_have_text("", timeout=30_000)
            live.update(ended="completed")  # a session ended: its server goes (session --screen)
            sync_api.expect(status).to_have_text("The session has ended.")
        finally:
            again.stop()
        page.wait_for_timeout(5000)
        sync_api.expect(status).to_have_text("The session has ended.")


@pytest.mark.parametrize("url", ["/care", "/care/settings", "/care/history", "/exercises"])
def test_the_caregivers_pages_keep_stop_and_it_hurts_while_a_session_runs(
    tmp_path: Path, url: str
) -> None:
    """The carer opened the settings (or the plan, the history, the pictures) in the same tab
    during a session: the page had no Stop and no It hurts for the person exercising."""
    with trial(tmp_path) as t:
        t.wait(lambda s: s["stage"] == "safety" and "no" in s["commands"])
        page = t.client.get(url).text
        for command in ("stop", "hurts"):
            assert f'<button name="command" value="{command}"' in page, command
        token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
        r = t.client.post("/press", data={"command": "hurts", "token": token},
                          follow_redirects=False)  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/"  # to the session page
        t.wait(lambda s: s["stage"] == "hurt_level")


def test_a_double_click_reaches_a_session_started_elsewhere_only_once(tmp_path: Path) -> None:
    """The same double click on a session the reminder service (or a terminal) started, shown
    on `companion screen` through its socket: the question's name travels with its state."""
    from companion.screen.attach import attach
    from companion.screen.bridge import SessionBridge

    where = paths.resolve(tmp_path).ensure()
    live = Live()
    bridge = SessionBridge(where.data_dir, live)
    assert bridge.start()
    joined = attach(where.data_dir)
    assert joined is not None
    link, remote = joined
    client = TestClient(create_app(Screen(live, where, TOKEN)), base_url=BASE)
    options = runner.Options(script=[3000.0], voice=False, listen=False, time_scale=20,
                             screen=link)  # fmt: skip
    result: dict[str, str] = {}

    def run() -> None:
        with contextlib.ExitStack() as stack:
            stack.callback(remote.close)
            result["how"] = runner.run(where, routine.default(), prompts.load("en"), options, stack)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    t = Trial(where, live, client, thread, result)
    try:
        shown = t.wait(lambda s: s["caption"].endswith(CHEST) and "no" in s["commands"])
        assert shown["asked"]
        assert t.press("no", shown).status_code == 200
        assert t.press("no", shown).status_code == 409
        t.wait(lambda s: s["caption"].endswith(DIZZY))
        time.sleep(0.3)
        assert t.safety_answers() == [("chest_pain", "no")]
        live.press(Command.STOP)
        t.wait(lambda s: s["stage"] == "confirm_end", 10)
        live.press(Command.YES)
        thread.join(timeout=20)
    finally:
        bridge.stop()
    assert result.get("how") == "stopped"


def test_yes_pressed_just_after_slower_at_the_same_question_is_taken(tmp_path: Path) -> None:
    """Slower (or Repeat, Help) at "Do you have any chest pain?", then Yes before the page had
    heard back: the question was the same, but the Yes was refused as "changed"."""
    with trial(tmp_path) as t:
        shown = t.wait(lambda s: s["caption"].endswith(CHEST) and "yes" in s["commands"])
        assert t.press("slower", shown).status_code == 200
        t.wait(lambda s: s["caption"].startswith("Slower."))  # said, and asked again
        answer = t.press("yes", shown)  # from the page as it was before "slower" came back
        assert answer.status_code == 200, answer.text
        t.wait(lambda s: s["context"] == "alert")
