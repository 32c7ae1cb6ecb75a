"""Every safety answer is part of the health record: real scripted sessions write them to a real
history file, and `history`, the report and the CSV export show them; older histories upgrade."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from companion.cli.main import main
from companion.errors import BadInputError
from companion.history import db, queries
from companion.history.migrations import MIGRATIONS, TABLES
from companion.history.store import HistoryStore
from companion.records import SafetyAnswer, SessionEnded, SessionStarted, SetDone
from tests.session_driver import Driver, make_plan
from tests.test_storage_failures import Disk, disk  # noqa: F401  (the read-only disk fixture)

REPO = Path(__file__).resolve().parent.parent
T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
QUESTIONS = ("chest_pain", "dizziness", "pain_over_6")


def session(data: Path, script: str) -> subprocess.CompletedProcess[str]:
    """A real ``companion session --script - --no-voice --time-scale 50`` run."""
    cmd = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), "session"]
    cmd += ["--script", "-", "--no-voice", "--time-scale", "50"]
    env = {**os.environ, "COMPANION_DATA_DIR": ""}
    done = subprocess.run(
        cmd, input=script, capture_output=True, text=True, timeout=180, cwd=REPO, env=env
    )
    assert done.returncode == 0, done.stderr
    return done


def answers(data: Path) -> list[tuple[str, str]]:
    """(question, answer) as stored in the history file, in order."""
    with contextlib.closing(sqlite3.connect(data / "history.sqlite3")) as conn:
        return conn.execute("SELECT question, answer FROM safety_answers ORDER BY id").fetchall()


# ---- the store -------------------------------------------------------------------------------


def test_safety_answers_are_stored_in_order_with_their_session_and_time(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore.open(path) as store:
        store.write(SessionStarted(T0, T0.date(), (("palm_turn", 1, 5),)))
        for n, q in enumerate(QUESTIONS):
            store.write(SafetyAnswer(T0 + dt.timedelta(seconds=n), q, "no", f"question {n}"))
        store.write(SessionEnded(T0 + dt.timedelta(seconds=9), "completed"))
    with HistoryStore.open(path, create=False) as store:
        rows = queries.safety_answers(store.connection)
    assert [(r.question, r.answer, r.text) for r in rows] == [
        (q, "no", f"question {n}") for n, q in enumerate(QUESTIONS)
    ]
    assert {r.session_id for r in rows} == {1} and {r.day for r in rows} == {T0.date()}
    assert rows[1].at == (T0 + dt.timedelta(seconds=1)).isoformat()
    assert not any(r.alarming for r in rows)


def test_a_safety_answer_outside_a_session_is_refused(tmp_path: Path) -> None:
    with (
        HistoryStore.open(tmp_path / "history.sqlite3") as store,
        pytest.raises(BadInputError, match="outside a session"),
    ):
        store.write(SafetyAnswer(T0, "chest_pain", "no"))


def test_a_session_that_died_after_its_safety_answers_ends_at_the_last_answer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    late = T0 + dt.timedelta(minutes=1)
    with HistoryStore.open(path) as store:
        store.write(SessionStarted(T0, T0.date(), ()))
        store.write(SafetyAnswer(late, "chest_pain", "no"))
    with HistoryStore.open(path) as store:  # the next session closes the one that died
        store.write(SessionStarted(late, T0.date(), ()))
        first = queries.sessions(store.connection)[0]
    assert (first.how, first.ended_at) == ("interrupted", late.isoformat())


# ---- the session emits them ------------------------------------------------------------------


def test_the_session_records_each_answer_even_after_a_stop_in_between() -> None:
    d = Driver(safety=True).begin()
    d.script("no", "stop", "no", "no", "no")
    got = [(r.question, r.answer) for r in d.records(SafetyAnswer)]
    assert got == [(q, "no") for q in QUESTIONS]
    assert d.session.exercising


def test_pain_at_the_safety_questions_and_stop_for_today_are_recorded() -> None:
    d = Driver(safety=True).begin()
    d.script("no", "it hurts", "3", "no", "no")
    got = [(r.question, r.answer) for r in d.records(SafetyAnswer)]
    assert got == [("chest_pain", "no"), ("pain_now", "3"), ("dizziness", "no"),
                   ("pain_over_6", "no")]  # fmt: skip
    d.script("start", "8", "no")  # severe pain after a set: "Shall we stop for today?" no
    last = d.records(SafetyAnswer)[-1]
    assert (last.question, last.answer) == ("stop_for_today", "no")
    assert last.text.startswith("Shall we stop for today?")


def test_the_warning_signs_alert_is_recorded_before_the_session_ends() -> None:
    d = Driver(make_plan(), safety=True).begin()
    d.script("no", "no", "no", "emergency")
    kinds = [type(r).__name__ for r in d.records()]
    assert kinds[-2:] == ["SafetyAnswer", "SessionEnded"]
    alert = d.records(SafetyAnswer)[-1]
    assert (alert.question, alert.answer) == ("call_now_alert", "warning_signs")


# ---- real scripted sessions, and who sees them ----------------------------------------------


def test_no_stop_no_no_no_records_all_three_answers_in_a_real_session(tmp_path: Path) -> None:
    session(tmp_path, "no\nstop\nno\nno\nno\nfinish\nyes\n")
    assert answers(tmp_path) == [(q, "no") for q in QUESTIONS]


def test_a_chest_pain_day_is_recorded_and_shown_in_history_report_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session(tmp_path, "yes\nfinish\n")
    assert answers(tmp_path) == [("chest_pain", "yes"), ("call_now_alert", "chest_pain")]
    with contextlib.closing(sqlite3.connect(tmp_path / "history.sqlite3")) as conn:
        how, ended = conn.execute("SELECT how, ended_at FROM sessions").fetchone()
        last_answer = conn.execute("SELECT max(at) FROM safety_answers").fetchone()[0]
    assert how == "safety_check" and last_answer <= ended

    assert main(["--data-dir", str(tmp_path), "history", "--days", "1"]) == 0
    shown = capsys.readouterr().out
    assert "Safety check: CHEST PAIN (yes), CALL-NOW ALERT SHOWN (chest pain)" in shown

    page = tmp_path / "report.html"
    assert main(["--data-dir", str(tmp_path), "report", "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    section = html.split('<section id="safety">', 1)[1].split("</section>", 1)[0]
    assert '<span class="alarm">CHEST PAIN (yes)</span>' in section
    assert 'class="alarm-row"' in section
    assert "<dt>Safety answers</dt><dd>1 session checked, 2 needing attention</dd>" in html

    out = tmp_path / "csv"
    assert main(["--data-dir", str(tmp_path), "export", "--csv", str(out)]) == 0
    with (out / "safety_answers.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["question"], r["answer"]) for r in rows] == answers(tmp_path)
    assert rows[0]["text"] == "Do you have any chest pain right now?"
    assert {r["session_id"] for r in rows} == {"1"}


def test_a_clear_day_shows_briefly_in_history_with_the_pain_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session(tmp_path, "no\nit hurts\n2\nno\nno\nfinish\nyes\n")
    assert answers(tmp_path) == [("chest_pain", "no"), ("pain_now", "2"), ("dizziness", "no"),
                                 ("pain_over_6", "no")]  # fmt: skip
    assert main(["--data-dir", str(tmp_path), "history", "--days", "1"]) == 0
    shown = capsys.readouterr().out
    assert "Safety check: no chest pain, pain 2, no dizziness, pain 6 or less" in shown
    assert "YES" not in shown.upper().replace("DAYS", "")


# ---- older histories ------------------------------------------------------------------------


def older_history(path: Path, version: int = 2) -> None:
    """A history file as the previous version wrote it (schema ``version``), with a session."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for number, migration in enumerate(MIGRATIONS[:version], start=1):
            db._apply(conn, number, migration)
        conn.execute(
            "INSERT INTO sessions (day, started_at, ended_at, how) VALUES ('2026-11-01', "
            "'2026-11-01T10:00:00', '2026-11-01T10:20:00', 'completed')"
        )
        conn.execute(
            "INSERT INTO sets (session_id, at, exercise_id, set_number, planned, done, "
            "duration_s, completed) VALUES (1, '2026-11-01T10:10:00', 'palm_turn', 1, "
            "10, 10, 40.0, 1)"
        )


def test_the_safety_migration_is_the_newest_and_named() -> None:
    assert [m.name for m in MIGRATIONS][2] == "0003_safety_answers"  # 0004: reminder_safety
    assert "safety_answers" in TABLES


def test_an_older_history_upgrades_on_the_next_writable_run_keeping_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.sqlite3"
    older_history(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    with HistoryStore.open(path) as store:
        conn = store.connection
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")][
            2
        ] == "0003_safety_answers"
        assert [s.day for s in queries.sessions(conn)] == [dt.date(2026, 11, 1)]
        assert len(queries.sets(conn)) == 1
        store.write(SessionStarted(T0, T0.date(), ()))
        store.write(SafetyAnswer(T0, "chest_pain", "no"))
        store.write(SetDone(T0, "palm_turn", 1, 5, 5, 10.0, True))
        store.write(SessionEnded(T0, "completed"))
        assert [(r.session_id, r.question) for r in queries.safety_answers(conn)] == [
            (2, "chest_pain")
        ]


def test_a_failing_safety_migration_leaves_the_older_history_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    older_history(path)
    broken = MIGRATIONS[2].__class__(
        MIGRATIONS[2].name, (*MIGRATIONS[2].statements, "NOT SQL"), optional=True
    )
    monkeypatch.setattr(db, "MIGRATIONS", (*MIGRATIONS[:2], broken, *MIGRATIONS[3:]))
    with pytest.raises(Exception, match="cannot be used"):
        HistoryStore.open(path)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        assert not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'safety_answers'"
        ).fetchone()


def test_an_older_history_in_a_read_only_folder_is_still_read_and_left_untouched(
    disk: Disk,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nothing can be upgraded there, but history, report and export still work (no safety
    answers are shown, as none were kept); the file is not changed."""
    path = disk.folder / "history.sqlite3"
    older_history(path)
    before = path.read_bytes()
    disk.read_only()
    try:
        with contextlib.closing(db.connect(path, create=False)) as conn:
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
            assert queries.safety_answers(conn) == []
            assert len(queries.sessions(conn)) == 1
        assert main(["--data-dir", str(disk.folder), "history", "--date", "2026-11-01"]) == 0
        assert "Palm up and down 10" in capsys.readouterr().out
        out = disk.folder.parent / "csv"
        assert main(["--data-dir", str(disk.folder), "export", "--csv", str(out)]) == 0
        assert (out / "safety_answers.csv").read_text(encoding="utf-8").splitlines() == [
            "id,session_id,at,question,answer,text"
        ]
        page = disk.folder.parent / "report.html"
        assert main(["--data-dir", str(disk.folder), "report", "--out", str(page)]) == 0
        assert "none recorded" in page.read_text(encoding="utf-8").split('id="safety"')[1]
        assert path.read_bytes() == before
    finally:
        disk.writable()
    with contextlib.closing(db.connect(path, create=False)) as conn:  # writable: it upgrades
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
