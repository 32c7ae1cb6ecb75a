"""Accessibility of every screen page: axe-core (vendored for the tests) in headless Chromium
finds no WCAG 2.2 A/AA violation, and the session page works with the keyboard alone."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from companion import paths
from companion.events import Heard
from companion.screen import guard
from companion.screen.app import Screen
from companion.screen.live import Live
from companion.screen.reminder_state import decide
from companion.screen.server import ScreenServer
from tests.conftest import skip_or_fail
from tests.test_report import build_history
from tests.test_screen_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = [
    "/", "/exercises", "/care", "/care/settings", "/care/setup", "/care/history", "/report",
    "/report/data",
]  # fmt: skip
QUESTION = {
    "running": True, "caption": "How bad is the pain? Say a number from 0 to 10.",
    "exercise": "wrist_bend", "exercise_name": "Wrist bend", "set_no": 1, "sets": 2, "rep": 3,
    "reps": 10, "stage": "pain", "context": "number",
    "commands": ["number", "stop", "hurts", "repeat", "help"], "day_done": 0.3,
}  # fmt: skip


@contextlib.contextmanager
def served(data: Path) -> Iterator[tuple[str, Live]]:
    where = paths.resolve(data).ensure()
    build_history(where.history_db, dt.date.today() - dt.timedelta(days=6), 5, seed=2)
    live = Live()
    server = ScreenServer(Screen(live, where, guard.new_token()), port=0)
    try:
        yield server.start(), live
    finally:
        server.stop()


def violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => v.id + ': ' + v.help + ' ' + "
        "v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))",
        TAGS,
    )
    return list(found)


@pytest.mark.timeout(240)
def test_no_axe_violations_on_any_page(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    with served(tmp_path) as (url, live), sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(bypass_csp=True).new_page()
        found: dict[str, list[str]] = {}
        now = dt.datetime.now(dt.timezone.utc)
        for path in PAGES:
            page.goto(url + path.lstrip("/"))
            found[path] = violations(page)
        live.update(reminder=decide([(now, "fired")], [], True, now, dt.timezone.utc))
        page.goto(url)  # the session page showing a due reminder
        page.get_by_text("It is time for your hand exercises.").wait_for()
        found["/ (reminder due)"] = violations(page)
        live.update(**QUESTION)  # the session page while a 0-10 question is asked
        page.goto(url)
        found["/ (0-10 question)"] = violations(page)
        page.goto(url + "care/settings")
        page.fill("#speech-rate", "fast")
        page.get_by_role("button", name="Save").click()
        found["/care/settings (refused)"] = violations(page)
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.timeout(240)
def test_session_page_with_the_keyboard_alone(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    got: list[Heard] = []
    with served(tmp_path) as (url, live), sync_api.sync_playwright() as p:
        live.connect(got.append)  # type: ignore[arg-type]
        live.update(**QUESTION)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        reached = []
        for _ in range(60):  # Tab through the page: every button can be reached
            page.keyboard.press("Tab")
            reached.append(page.evaluate("document.activeElement.textContent.trim()"))
        assert any(r.startswith("Stop") for r in reached)
        assert any("It hurts" in r for r in reached)
        assert "7" in [r.split()[0] for r in reached if r]  # the scale's buttons too
        page.focus("button[name=value][value='7']")
        page.keyboard.press("Enter")
        for _ in range(100):
            if got:
                break
            page.wait_for_timeout(100)
    assert [(e.command.value, e.value) for e in got] == [("number", 7)]
