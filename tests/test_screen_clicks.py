"""A whole session done with the page alone, by clicks in headless Chromium (issue 23: "a person
can do a whole session using only the page ... and what is recorded is identical to the same
session by keyboard"): no script and no key answers anything; every command comes from a click."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_screen_browser import browser_page, commands_logged, session_with_screen
from tests.test_screen_cli import PRESSES, recorded
from tests.test_screen_daemon_session import by_keyboard

BUTTON = {"no": "No", "yes": "Yes", "next": "Next", "end": "Finish for today"}
"""The page's button for each command the keyboard script answers with (tests/test_screen_cli)."""


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_a_whole_session_by_clicks_alone_records_the_same_as_the_keyboard(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    keyboard = by_keyboard(tmp_path / "keyboard")
    with (
        session_with_screen(tmp_path / "page", [3000.0], scale=20) as run,  # the script only waits
        sync_api.sync_playwright() as p,
    ):
        page = browser_page(p)
        page.goto(run.url)
        for command in PRESSES:
            deadline = time.monotonic() + 30
            while command not in run.live.snapshot()["commands"]:
                assert time.monotonic() < deadline, (command, run.live.snapshot())
                time.sleep(0.05)
            version = run.live.snapshot()["version"]
            button = page.get_by_role("button", name=BUTTON[command], exact=True)
            expect(button).to_be_visible(timeout=20_000)
            button.click()
            deadline = time.monotonic() + 30
            while run.live.snapshot()["version"] == version:
                assert time.monotonic() < deadline, command
                time.sleep(0.05)
        expect(page.locator("#status")).to_have_text("The session has ended.", timeout=20_000)
        run.thread.join(timeout=30)
    assert run.result.get("how") == "stopped"
    logged = commands_logged(run.where)
    assert [c for c, _ in logged] == PRESSES
    assert {source for _, source in logged} == {"screen"}
    assert recorded(run.where.history_db) == recorded(keyboard)
