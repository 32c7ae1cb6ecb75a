"""The coin drop finished from the page alone (found in a user trial): the exercise moves on
when the person says "done" after each coin, and the page had no Done button, so a person using
only the screen could not finish it. A real session (real history file) on the real app."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from companion import paths, prompts, routine, runner
from companion.commands import Command
from companion.screen.app import Screen, create_app
from companion.screen.link import ScreenLink
from companion.screen.live import Live
from tests.screen_app import BASE, TOKEN

COINS = """
[[exercise]]
id = "coin_drop"
reps = 2
sets = 1
[safety]
pre_session_check = false
"""


def _wait(client: TestClient, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        state: dict[str, Any] = client.get("/state").json()
        if test(state):
            return state
        assert time.monotonic() < deadline, f"timed out; last state {state}"
        time.sleep(0.02)


def _press(client: TestClient, command: str, shown: dict[str, Any]) -> None:
    data = {"command": command, "token": TOKEN, "asked": str(shown.get("asked", ""))}
    reply = client.post("/press", data=data, headers={"x-companion-token": TOKEN})
    assert reply.status_code == 200, reply.text


def test_the_coin_drop_is_finished_with_the_pages_done_button(tmp_path: Path) -> None:
    where = paths.resolve(tmp_path).ensure()
    where.routine_file.write_text(COINS)
    chosen = routine.load(where.routine_file)
    live = Live()
    client = TestClient(create_app(Screen(live, where, TOKEN)), base_url=BASE)
    options = runner.Options(
        script=[3000.0], voice=False, listen=False, time_scale=20, screen=ScreenLink(live)
    )

    def run() -> None:
        with contextlib.ExitStack() as stack:
            runner.run(where, chosen, prompts.load("en"), options, stack)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        shown = _wait(client, lambda s: "start" in s["commands"])
        _press(client, "start", shown)
        for _ in range(3):  # two coins, then "the coins are back in the hand"
            shown = _wait(client, lambda s: s["stage"] == "self_paced" and "done" in s["commands"])
            page = client.get("/").text
            form = page.split('data-command="done"', 1)
            assert len(form) == 2, "no Done button on the page"
            assert not form[1].split(">", 1)[0].strip().startswith("hidden")
            before = shown["rep"], shown["caption"]
            _press(client, "done", shown)
            _wait(client, lambda s, was=before: (s["rep"], s["caption"]) != was)
        _wait(client, lambda s: s["stage"] == "pain")
    finally:
        if thread.is_alive():
            live.press(Command.STOP)
            with contextlib.suppress(AssertionError):
                _wait(client, lambda s: s["stage"] == "confirm_end" or not s["running"])
            live.press(Command.YES)
            thread.join(timeout=20)
