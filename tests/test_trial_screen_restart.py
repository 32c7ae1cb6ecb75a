"""A session run by another process (the reminder daemon's, ``companion session``) goes on
while ``companion screen`` is restarted: the new screen showed nothing, and its Stop and It hurts
did not reach the session (found in a user trial). Real sockets in the data folder, the real
bridge on each side, a real session (real history file)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion import paths, prompts, routine, runner
from companion.commands import Command
from companion.screen.attach import attach
from companion.screen.bridge import SessionBridge
from companion.screen.live import Live
from tests.test_trial_screen import CHEST, DIZZY


def _wait(live: Live, test: Callable[[dict[str, Any]], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not test(live.snapshot()):
        assert time.monotonic() < deadline, f"timed out; last state {live.snapshot()}"
        time.sleep(0.02)


def test_a_new_screen_shows_the_session_that_runs_and_its_presses_reach_it(
    tmp_path: Path,
) -> None:
    where = paths.resolve(tmp_path / "d").ensure()
    first_live, second_live = Live(), Live()
    first = SessionBridge(where.data_dir, first_live)
    assert first.start()
    joined = attach(where.data_dir)
    assert joined is not None
    link, remote = joined
    options = runner.Options(script=[3000.0], voice=False, listen=False, time_scale=20, screen=link)

    def run() -> None:
        with contextlib.ExitStack() as stack:
            runner.run(where, routine.default(), prompts.load("en"), options, stack)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    second = SessionBridge(where.data_dir, second_live)
    try:
        _wait(first_live, lambda s: s["running"] and s["caption"].endswith(CHEST))
        first.stop()  # the screen is closed (or crashes) ...
        assert second.start()  # ... and started again, while the session waits for an answer
        _wait(second_live, lambda s: s["running"] and s["caption"].endswith(CHEST))
        asked = second_live.snapshot()["asked"]
        assert second_live.press(Command.NO, None, asked) is None  # the new page's press
        _wait(second_live, lambda s: s["caption"].endswith(DIZZY))
    finally:
        second_live.press(Command.STOP)
        with contextlib.suppress(AssertionError):
            _wait(second_live, lambda s: s["stage"] == "confirm_end", 10)
        second_live.press(Command.YES)
        thread.join(timeout=20)
        remote.close()
        second.stop()
        first.stop()
    assert not thread.is_alive()
