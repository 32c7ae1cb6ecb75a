"""A refused ``companion session`` (no keyboard, no microphone, no screen: exit 4) on an existing
data folder leaves every file byte-identical, also on a day whose plan announces changes (a
progression step is due): before, the day's changes were written to the history before the
ways to answer were checked. Real runs of the command (subprocesses) on a real SQLite history."""

from __future__ import annotations

import datetime as dt
import hashlib
import signal
import sqlite3
from pathlib import Path

import pytest

from companion import routine, wiring
from companion.events import DeviceProblem
from companion.history.store import HistoryStore
from companion.progression import today_plan
from companion.records import Rating, SessionEnded, SessionStarted, SetDone
from tests.session_cli import recorded_sessions, waiting_session
from tests.test_session_cli import run

TZ = dt.timezone.utc
DAY1 = dt.date(2026, 11, 2)
DAY2 = DAY1 + dt.timedelta(days=1)
ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 6
sets = 1
seconds_per_rep = 2.0
rest_seconds = 5
[progression]
days_needed = 1
max_pain = 2
max_effort = 4
rep_step = 2
gap_days = 3
caregiver_approval = false
[reminders]
timezone = "UTC"
"""


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _folder_with_a_step_due(data: Path) -> None:
    """A folder whose history makes DAY2 a step up for palm_turn (DAY1 done, rated easy)."""
    data.mkdir()
    (data / "routine.toml").write_text(ROUTINE)
    at = dt.datetime.combine(DAY1, dt.time(15), TZ)
    with HistoryStore.open(data / "history.sqlite3") as store:
        store.write(SessionStarted(at, DAY1, (("palm_turn", 1, 6),)))
        store.write(SetDone(at + dt.timedelta(minutes=1), "palm_turn", 1, 6, 6, 30.0, True))
        store.write(Rating(at + dt.timedelta(minutes=1), "palm_turn", 1, "pain", 0))
        store.write(Rating(at + dt.timedelta(minutes=1), "palm_turn", 1, "effort", 2))
        store.write(SessionEnded(at + dt.timedelta(minutes=2), "completed"))
        plan = today_plan(routine.load(data / "routine.toml"), store, DAY2)
    assert [c.rule for c in plan.changes] == ["up_easy"]  # the day announces a change


def test_a_refused_session_on_a_day_with_changes_leaves_the_history_byte_identical(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _folder_with_a_step_due(data)
    before = _files(data)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}
    result = run(data, "--no-voice", "--date", DAY2.isoformat(), stdin="", env=env)
    assert result.returncode == 4, result.stderr
    assert "no way to answer" in result.stderr
    after = _files(data)
    assert {k: after[k] for k in before} == before  # every file there before, as it was
    assert set(after) - set(before) <= {"session.lock"}  # the lock's empty file (locks.py)
    conn = sqlite3.connect(data / "history.sqlite3")
    try:
        assert conn.execute("SELECT COUNT(*) FROM changes").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_session_that_runs_still_records_the_days_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _folder_with_a_step_due(data)
    script = tmp_path / "s.txt"
    script.write_text("stop\n")
    result = run(
        data,
        "--no-voice",
        "--date",
        DAY2.isoformat(),
        "--script",
        str(script),
        "--time-scale",
        "200",
    )
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(data / "history.sqlite3")
    try:
        rows = conn.execute("SELECT day, exercise_id, rule FROM changes").fetchall()
    finally:
        conn.close()
    assert rows == [(DAY2.isoformat(), "palm_turn", "up_easy")]


def test_a_device_problem_found_before_the_loop_is_handed_to_it() -> None:
    """The inputs are now found before the loop is made: a microphone that fails to open then
    is kept and told to the session once it runs (as it was when the loop came first)."""
    problems = wiring.DeviceProblems()
    problems.speaker("no sound card")  # before keep(): only logged, as before
    problems.keep()
    problems.microphone("no microphone")
    told: list[object] = []
    problems.connect(told.append)
    problems.microphone("gone")
    assert told == [
        DeviceProblem("microphone", "no microphone"),
        DeviceProblem("microphone", "gone"),
    ]


@pytest.mark.timeout(120)
def test_a_session_quit_with_ctrl_c_is_recorded_as_ended_at_once(tmp_path: Path) -> None:
    """Found in a user trial: Ctrl-C (SIGINT) left the session 'unfinished (still running, or
    the computer stopped)' in the history and the report until the next session started."""
    with waiting_session(tmp_path, seconds=60) as proc:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert proc.returncode == 130
    ((ended_at, how),) = recorded_sessions(tmp_path)
    assert how == "interrupted" and ended_at is not None
