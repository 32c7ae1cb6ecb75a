"""One session at a time per data folder: a second ``companion session`` is refused plainly and
leaves the running one alone; the lock goes with its process however it ends (even SIGKILL)."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion.errors import ExitStatus

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
QUICK = "no\nno\nno\nstart\nstop\nyes\n"
"""A session that starts the first set and stops at once."""


def command(data: Path, script: Path | str, scale: float) -> list[str]:
    return [
        sys.executable,
        "-m",
        "companion.cli.main",
        "--data-dir",
        str(data),
        "session",
        "--script",
        str(script),
        "--no-voice",
        "--time-scale",
        str(scale),
    ]


def run(data: Path, lines: str = QUICK) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(data, "-", 50),
        input=lines,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env={**os.environ, "COMPANION_DATA_DIR": ""},
    )


def sessions(data: Path) -> list[tuple[str | None, str | None]]:
    db = data / "history.sqlite3"
    if not db.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT ended_at, how FROM sessions ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []


@contextlib.contextmanager
def waiting_session(data: Path) -> subprocess.Popen[str]:
    """A real session that waits at its first safety question (about 20 s) then ends."""
    script = data / "slow.txt"
    script.write_text("wait 20\nyes\n", encoding="utf-8")
    proc = subprocess.Popen(
        command(data, script, 1),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "COMPANION_DATA_DIR": ""},
    )
    try:
        deadline = time.monotonic() + 60
        while not sessions(data) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None and sessions(data) == [(None, None)], "did not start"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


@pytest.mark.timeout(240)
def test_a_second_session_is_refused_and_the_running_one_is_not_marked_interrupted(
    tmp_path: Path,
) -> None:
    with waiting_session(tmp_path) as first:
        second = run(tmp_path)
        assert second.returncode == ExitStatus.ALREADY_RUNNING, second.stderr
        assert "A session is already running" in second.stderr
        assert f"(process {first.pid})" in second.stderr
        assert "Traceback" not in second.stderr and second.stdout == ""
        assert sessions(tmp_path) == [(None, None)]  # still running, not "interrupted"
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert "chest pain" in out.lower()
    assert [how for _, how in sessions(tmp_path)] == ["safety_check"]
    again = run(tmp_path)  # the lock went with the first session's normal end
    assert again.returncode == 0, again.stderr
    assert [how for _, how in sessions(tmp_path)] == ["safety_check", "stopped"]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_a_session_killed_in_any_way_does_not_block_the_next(
    tmp_path: Path, how: signal.Signals
) -> None:
    with waiting_session(tmp_path) as first:
        os.kill(first.pid, how)
        first.wait(timeout=60)
    assert (tmp_path / "session.lock").exists()  # left behind, and harmless
    after = run(tmp_path)
    assert after.returncode == 0, after.stderr
    hows = [h for _, h in sessions(tmp_path)]
    assert hows[-1] == "stopped" and len(hows) == 2
