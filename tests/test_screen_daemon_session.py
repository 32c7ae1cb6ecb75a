"""A session the reminder daemon starts after "start" shows live on an open ``companion screen``
(real processes: screen, daemon, the daemon's session child), as one started on the page does:
the page follows it, its buttons drive it, and what is recorded is the same as the same session
by keyboard. The way between them is the data folder's socket (``screen/bridge.py``)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.test_daemon import Daemon, _stop_daemons, soon  # noqa: F401 - stops them
from tests.test_screen_cli import ANSWERS, PRESSES, REPO, recorded, wait_for
from tests.test_screen_reminder import screen_process, token_of

SCALE = "20"


class PageEvents:
    """Every state the page's event stream (``/events``) sends, collected on a thread until
    one shows a session that has ended."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.states: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._response: httpx.Response | None = None

    def __enter__(self) -> list[dict[str, Any]]:
        self._thread.start()
        assert self._ready.wait(10), "the page's event stream did not open"
        return self.states

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._response is not None:
            self._response.close()  # the reader's wait for the next line ends now
        self._thread.join(timeout=20)

    def _read(self) -> None:
        timeout = httpx.Timeout(10, read=20)
        with (
            httpx.Client(base_url=self.url, timeout=timeout) as web,
            web.stream("GET", "/events") as r,
        ):
            self._response = r
            try:
                for line in r.iter_lines():
                    if line.startswith("data: "):
                        state = json.loads(line[6:])
                        self.states.append(state)
                        self._ready.set()
                        if state["ended"] and not state["running"]:
                            return
            except (httpx.HTTPError, httpx.StreamError):
                if not self._stop.is_set():
                    raise


def by_keyboard(data: Path) -> Path:
    """The same session by keyboard script (no screen); its history file."""
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data)]
    subprocess.run([*cli, "routine", "set", "input.voice", "false"], check=True, cwd=REPO,
                   capture_output=True, timeout=60)  # fmt: skip
    done = subprocess.run(
        [*cli, "session", "--script", "-", "--no-voice", "--time-scale", SCALE],
        input="\n".join(ANSWERS) + "\n", capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return data / "history.sqlite3"


def daemon_starting_a_session(data: Path, session_lines: list[str]) -> Daemon:
    """A daemon whose reminder (a second after start-up) is answered "start"."""
    (data / "answers.txt").write_text("start\n")
    (data / "session.txt").write_text("\n".join(session_lines) + "\n")
    return Daemon(
        data, *soon(1), "--script", str(data / "answers.txt"), "--time-scale", SCALE,
        "--session-script", str(data / "session.txt"),
    )  # fmt: skip


@pytest.mark.timeout(240)
def test_a_session_started_by_voice_from_the_daemon_shows_live_on_the_page(tmp_path: Path) -> None:
    keyboard = by_keyboard(tmp_path / "keyboard")
    data = tmp_path / "voice"
    data.mkdir(mode=0o700)
    with screen_process(data) as url, httpx.Client(base_url=url, timeout=10) as web:
        assert (data / "screen.sock").exists()  # the screen's door for sessions run elsewhere

        def state() -> dict[str, Any]:
            return dict(web.get("/state").json())

        assert not state()["running"]
        with PageEvents(url) as seen:  # what an open page receives, every change
            d = daemon_starting_a_session(data, ANSWERS)  # the session answered as if by voice
            d.wait_for("session ended (exit status 0)", timeout=150)
            final = wait_for(state, lambda s: s["ended"] and not s["running"], 10)
        assert d.stop() == 0
    live = [s for s in seen if s["running"]]
    assert live, "the page never showed the daemon's session"
    assert any(s["exercise_name"] and s["sets"] and s["rep"] >= 0 for s in live)
    assert any("no" in s["commands"] for s in live)  # its buttons, live in each context
    assert len({s["caption"] for s in live}) > 3  # the captions followed the session
    assert final["ended"] == "stopped"
    assert recorded(data / "history.sqlite3") == recorded(keyboard)
    assert not (data / "screen.sock").exists()  # the screen's door closes with it


@pytest.mark.timeout(240)
def test_the_pages_buttons_drive_a_session_the_daemon_started(tmp_path: Path) -> None:
    keyboard = by_keyboard(tmp_path / "keyboard")
    data = tmp_path / "page"
    data.mkdir(mode=0o700)
    with screen_process(data) as url, httpx.Client(base_url=url, timeout=10) as web:
        token = token_of(web)

        def state() -> dict[str, Any]:
            return dict(web.get("/state").json())

        d = daemon_starting_a_session(data, ["wait 86400"])  # nobody speaks: the page answers
        wait_for(state, lambda s: s["running"], 90)
        for command in PRESSES:
            asked = wait_for(state, lambda s, c=command: c in s["commands"])
            r = web.post("/press", data={"command": command, "token": token})
            assert r.status_code == 303, r.text
            wait_for(state, lambda s, v=asked["version"]: s["version"] > v or s["ended"])
        wait_for(state, lambda s: s["ended"] == "stopped" and not s["running"], 30)
        d.wait_for("session ended (exit status 0)", timeout=30)
        assert d.stop() == 0
    assert recorded(data / "history.sqlite3") == recorded(keyboard)


def test_a_session_without_a_screen_or_with_a_dead_one_runs_as_before(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(data / "screen.sock"))  # left by a screen that was killed: nobody listens
    stale.close()
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data)]
    done = subprocess.run(
        [*cli, "session", "--script", "-", "--no-voice", "--time-scale", SCALE],
        input="\n".join(ANSWERS) + "\n", capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "[session ended: stopped]" in done.stderr
    assert "Traceback" not in done.stderr
