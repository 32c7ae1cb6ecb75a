"""One session at a time per data folder: a second ``companion session`` is refused plainly and
leaves the running one alone; the lock goes with its process however it ends (even SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from companion import locks
from companion.errors import ExitStatus
from tests.session_cli import recorded_sessions, run_session, waiting_session

pytestmark = pytest.mark.slow

QUICK = "no\nno\nno\nstart\nstop\nyes\n"
"""A session that starts the first set and stops at once."""


def run(data: Path, lines: str = QUICK) -> subprocess.CompletedProcess[str]:
    return run_session(data, "-", scale=50, stdin=lines)


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
        assert recorded_sessions(tmp_path) == [(None, None)]  # still running, not "interrupted"
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
        assert "chest pain" in out.lower()
    assert [how for _, how in recorded_sessions(tmp_path)] == ["safety_check"]
    again = run(tmp_path)  # the lock went with the first session's normal end
    assert again.returncode == 0, again.stderr
    assert [how for _, how in recorded_sessions(tmp_path)] == ["safety_check", "stopped"]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_a_session_killed_in_any_way_does_not_block_the_next(
    tmp_path: Path, how: signal.Signals
) -> None:
    assert not locks.is_held(tmp_path / "session.lock")  # no such file yet
    with waiting_session(tmp_path) as first:
        assert locks.is_held(tmp_path / "session.lock")  # what the reminder daemon looks at
        os.kill(first.pid, how)
        first.wait(timeout=60)
    assert (tmp_path / "session.lock").exists()  # left behind, and harmless
    assert not locks.is_held(tmp_path / "session.lock")
    after = run(tmp_path)
    assert after.returncode == 0, after.stderr
    hows = [h for _, h in recorded_sessions(tmp_path)]
    assert hows[-1] == "stopped" and len(hows) == 2
