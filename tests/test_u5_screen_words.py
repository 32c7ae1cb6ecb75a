"""The session page's script (static/live.js) and the pairing page take their words from
prompts/ (ui.toml [screen.live], [screen.pair]), no longer from code: a changed copy of the
wording (COMPANION_PROMPTS_DIR) changes the counter, the picture's description, the ended line
the script writes in a real browser, and the pairing page's answers. The real app (in-process
client), the real server and headless Chromium (Playwright)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion import paths, prompts
from companion.screen import guard
from companion.screen.app import Screen
from companion.screen.live import Live
from companion.screen.pairing import Pairing
from companion.screen.server import ScreenServer
from tests.screen_app import client_for, new_screen
from tests.test_screen_browser import browser_page

CHANGED = {
    'counter_reps = "set {set} of {sets}, rep {rep} of {reps}"': (
        'counter_reps = "Round {set}/{sets}, move {rep}/{reps}-XX"'
    ),
    'picture_alt = "{name}: start and end position"': 'picture_alt = "{name}, pictured-XX"',
    'ended = "The session has ended."': 'ended = "All over-XX."',
    'wait = "Please wait a few seconds, then type the code again."': 'wait = "Hold on-XX."',
    'off = "Pairing is not on."': 'off = "No pairing-XX."',
    'not_our_form = "This form did not come from the pairing page."': (
        'not_our_form = "Not the pairing form-XX."'
    ),
}
WRONG = (
    "wrong = \"That code is not right. Look at the code on the companion's computer and type it "
    'again."'
)


@pytest.fixture
def changed_wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    root = tmp_path / "prompts"
    shutil.copytree(paths.prompts_dir(), root)
    ui = root / "en" / "ui.toml"
    text = ui.read_text(encoding="utf-8")
    for old, new in {**CHANGED, WRONG: 'wrong = "Wrong code-XX."'}.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    ui.write_text(text, encoding="utf-8")
    monkeypatch.setenv("COMPANION_PROMPTS_DIR", str(root))
    prompts.load.cache_clear()
    yield
    prompts.load.cache_clear()


def test_the_session_scripts_words_are_not_in_code() -> None:
    script = (Path(guard.__file__).parent / "static" / "live.js").read_text(encoding="utf-8")
    sentences = re.findall(r'"([A-Z][a-z]+ [^"]*)"', script)
    assert sentences == [], sentences  # English sentences belong in prompts/


@pytest.mark.usefixtures("changed_wording")
def test_the_pairing_pages_answers_are_the_wording_files(tmp_path: Path) -> None:
    screen = new_screen(tmp_path / "data")
    client = client_for(screen)
    reply = client.post("/pair", data={"code": "1"})
    assert (reply.status_code, reply.text) == (404, "No pairing-XX.")
    screen.pairing = Pairing("http://192.168.1.2:8766/", lambda text: None)
    reply = client.post("/pair", data={"code": "1"})
    assert reply.status_code == 400 and "Wrong code-XX." in reply.text
    reply = client.post("/pair", data={"code": "1"})
    assert reply.status_code == 429 and "Hold on-XX." in reply.text
    reply = client.post("/pair", data={"code": "1"}, headers={"origin": "http://elsewhere"})
    assert (reply.status_code, reply.text) == (403, "Not the pairing form-XX.")


@pytest.mark.browser
@pytest.mark.timeout(120)
@pytest.mark.usefixtures("changed_wording")
def test_the_live_page_writes_the_wording_files_words(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    live = Live()
    where = paths.resolve(tmp_path / "data").ensure()
    server = ScreenServer(Screen(live, where, guard.new_token()), port=0)
    url = server.start()
    try:
        with sync_api.sync_playwright() as p:
            page = browser_page(p)
            page.goto(url)
            expect(page.locator("#session")).to_be_visible(timeout=20_000)
            live.update(
                running=True, exercise="palm_turn", exercise_name="Palm turn", set_no=1,
                sets=2, rep=3, reps=10, commands=["pause", "stop", "hurts"], stage="counting",
            )  # fmt: skip
            expect(page.locator("#counter")).to_have_text("Round 1/2, move 3/10-XX", timeout=20_000)
            expect(page.locator("#picture")).to_have_attribute("alt", "Palm turn, pictured-XX")
            live.update(running=False, ended=True, commands=[])
            expect(page.locator("#status")).to_have_text("All over-XX.", timeout=20_000)
    finally:
        server.stop()
