""" "It hurts" (and the stroke warning signs) said at a REMINDER, with no session running, is a
recorded safety event: the history, the report and the progression see it (found in a user
trial: the reminder gave rest advice and let the day go, but the words reached only events.log,
as every history table needed a session). Real daemon, real SQLite files in a temp data folder."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion import routine
from companion.cli.main import main
from companion.history import db, queries
from companion.history.migrations import MIGRATIONS
from companion.history.store import HistoryStore
from companion.progression import today_plan
from companion.records import Rating, SessionEnded, SessionStarted, SetDone
from tests.session_cli import REPO, session_env

TZ = dt.timezone.utc
ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 6
sets = 1
seconds_per_rep = 2.0
rest_seconds = 5
[progression]
days_needed = 2
max_pain = 2
max_effort = 4
rep_step = 2
gap_days = 3
caregiver_approval = false
[reminders]
timezone = "UTC"
"""


def _events_at_reminders(data: Path) -> list[tuple[str, str]]:
    """(what, the words said back) recorded at reminders ([] while the file is being made)."""
    if not (data / "history.sqlite3").exists():
        return []
    with contextlib.closing(sqlite3.connect(data / "history.sqlite3")) as conn:
        try:
            return conn.execute("SELECT what, text FROM reminder_safety ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # not made yet (or the old schema: no such table)
            return []


def _daemon_hears(data: Path, answer: str) -> str:
    """The real daemon gives one reminder and is told ``answer``; its output."""
    (data / "routine.toml").write_text(ROUTINE)
    (data / "answers.txt").write_text(answer + "\n")
    cli = [sys.executable, "-m", "companion.cli.main", "daemon", "--data-dir", str(data)]
    cli += ["--no-voice", "--at", "+2", "--script", str(data / "answers.txt")]
    cli += ["--answer-seconds", "2", "--no-session"]
    with subprocess.Popen(cli, cwd=REPO, env=session_env(TZ="UTC"), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:  # fmt: skip
        try:
            deadline = time.monotonic() + 40
            while not _events_at_reminders(data):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=30)
    return out


@pytest.mark.parametrize(
    ("answer", "what", "shown"),
    [
        ("it hurts", "pain", "IT HURTS, said at a reminder"),
        ("call for help", "warning_signs", "STROKE WARNING SIGNS at a reminder"),
    ],
)
def test_pain_or_the_stroke_signs_at_a_reminder_reach_the_history_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], answer: str, what: str, shown: str
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    out = _daemon_hears(data, answer)
    recorded = _events_at_reminders(data)
    assert [w for w, _ in recorded] == [what], out
    if what == "pain":
        assert "Rest your hand" in recorded[0][1]  # the advice, as said
    else:
        assert "call" in recorded[0][1].lower()  # the call-now lines, as said
    with contextlib.closing(sqlite3.connect(data / "history.sqlite3")) as conn:
        assert [o for (o,) in conn.execute("SELECT outcome FROM reminders")] == [
            "fired",
            "skipped",
        ]
        day = conn.execute("SELECT day FROM reminder_safety").fetchone()[0]

    assert main(["--data-dir", str(data), "history", "--date", day, "--days", "1"]) == 0
    assert shown in capsys.readouterr().out

    page = tmp_path / "report.html"
    args = ["--data-dir", str(data), "report", "--end", day, "--days", "7"]
    assert main([*args, "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    section = html.split('<section id="safety">', 1)[1].split("</section>", 1)[0]
    assert f'<span class="alarm">{shown}' in section and "(reminder)" in section
    assert "1 safety event at reminders" in html


# ---- progression, across days ----------------------------------------------------------------

DAY1 = dt.date(2026, 11, 2)


def _easy_day(store: HistoryStore, day: dt.date, reps: int) -> None:
    """A completed session at ``reps``, rated easy (pain 0, effort 2), at 15:00."""
    at = dt.datetime.combine(day, dt.time(15), TZ)
    store.write(SessionStarted(at, day, (("palm_turn", 1, reps),)))
    store.write(SetDone(at + dt.timedelta(minutes=1), "palm_turn", 1, reps, reps, 30.0, True))
    store.write(Rating(at + dt.timedelta(minutes=1), "palm_turn", 1, "pain", 0))
    store.write(Rating(at + dt.timedelta(minutes=1), "palm_turn", 1, "effort", 2))
    store.write(SessionEnded(at + dt.timedelta(minutes=2), "completed"))


def _plans(data: Path, hurt_on: dt.date | None) -> list[tuple[int, str]]:
    """Three days, each opened the next morning: (palm_turn's dose, the reason) per day."""
    r = routine.load(data / "routine.toml")
    out = []
    with HistoryStore.open(data / "history.sqlite3") as store:
        for n in range(3):
            day = DAY1 + dt.timedelta(days=n)
            plan = today_plan(r, store, day)
            reps = plan.items[0].reps
            if day == hurt_on:  # the 9:00 reminder: "it hurts"; the session by hand later
                at = dt.datetime.combine(day, dt.time(9), TZ)
                store.log_reminder(at, day, "skipped")
                store.log_reminder_safety(at, day, "pain", "I am sorry it hurts.")
            _easy_day(store, day, reps)
            rules = [c.rule for c in plan.changes]
            out.append((reps, ",".join(rules)))
        after = today_plan(r, store, DAY1 + dt.timedelta(days=3))
        out.append((after.items[0].reps, ",".join(c.rule for c in after.changes)))
    return out


def test_a_day_with_pain_at_a_reminder_does_not_advance_the_programme_the_next_day(
    tmp_path: Path,
) -> None:
    """Two easy days step the dose up (days_needed = 2); with "it hurts" said at the second
    day's reminder (and the session done later by hand), the next day holds for pain."""
    plain, hurt = tmp_path / "plain", tmp_path / "hurt"
    for data in (plain, hurt):
        data.mkdir()
        (data / "routine.toml").write_text(ROUTINE)
    assert _plans(plain, None)[2] == (8, "up_easy")  # the control: it would go up
    days = _plans(hurt, DAY1 + dt.timedelta(days=1))
    assert days[2] == (6, "hold_pain")
    assert days[3][0] == 6  # the pain day reset the count of easy days


def test_a_pain_only_day_at_a_reminder_is_not_a_practice_day(tmp_path: Path) -> None:
    """No session that day: nothing advances or is announced because of it."""
    (tmp_path / "routine.toml").write_text(ROUTINE)
    r = routine.load(tmp_path / "routine.toml")
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        _easy_day(store, DAY1, 6)
        hurt = DAY1 + dt.timedelta(days=1)
        before = today_plan(r, store, hurt)
        at = dt.datetime.combine(hurt, dt.time(9), TZ)
        store.log_reminder_safety(at, hurt, "pain", "I am sorry it hurts.")
        after = today_plan(r, store, hurt + dt.timedelta(days=1))
    assert [i.reps for i in after.items] == [i.reps for i in before.items] == [6]


# ---- the migration --------------------------------------------------------------------------


def _older_history(path: Path) -> None:
    """A history as the previous version wrote it (schema 3), with a session."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for number, migration in enumerate(MIGRATIONS[:3], start=1):
            db._apply(conn, number, migration)
        conn.execute(
            "INSERT INTO sessions (day, started_at, ended_at, how) VALUES ('2026-11-01', "
            "'2026-11-01T10:00:00', '2026-11-01T10:20:00', 'completed')"
        )


def test_an_older_history_gains_the_reminder_safety_table_keeping_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    _older_history(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        old_rows = conn.execute("SELECT * FROM sessions").fetchall()
    with HistoryStore.open(path) as store:
        conn = store.connection
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == 5
        assert conn.execute("SELECT * FROM sessions").fetchall() == old_rows
        at = dt.datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
        store.log_reminder_safety(at, at.date(), "pain", "Rest your hand.")
        assert [(e.day, e.what) for e in queries.reminder_safety(conn)] == [(at.date(), "pain")]
        with pytest.raises(Exception, match="Unknown safety event"):
            store.log_reminder_safety(at, at.date(), "sneeze", "")


def test_an_older_history_read_only_is_read_with_no_events_at_reminders_and_untouched(
    tmp_path: Path,
) -> None:
    """The new migration is optional: where the file cannot be updated, it is read as it is."""
    path = tmp_path / "history.sqlite3"
    _older_history(path)
    before = path.read_bytes()
    with contextlib.closing(db._open_read_only(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
        assert queries.reminder_safety(conn) == []
        assert len(queries.sessions(conn)) == 1
    assert path.read_bytes() == before


def test_a_damaged_history_is_still_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    _older_history(path)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA user_version = 2")  # its migrations say 3
    before = path.read_bytes()
    with pytest.raises(Exception, match="damaged|does not match"):
        HistoryStore.open(path)
    assert path.read_bytes() == before
