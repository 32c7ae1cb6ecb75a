"""The stroke warning signs said at a reminder (no session running) hold the next day's programme
as "it hurts" there does (found in a user trial: they reached the history and the report but
the progression read only pain). Real SQLite files in a temp data folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from companion import routine
from companion.history.store import HistoryStore
from companion.progression import today_plan
from tests.test_trial_reminder_pain_history import DAY1, ROUTINE, TZ, _easy_day


def _third_day(data: Path, what: str | None) -> tuple[int, str]:
    """Two easy days (days_needed = 2), ``what`` said at the second day's 9:00 reminder: the
    third day's dose of palm_turn and the rule that set it."""
    (data / "routine.toml").write_text(ROUTINE)
    r = routine.load(data / "routine.toml")
    with HistoryStore.open(data / "history.sqlite3") as store:
        for n in range(2):
            day = DAY1 + dt.timedelta(days=n)
            if n == 1 and what is not None:
                at = dt.datetime.combine(day, dt.time(9), TZ)
                store.log_reminder(at, day, "skipped")
                store.log_reminder_safety(at, day, what, "Call for help now.")
            _easy_day(store, day, today_plan(r, store, day).items[0].reps)
        plan = today_plan(r, store, DAY1 + dt.timedelta(days=2))
    return plan.items[0].reps, ",".join(c.rule for c in plan.changes)


@pytest.mark.parametrize("what", ["pain", "warning_signs"])
def test_pain_or_the_stroke_signs_at_a_reminder_hold_the_next_days_programme(
    tmp_path: Path, what: str
) -> None:
    for folder in ("plain", what):
        (tmp_path / folder).mkdir()
    assert _third_day(tmp_path / "plain", None) == (8, "up_easy")  # the control: it would go up
    reps, rule = _third_day(tmp_path / what, what)
    assert reps == 6
    assert rule.startswith("hold")
