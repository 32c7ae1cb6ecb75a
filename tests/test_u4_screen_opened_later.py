"""A session run by another process (``companion session``, the reminder daemon's) before any
``companion screen`` was open on the data folder: the screen opened later showed nothing, and its
Stop and It hurts did not reach the session (a restarted screen did, since 1532e51). Real sockets
in the data folder, the real bridge, a real session (real history file) joined as the command
line joins it (``cli.screen.attach_running``)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion import paths, prompts, routine, runner
from companion.cli import screen
from companion.commands import Command
from companion.screen.bridge import SessionBridge
from companion.screen.live import Live
from tests.test_trial_screen import CHEST, DIZZY


def _wait(live: Live, test: Callable[[dict[str, Any]], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not test(live.snapshot()):
        assert time.monotonic() < deadline, f"timed out; last state {live.snapshot()}"
        time.sleep(0.02)


def test_a_screen_opened_after_the_session_began_shows_it_and_its_presses_reach_it(
    tmp_path: Path,
) -> None:
    where = paths.resolve(tmp_path / "d").ensure()
    live = Live()
    with contextlib.ExitStack() as stack:
        link = screen.attach_running(where, stack)  # no screen is open yet
        assert link is not None
        options = runner.Options(
            script=[3000.0], voice=False, listen=False, time_scale=20, screen=link
        )
        started = threading.Event()

        def run() -> None:
            with contextlib.ExitStack() as inner:
                started.set()
                runner.run(where, routine.default(), prompts.load("en"), options, inner)

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        assert started.wait(10)
        time.sleep(1.0)  # the session is under way, with no screen
        opened = SessionBridge(where.data_dir, live)
        try:
            assert opened.start()  # the screen is opened for the first time
            _wait(live, lambda s: s["running"] and s["caption"].endswith(CHEST))
            asked = live.snapshot()["asked"]
            assert live.press(Command.NO, None, asked) is None  # the page's press reaches it
            _wait(live, lambda s: s["caption"].endswith(DIZZY))
        finally:
            live.press(Command.STOP)
            with contextlib.suppress(AssertionError):
                _wait(live, lambda s: s["stage"] == "confirm_end", 10)
            live.press(Command.YES)
            thread.join(timeout=20)
            opened.stop()
    assert not thread.is_alive()
