"""``companion screen`` as a user starts it: a real server process, a session started from the
page's Start button and driven by its buttons alone, then Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent


def wait_for(
    get_state: Callable[[], dict[str, Any]], test: Callable[..., bool], seconds: float = 30
) -> dict[str, Any]:
    """The state once ``test`` holds for it (polled every 50 ms)."""
    deadline = time.monotonic() + seconds
    while True:
        state = get_state()
        if test(state):
            return state
        assert time.monotonic() < deadline, f"timed out; last state {state}"
        time.sleep(0.05)


@pytest.mark.timeout(180)
def test_a_whole_session_started_and_stopped_from_the_page(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path)]
    subprocess.run([*cli, "routine", "set", "input.voice", "false"], check=True, cwd=REPO)
    proc = subprocess.Popen(
        [*cli, "screen", "--port", "0", "--no-browser", "--no-voice", "--time-scale", "5"],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        url = found.group(1)
        assert "this computer only" in line
        with httpx.Client(base_url=url, timeout=10) as web:
            found = re.search(r'name="token" value="([^"]+)"', web.get("/").text)
            assert found
            token = found.group(1)

            def press(command: str) -> None:
                r = web.post("/press", data={"command": command, "token": token})
                assert r.status_code == 303, r.text

            def state() -> dict[str, Any]:
                return dict(web.get("/state").json())

            press("start")  # no session yet: the Start button starts today's session
            for _ in range(3):  # the safety questions, answered on the page
                asked = wait_for(state, lambda s: "yes" in s["commands"])
                press("no")
                wait_for(state, lambda s, q=asked["caption"]: s["caption"] != q)
            wait_for(state, lambda s: "start" in s["commands"])
            press("start")
            counting = wait_for(state, lambda s: s["rep"] >= 1)
            assert counting["exercise"] == "palm_turn" and counting["set_no"] == 1
            press("stop")
            wait_for(state, lambda s: "yes" in s["commands"])
            press("yes")
            ended = wait_for(state, lambda s: not s["running"] and s["ended"])
            assert ended["ended"] == "stopped"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "[screen stopped]" in err
    assert "Traceback" not in err
    sources = [
        json.loads(line.split("\t", 2)[2]).get("source")
        for line in (tmp_path / "events.log").read_text().splitlines()
        if line.split("\t", 2)[1] == "command"
    ]
    assert sources and set(sources) == {"screen"}


@pytest.mark.timeout(120)
def test_session_with_screen_shows_the_address_and_runs_the_session(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path), "session"]
    result = subprocess.run(
        [*cli, "--screen", "--port", "0", "--no-browser", "--script", "-", "--no-voice",
         "--time-scale", "50"],
        input="no\nno\nno\nstart\nstop\nyes\n", capture_output=True, text=True, timeout=100,
        cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert re.search(r"Open the exercise page: http://127\.0\.0\.1:\d+/", result.stderr)
    assert "[session ended: stopped]" in result.stderr


def test_a_port_in_use_gets_a_plain_message(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path)]
        result = subprocess.run(
            [*cli, "screen", "--port", str(port), "--no-browser"],
            capture_output=True, text=True, timeout=60, cwd=REPO,
        )  # fmt: skip
    assert result.returncode == 3
    assert f"The screen cannot use port {port}" in result.stderr
    assert "Traceback" not in result.stderr


SAME = {
    "sessions": "day, how",
    "planned": "position, exercise_id, sets, reps",
    "sets": "exercise_id, set_number, planned, done, completed",
    "ratings": "exercise_id, set_number, kind, value",
    "stops": "exercise_id, reason",
    "skips": "exercise_id, reason",
    "safety_answers": "question, answer, text",
}
"""What must be recorded the same whichever input drove the session (times and ids aside)."""
ANSWERS = ["no", "no", "no", "next", "finish", "yes"]
PRESSES = ["no", "no", "no", "next", "end", "yes"]
"""The same answers as the page's buttons (commands)."""


def recorded(db: Path) -> dict[str, list[tuple[object, ...]]]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return {t: conn.execute(f"SELECT {cols} FROM {t} ORDER BY rowid").fetchall()
                for t, cols in SAME.items()}  # fmt: skip


@pytest.mark.timeout(180)
def test_the_page_records_the_same_as_the_keyboard_script(tmp_path: Path) -> None:
    from tests.test_screen_browser import session_with_screen

    by_script = tmp_path / "script"
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(by_script), "session"]
    done = subprocess.run(
        [*cli, "--script", "-", "--no-voice", "--time-scale", "20"],
        input="\n".join(ANSWERS) + "\n", capture_output=True, text=True, timeout=100, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with (
        session_with_screen(tmp_path / "page", [3000.0], scale=20) as run,
        httpx.Client(base_url=run.url, timeout=10) as web,
    ):
        found = re.search(r'name="token" value="([^"]+)"', web.get("/").text)
        assert found

        def state() -> dict[str, Any]:
            return dict(web.get("/state").json())

        for command in PRESSES:
            asked = wait_for(state, lambda s, c=command: c in s["commands"])
            r = web.post("/press", data={"command": command, "token": found.group(1)})
            assert r.status_code == 303
            wait_for(state, lambda s, v=asked["version"]: s["version"] > v or s["ended"])
        run.thread.join(timeout=30)
    assert run.result.get("how") == "stopped"
    page = recorded(run.where.history_db)
    assert page == recorded(by_script / "history.sqlite3")
    assert page["skips"] and page["safety_answers"]  # something worth comparing was recorded
