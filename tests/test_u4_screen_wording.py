"""The screen's labels and messages come from prompts/ (ui.toml [screen]), not from code: a
changed wording file changes the page (its buttons, the 0-10 scale's words, the answers to a
press, a due reminder's words). The real app through its test client, with a copy of the
packaged wording changed (COMPANION_PROMPTS_DIR)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion import paths, prompts
from companion.screen.reminder_state import decide
from tests.screen_app import TOKEN, client_for, new_screen

CHANGED = {
    'stop = "Stop"': 'stop = "Halt-XX"',
    'hurts = "It hurts"': 'hurts = "Ouch-XX"',
    'end = "Finish for today"': 'end = "Enough-XX"',
    '6 = "Quite bad"': '6 = "Bad-XX"',
    'no_session = "No session is running now."': 'no_session = "Nothing runs-XX."',
    'unknown_button = "That button is not known."': 'unknown_button = "Unknown-XX."',
    'due = "It is time for your hand exercises."': 'due = "Exercise time-XX."',
}


@pytest.fixture
def changed_wording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    root = tmp_path / "prompts"
    shutil.copytree(paths.prompts_dir(), root)
    ui = root / "en" / "ui.toml"
    text = ui.read_text(encoding="utf-8")
    for old, new in CHANGED.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    ui.write_text(text, encoding="utf-8")
    monkeypatch.setenv("COMPANION_PROMPTS_DIR", str(root))
    prompts.load.cache_clear()
    yield
    prompts.load.cache_clear()


@pytest.mark.usefixtures("changed_wording")
def test_the_pages_labels_and_messages_are_the_wording_files(tmp_path: Path) -> None:
    screen = new_screen(tmp_path / "data")
    client = client_for(screen)
    screen.live.update(running=True, commands=["end"], context="pain")
    page = client.get("/").text
    for label in ("Halt-XX", "Ouch-XX", "Enough-XX", "Bad-XX"):
        assert label in page, label
    assert ">Stop<" not in page and "Quite bad" not in page
    screen.live.update(running=False)
    headers = {"x-companion-token": TOKEN}
    reply = client.post("/press", data={"command": "next", "token": TOKEN}, headers=headers)
    assert (reply.status_code, reply.json()["message"]) == (409, "Nothing runs-XX.")
    reply = client.post("/press", data={"command": "bogus", "token": TOKEN}, headers=headers)
    assert (reply.status_code, reply.json()["message"]) == (400, "Unknown-XX.")
    now = dt.datetime(2026, 12, 4, 10, 5, tzinfo=dt.timezone.utc)
    view = decide([(now, "fired")], [], True, now, dt.timezone.utc, prompts.load("en"))
    assert view is not None and view["text"] == "Exercise time-XX."
