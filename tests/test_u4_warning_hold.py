"""A day held for the stroke warning signs (said at a reminder, or a session ended by them or by
its safety questions) has its own reason, said once for the whole programme with the advice to
call for help, not the pain wording ("because something hurt last time"). Real SQLite files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from companion import prompts, routine
from companion.cli.main import main
from companion.history.store import HistoryStore
from companion.plan import Change
from companion.progression import describe, today_plan
from companion.records import Rating, SessionEnded, SessionStarted, SetDone

TZ = dt.timezone.utc
DAY1 = dt.date(2026, 11, 2)
ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 6
sets = 1
seconds_per_rep = 2.0
rest_seconds = 5
[[exercise]]
id = "wrist_bend"
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
WARNING = Change("", "hold", 0, 0, "hold_warning")


def _day(store: HistoryStore, day: dt.date, how: str) -> None:
    """A session at 15:00 doing both exercises at 6, rated easy, ending ``how``."""
    at = dt.datetime.combine(day, dt.time(15), TZ)
    store.write(SessionStarted(at, day, (("palm_turn", 1, 6), ("wrist_bend", 1, 6))))
    for ex in ("palm_turn", "wrist_bend"):
        store.write(SetDone(at + dt.timedelta(minutes=1), ex, 1, 6, 6, 30.0, True))
        store.write(Rating(at + dt.timedelta(minutes=1), ex, 1, "pain", 0))
        store.write(Rating(at + dt.timedelta(minutes=1), ex, 1, "effort", 2))
    store.write(SessionEnded(at + dt.timedelta(minutes=2), how))


def _next_day(data: Path, how: str, at_reminder: str | None) -> tuple[list[int], list[Change]]:
    """One practice day ending ``how`` (and ``at_reminder`` said at its 9:00 reminder): the next
    day's doses and changes."""
    data.mkdir()
    (data / "routine.toml").write_text(ROUTINE)
    r = routine.load(data / "routine.toml")
    with HistoryStore.open(data / "history.sqlite3") as store:
        if at_reminder is not None:
            at = dt.datetime.combine(DAY1, dt.time(9), TZ)
            store.log_reminder(at, DAY1, "skipped")
            store.log_reminder_safety(at, DAY1, at_reminder, "Call for help now.")
        _day(store, DAY1, how)
        plan = today_plan(r, store, DAY1 + dt.timedelta(days=1))
    return [i.reps for i in plan.items], list(plan.changes)


def test_the_control_goes_up(tmp_path: Path) -> None:
    reps, changes = _next_day(tmp_path / "d", "completed", None)
    assert reps == [8, 8]
    assert [c.rule for c in changes] == ["up_easy", "up_easy"]


@pytest.mark.parametrize(
    ("how", "at_reminder"),
    [("completed", "warning_signs"), ("warning_signs", None), ("safety_check", None)],
)
def test_a_day_held_for_the_warning_signs_says_so_once(
    tmp_path: Path, how: str, at_reminder: str | None
) -> None:
    reps, changes = _next_day(tmp_path / "d", how, at_reminder)
    assert reps == [6, 6]
    assert changes == [WARNING]  # once, for the whole programme (was hold_pain or hold_short each)


def test_pain_at_a_reminder_keeps_the_pain_wording(tmp_path: Path) -> None:
    reps, changes = _next_day(tmp_path / "d", "completed", "pain")
    assert reps == [6, 6]
    assert [c.rule for c in changes] == ["hold_pain", "hold_pain"]


def test_the_warning_hold_is_worded_calmly_with_the_emergency_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = prompts.load("en")
    line = describe(WARNING, words, 2)
    assert line == (
        "Nothing goes up today, because of what you told me last time. "
        "If you feel unwell, stop and call your emergency number."
    )
    assert "hurt" not in line
    _next_day(tmp_path / "d", "completed", "warning_signs")
    day = (DAY1 + dt.timedelta(days=1)).isoformat()
    assert main(["--data-dir", str(tmp_path / "d"), "plan", "--date", day]) == 0
    out = capsys.readouterr().out
    assert out.count(line) == 3  # companion plan: beside each exercise, and once in its changes
    assert "hurt" not in out
