"""The session page in real headless Chromium (Playwright), beside a real session: captions
arrive live, and the page's buttons reach the session's command queue."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from companion import paths, prompts, routine, runner
from companion.cli.main import main
from companion.screen import guard
from companion.screen.app import Screen
from companion.screen.link import ScreenLink
from companion.screen.live import Live
from companion.screen.server import ScreenServer
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("COMPANION_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass
class Running:
    """A session and the screen's server, both running."""

    url: str
    where: paths.Paths
    live: Live
    thread: threading.Thread
    result: dict[str, str]


@contextlib.contextmanager
def session_with_screen(data: Path, script: list[str | float], scale: float) -> Iterator[Running]:
    """A real session (real history file and event log) shown on a real server on port 0."""
    where = paths.resolve(data).ensure()
    live = Live()
    server = ScreenServer(Screen(live, where, guard.new_token()), port=0)
    url = server.start()
    chosen = routine.default()
    options = runner.Options(
        script=script, voice=False, listen=False, time_scale=scale, screen=ScreenLink(live)
    )
    result: dict[str, str] = {}

    def run() -> None:
        with contextlib.ExitStack() as stack:
            result["how"] = runner.run(where, chosen, prompts.load("en"), options, stack)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield Running(url, where, live, thread, result)
    finally:
        server.stop()


def commands_logged(where: paths.Paths) -> list[tuple[str, str]]:
    """(command, source) for every command in the session's event log."""
    out = []
    for line in where.event_log.read_text(encoding="utf-8").splitlines():
        _at, kind, details = line.split("\t", 2)
        if kind == "command":
            d = json.loads(details)
            out.append((d["command"], d["source"]))
    return out


def browser_page(p: Any) -> Any:
    if not Path(CHROMIUM).exists():
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return browser.new_page()


@pytest.mark.timeout(240)
def test_session_page_shows_captions_live_and_its_buttons_reach_the_session(
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    # the three safety questions answered by the script, then it waits: the page does the rest
    with session_with_screen(tmp_path, ["no", "no", "no", 3000.0], scale=4) as run:
        with sync_api.sync_playwright() as p:
            page = browser_page(p)
            page.goto(run.url)
            start = page.get_by_role("button", name="Start", exact=True)
            expect(start).to_be_visible(timeout=20_000)
            stop = page.get_by_role("button", name="Stop", exact=True)
            hurts = page.get_by_role("button", name="It hurts")
            expect(stop).to_be_visible()
            expect(hurts).to_be_visible()
            before = page.locator("#caption").inner_text()
            start.click()
            counter = page.locator("#counter")
            expect(counter).to_contain_text("set 1 of 2, rep", timeout=20_000)
            expect(page.locator("#caption")).not_to_have_text(before)
            expect(counter).not_to_contain_text("rep 0 of", timeout=20_000)
            caption = page.locator("#caption").inner_text()
            assert caption.strip(), "a caption is shown while counting"
            assert run.live.snapshot()["exercise"] == "palm_turn"
            expect(page.locator("#picture")).to_have_attribute("src", "/pictures/palm_turn.svg")
            stop.click()
            yes = page.get_by_role("button", name="Yes", exact=True)
            expect(yes).to_be_visible(timeout=20_000)
            expect(start).to_be_hidden()
            yes.click()
            expect(page.locator("#status")).to_have_text("The session has ended.", timeout=20_000)
        run.thread.join(timeout=30)
    assert run.result.get("how") == "stopped"
    logged = commands_logged(run.where)
    assert ("start", "screen") in logged
    assert ("stop", "screen") in logged
    assert ("yes", "screen") in logged
    assert logged[:3] == [("no", "script")] * 3


@pytest.mark.timeout(240)
def test_session_page_works_as_plain_forms_without_javascript(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with session_with_screen(tmp_path, ["no", "no", "no", 3000.0], scale=4) as run:
        with sync_api.sync_playwright() as p:
            if not Path(CHROMIUM).exists():
                skip_or_fail("Chromium is not installed (apt-get install chromium)")
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(java_script_enabled=False).new_page()
            deadline = 40
            while "start" not in run.live.snapshot()["commands"] and deadline:
                page.wait_for_timeout(250)
                deadline -= 1
            page.goto(run.url)
            page.get_by_role("button", name="Start", exact=True).click()  # a plain form post
            page.wait_for_load_state()
            assert page.url == run.url  # back on the session page after the post
            page.get_by_role("button", name="Stop", exact=True).click()
            page.wait_for_load_state()
            page.get_by_role("button", name="Yes", exact=True).click()
        run.thread.join(timeout=30)
    assert run.result.get("how") == "stopped"
    assert {("start", "screen"), ("stop", "screen"), ("yes", "screen")} <= set(
        commands_logged(run.where)
    )


@pytest.mark.timeout(240)
def test_settings_form_in_the_browser_shows_the_message_then_saves(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    where = paths.resolve(tmp_path).ensure()
    server = ScreenServer(Screen(Live(), where, guard.new_token()), port=0)
    url = server.start()
    try:
        with sync_api.sync_playwright() as p:
            page = browser_page(p)
            page.goto(url + "care/settings")
            page.fill("#speech-rate", "fast")
            page.fill("#reminders-times", "08:15, 18:00")
            page.get_by_role("button", name="Save").click()
            expect(page.locator("#speech-rate-error")).to_contain_text("whole number from 80")
            assert not where.routine_file.exists()  # nothing saved half-way
            page.fill("#speech-rate", "130")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("status")).to_contain_text("Saved.")
    finally:
        server.stop()
    saved = routine.load(where.routine_file)
    assert (saved.speech.rate, saved.reminders.times) == (130, ("08:15", "18:00"))


@pytest.mark.timeout(240)
def test_setup_wizard_in_the_browser_produces_a_valid_routine(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    where = paths.resolve(tmp_path).ensure()
    server = ScreenServer(Screen(Live(), where, guard.new_token()), port=0)
    url = server.start()
    try:
        with sync_api.sync_playwright() as p:
            page = browser_page(p)
            page.goto(url + "care")
            page.get_by_role("link", name="Set up step by step").click()
            page.get_by_label("Name (used when greeting)").fill("Ann")
            page.get_by_label("The affected (weaker) hand").select_option("right")
            page.get_by_role("button", name="Next").click()
            page.get_by_label("Bottle grasp", exact=True).check()
            page.get_by_role("button", name="Next").click()
            page.get_by_label("Reminder times").fill("25:00")
            page.get_by_role("button", name="Next").click()
            expect(page.locator("#reminders-times-error")).to_be_visible()
            page.get_by_label("Reminder times").fill("08:30")
            page.get_by_label("Emergency number").fill("999")
            page.get_by_role("button", name="Next").click()
            page.get_by_role("button", name="Next").click()
            expect(page.get_by_role("heading", name="Check and save")).to_be_visible()
            assert not where.routine_file.exists()
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("alert")).to_contain_text("set up and saved")
    finally:
        server.stop()
    saved = routine.load(where.routine_file)
    assert (saved.name, saved.affected_side, saved.reminders.times) == ("Ann", "right", ("08:30",))
    assert where.routine_file.read_text(encoding="utf-8").count("#") > 10  # the comments are kept
    assert main(["routine", "check", "--data-dir", str(where.data_dir)]) == 0
    assert "bottle_grasp" in [e.id for e in saved.exercises]
    assert saved.safety.emergency_number == "999"
