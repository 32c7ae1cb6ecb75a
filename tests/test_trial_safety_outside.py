"""Safety words with no session running (found in a user trial): the stroke warning signs said at
a reminder hold the next day's programme as "it hurts" there does (they reached the history and
the report, but the progression read only pain); "It hurts" pressed on the page with no reminder
due is recorded (history, report, progression), not only answered with advice. Real SQLite files
in a temp data folder; the real web app through its test client."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from companion import routine
from companion.cli.main import main
from companion.history.store import HistoryStore
from companion.progression import today_plan
from tests.screen_app import TOKEN, client_for, new_screen
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


# ---- "It hurts" on the page, nothing due -------------------------------------------------------


def _said_on_screen(data: Path) -> list[tuple[str, str, str]]:
    if not (data / "history.sqlite3").exists():
        return []
    with contextlib.closing(sqlite3.connect(data / "history.sqlite3")) as conn:
        try:
            rows = conn.execute("SELECT day, what, text FROM screen_safety ORDER BY id")
        except sqlite3.OperationalError:  # the old schema: no such table
            return []
        return rows.fetchall()


def test_it_hurts_on_the_page_with_nothing_due_is_recorded_shown_and_holds_progression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    screen = new_screen(data)
    (data / "routine.toml").write_text(ROUTINE)
    r = routine.load(data / "routine.toml")
    today = dt.datetime.now().astimezone().date()
    first = today - dt.timedelta(days=2)
    with HistoryStore.open(data / "history.sqlite3") as store:  # two easy days before today
        _easy_day(store, first, 6)
        _easy_day(store, first + dt.timedelta(days=1), 6)
        assert today_plan(r, store, today).items[0].reps == 8  # it would go up tomorrow...
        _easy_day(store, today, 8)

    reply = client_for(screen).post(
        "/press", data={"command": "hurts", "token": TOKEN}, headers={"x-companion-token": TOKEN}
    )
    assert reply.status_code == 200
    assert "Rest your hand" in reply.json()["message"]
    recorded = _said_on_screen(data)
    assert [(d, w) for d, w, _ in recorded] == [(today.isoformat(), "pain")]
    assert "Rest your hand" in recorded[0][2]  # the advice, as shown

    with HistoryStore.open(data / "history.sqlite3") as store:  # ...and holds after "it hurts"
        plan = today_plan(r, store, today + dt.timedelta(days=1))
    assert [(i.reps, c.rule) for i, c in zip(plan.items, plan.changes, strict=False)] == [
        (8, "hold_pain")
    ]

    assert main(["--data-dir", str(data), "history", "--date", today.isoformat()]) == 0
    assert "IT HURTS, pressed on the screen" in capsys.readouterr().out
    page = tmp_path / "report.html"
    args = ["--data-dir", str(data), "report", "--end", today.isoformat(), "--days", "7"]
    assert main([*args, "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    section = html.split('<section id="safety">', 1)[1].split("</section>", 1)[0]
    assert '<span class="alarm">IT HURTS, pressed on the screen' in section
    assert "(screen)" in section


def test_it_hurts_on_the_page_with_no_history_yet_makes_one_with_the_event(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    screen = new_screen(data)
    reply = client_for(screen).post(
        "/press", data={"command": "hurts", "token": TOKEN}, headers={"x-companion-token": TOKEN}
    )
    assert reply.status_code == 200
    assert [w for _, w, _ in _said_on_screen(data)] == ["pain"]
