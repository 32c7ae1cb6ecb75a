"""``companion plan`` and ``companion history`` on real history files in a data folder."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from companion import prompts
from companion.cli.main import main
from companion.errors import ExitStatus
from companion.history import queries
from companion.history.store import HistoryStore
from companion.plan import Change
from companion.progression import describe
from companion.records import Rating, SafetyAnswer, SessionEnded, SessionStarted, SetDone

UTC = dt.timezone.utc
D1 = dt.date(2026, 3, 23)
ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 20
[[exercise]]
id = "wrist_bend"
reps = 10
[progression]
days_needed = 2
caregiver_approval = true
"""


def write_day(store: HistoryStore, day: dt.date, doses: dict[str, int]) -> None:
    t = dt.datetime.combine(day, dt.time(10, 30), UTC)
    store.write(SessionStarted(t, day, tuple((ex, 2, reps) for ex, reps in doses.items())))
    for ex, reps in doses.items():
        for n in (1, 2):
            t += dt.timedelta(minutes=2)
            store.write(SetDone(t, ex, n, reps, reps, 50.0, True))
            store.write(Rating(t, ex, n, "pain", 1))
            store.write(Rating(t, ex, n, "effort", 2))
    store.write(SessionEnded(t + dt.timedelta(minutes=1), "completed"))


@pytest.fixture
def data(tmp_path: Path) -> Path:
    (tmp_path / "routine.toml").write_text(ROUTINE, encoding="utf-8")
    return tmp_path


def run(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), *args])


def test_plan_without_history_shows_the_routine_and_creates_nothing(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data, "plan", "--date", "2026-03-23") == 0
    out = capsys.readouterr().out
    words = prompts.load("en")
    assert "Monday 23 March 2026" in out
    assert words.exercise("palm_turn").name in out and "2 sets x 20 reps" in out
    assert "No practice recorded" in out
    assert not (data / "history.sqlite3").exists()


def test_bad_arguments_get_a_message_and_a_non_zero_exit(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(data, "plan", "--date", "23/03/2026") == ExitStatus.BAD_INPUT
    assert "--date must look like" in capsys.readouterr().err
    assert run(data, "history", "--days", "0") == ExitStatus.BAD_INPUT
    assert "--days" in capsys.readouterr().err
    assert run(data, "plan", "--approve", "pen_spin") == ExitStatus.OK  # nothing waiting
    assert "Nothing is waiting" in capsys.readouterr().out
    assert queries.approvals(HistoryStore.open(data / "history.sqlite3").connection) == []


@pytest.mark.parametrize(
    ("args", "end"),
    [
        (("history", "--date", "0001-01-01"), "to today"),
        (("history", "--date", "9999-12-31"), "to today"),
        (("history", "--date", "1999-12-31", "--days", "3"), "to today"),
        (("plan", "--date", "0001-01-01"), "to 2"),
        (("plan", "--date", "9999-12-31"), "to 2"),
        (("plan", "--date", "9999-12-31", "--approve"), "to 2"),
    ],
)
def test_a_day_outside_the_sane_window_is_refused(
    data: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], end: str
) -> None:
    assert run(data, *args) == ExitStatus.BAD_INPUT
    err = capsys.readouterr().err
    assert "--date must be a day from 2000-01-01 " + end in err, err
    assert len(err.strip().splitlines()) <= 2
    assert not (data / "history.sqlite3").exists()


@pytest.mark.parametrize("command", [["plan"], ["history"], ["plan", "--approve"]])
def test_a_damaged_history_file_is_reported_and_left_as_it_was(
    data: Path, command: list[str]
) -> None:
    path = data / "history.sqlite3"
    path.write_bytes(b"\x00\x01garbage" * 500)
    before = path.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COMPANION_DATA_DIR": ""},
    )
    assert proc.returncode == ExitStatus.DATABASE, proc.stderr
    assert "cannot be used" in proc.stderr and "Traceback" not in proc.stderr
    assert path.read_bytes() == before


def test_a_foreign_sqlite_file_is_refused(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conn = sqlite3.connect(data / "history.sqlite3")
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    assert run(data, "history") == ExitStatus.DATABASE
    assert "some other program" in capsys.readouterr().err


def test_waiting_exercise_is_shown_then_approved_and_starts(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = prompts.load("en")
    slide = words.exercise("wrist_slide").name
    with HistoryStore.open(data / "history.sqlite3") as store:
        write_day(store, D1, {"palm_turn": 20, "wrist_bend": 10})
        write_day(store, D1 + dt.timedelta(days=1), {"palm_turn": 20, "wrist_bend": 10})
    day = (D1 + dt.timedelta(days=2)).isoformat()
    assert run(data, "plan", "--date", day) == 0
    out = capsys.readouterr().out
    assert f"Waiting for the caregiver's approval: {slide}" in out
    assert slide not in out.split("Said at")[0]  # not in today's list of exercises yet
    assert run(data, "plan", "--date", day, "--approve", "coin_drop") == ExitStatus.BAD_INPUT
    assert "not waiting for approval" in capsys.readouterr().err
    assert run(data, "plan", "--date", day, "--approve") == 0
    out = capsys.readouterr().out
    assert f"Approved: {slide}" in out
    listed = out.split("Said at")[0]
    assert f"1. {slide}" in listed and words.exercise("palm_turn").name not in listed
    assert "Waiting for" not in out
    with HistoryStore.open(data / "history.sqlite3") as store:
        assert queries.approvals(store.connection) == [(D1 + dt.timedelta(days=2), "wrist_slide")]


def test_history_shows_each_day_missed_days_and_streaks(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    practised = [
        D1,
        D1 + dt.timedelta(days=1),
        D1 + dt.timedelta(days=3),
        D1 + dt.timedelta(days=4),
        D1 + dt.timedelta(days=5),
    ]
    with HistoryStore.open(data / "history.sqlite3") as store:
        for day in practised:
            write_day(store, day, {"palm_turn": 20, "wrist_bend": 10})
        store.log_reminder(
            dt.datetime(2026, 3, 25, 10, 30, tzinfo=UTC), D1 + dt.timedelta(days=2), "no_answer"
        )
    last = D1 + dt.timedelta(days=6)
    assert run(data, "history", "--days", "8", "--date", last.isoformat()) == 0
    lines = capsys.readouterr().out.splitlines()
    by_day = {line[4:14]: line for line in lines if line[4:14].startswith("2026-")}
    assert by_day[(D1 - dt.timedelta(days=1)).isoformat()].endswith("-")  # before the start
    assert by_day[(D1 + dt.timedelta(days=2)).isoformat()].endswith("missed")
    assert by_day[last.isoformat()].endswith("missed")  # a past day, so it is over
    for day in practised:
        assert "completed" in by_day[day.isoformat()]
    assert "reminders: no answer" in "\n".join(lines)
    assert "Streak: 0 days in a row; longest 3." in lines
    assert (
        f"Missed days: 2 (Wed {(D1 + dt.timedelta(days=2)).isoformat()}, "
        f"Sun {last.isoformat()})." in lines
    )


def test_history_shows_each_session_s_safety_answers_under_it(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two sessions on one day: a pain level too high to exercise, then a clear check later."""
    t = dt.datetime.combine(D1, dt.time(9), UTC)
    with HistoryStore.open(data / "history.sqlite3") as store:
        store.write(SessionStarted(t, D1, (("palm_turn", 2, 20),)))
        store.write(SafetyAnswer(t, "chest_pain", "no"))
        store.write(SafetyAnswer(t, "pain_now", "8"))
        store.write(SessionEnded(t, "safety_check"))
        t += dt.timedelta(hours=3)
        store.write(SessionStarted(t, D1, (("palm_turn", 1, 20),)))
        store.write(SafetyAnswer(t, "chest_pain", "no"))
        store.write(SafetyAnswer(t, "dizziness", "no"))
        store.write(SetDone(t, "palm_turn", 1, 20, 20, 50.0, True))
        store.write(SessionEnded(t, "completed"))
    assert run(data, "history", "--days", "1", "--date", D1.isoformat()) == 0
    checks = [line.strip() for line in capsys.readouterr().out.splitlines() if "Safety" in line]
    assert checks == [
        "Safety check: no chest pain, PAIN 8",
        "Safety check: no chest pain, no dizziness",
    ]


def test_plan_says_each_change_and_reads_the_data_dir_from_the_environment(data: Path) -> None:
    with HistoryStore.open(data / "history.sqlite3") as store:
        write_day(store, D1, {"palm_turn": 20, "wrist_bend": 10})
        write_day(store, D1 + dt.timedelta(days=1), {"palm_turn": 20, "wrist_bend": 10})
    proc = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "plan", "--date", "2026-03-25"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COMPANION_DATA_DIR": str(data)},
    )
    assert proc.returncode == 0, proc.stderr
    words = prompts.load("en")
    for change in (
        Change("wrist_bend", "up", 10, 12, "up_easy"),
        Change("wrist_slide", "approval_needed", 20, 10, "approval_needed"),
    ):
        assert proc.stdout.count(describe(change, words, 2)) == 1  # each reason once
    assert (
        "  - "
        + describe(Change("wrist_slide", "approval_needed", 20, 10, "approval_needed"), words, 2)
        in proc.stdout.splitlines()
    )
    assert "2 sets x 12 reps" in proc.stdout and "Last practice: Tuesday 24 March 2026." in (
        proc.stdout
    )


def test_today_without_a_session_is_not_missed_yet(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    today = dt.date.today()
    with HistoryStore.open(data / "history.sqlite3") as store:
        for back in (3, 2, 1):
            write_day(store, today - dt.timedelta(days=back), {"palm_turn": 20, "wrist_bend": 10})
    assert run(data, "history", "--days", "4") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-3].endswith("no session yet") and today.isoformat() in lines[-3]
    assert "Streak: 3 days in a row; longest 3." in lines
    assert "Missed days: 0." in lines


def test_history_says_changes_and_stops_in_plain_words(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No rule codes (up_easy, down_pain) nor reason codes (user, safety_check) in the output."""
    with HistoryStore.open(data / "history.sqlite3") as store:
        write_day(store, D1, {"palm_turn": 20, "wrist_bend": 10})
        store.log_changes(
            D1,
            [
                Change("palm_turn", "up", 18, 20, "up_easy"),
                Change("wrist_bend", "down", 12, 10, "down_pain"),
            ],
        )
        t = dt.datetime.combine(D1, dt.time(15), UTC)
        store.write(SessionStarted(t, D1, (("palm_turn", 2, 20),)))
        store.write(SafetyAnswer(t, "pain_now", "8"))
        store.write(SessionEnded(t, "safety_check"))
    assert run(data, "history", "--days", "1", "--date", D1.isoformat()) == 0
    out = capsys.readouterr().out
    words = prompts.load("en")
    for change in (
        Change("palm_turn", "up", 18, 20, "up_easy"),
        Change("wrist_bend", "down", 12, 10, "down_pain"),
    ):
        assert f"change: {describe(change, words, 2)}" in out
    assert "15:00-15:00 ended: stopped at the safety questions: no sets" in out
    assert out.startswith("History for the day Monday 23 March 2026")
    for code in ("up_easy", "down_pain", "safety_check", "_"):
        assert code not in out, code
