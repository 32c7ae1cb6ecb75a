"""The history store on real SQLite files: records, WAL, migrations, refusing foreign files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from companion.errors import BadInputError, DatabaseError
from companion.history import db, queries
from companion.history.migrations import MIGRATIONS, TABLES, Migration
from companion.history.store import HistoryStore
from companion.plan import Change
from companion.records import Rating, SessionEnded, SessionStarted, SetDone, Skipped, Stopped
from companion.sqlite_header import SQLITE_HEADER

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


def test_new_file_is_ours_in_wal_mode_with_every_migration(path: Path) -> None:
    HistoryStore.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    names = [r[0] for r in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == [m.name for m in MIGRATIONS]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert set(TABLES) <= tables


def test_every_record_is_visible_to_another_connection_at_once(path: Path) -> None:
    store = HistoryStore.open(path)
    other = sqlite3.connect(path)
    store.write(SessionStarted(at(0), T0.date(), (("palm_turn", 2, 10), ("pen_spin", 1, 15))))
    store.write(SetDone(at(1), "palm_turn", 1, 10, 10, 41.5, True))
    assert other.execute("SELECT done, duration_s, completed FROM sets").fetchall() == [
        (10, 41.5, 1)
    ]
    store.write(Rating(at(2), "palm_turn", 1, "pain", 1))
    store.write(Rating(at(2.5), "palm_turn", 1, "effort", 3))
    store.write(SetDone(at(4), "palm_turn", 2, 10, 6, 25.0, False))
    store.write(Stopped(at(4), "palm_turn", "tired"))
    store.write(Skipped(at(5), "pen_spin", "tired"))
    store.write(SessionEnded(at(6), "tired"))
    assert other.execute("SELECT how, ended_at FROM sessions").fetchall() == [
        ("tired", at(6).isoformat())
    ]
    store.close()
    conn = HistoryStore.open(path).connection
    [s] = queries.sessions(conn)
    assert (s.day, s.how, s.started_at) == (T0.date(), "tired", at(0).isoformat())
    assert [(r.exercise_id, r.set_number, r.done, r.completed) for r in queries.sets(conn)] == [
        ("palm_turn", 1, 10, True),
        ("palm_turn", 2, 6, False),
    ]
    assert [(r.kind, r.value) for r in queries.ratings(conn)] == [("pain", 1), ("effort", 3)]
    assert [(r.exercise_id, r.reason) for r in queries.stops(conn)] == [("palm_turn", "tired")]
    assert [(r.exercise_id, r.reason) for r in queries.skips(conn)] == [("pen_spin", "tired")]
    planned = conn.execute("SELECT exercise_id, sets, reps FROM planned ORDER BY position")
    assert planned.fetchall() == [("palm_turn", 2, 10), ("pen_spin", 1, 15)]


def test_a_session_that_never_ended_is_closed_as_interrupted_on_the_next_start(path: Path) -> None:
    store = HistoryStore.open(path)
    store.write(SessionStarted(at(0), T0.date(), (("palm_turn", 2, 10),)))
    store.write(SetDone(at(1), "palm_turn", 1, 10, 10, 40.0, True))
    store.write(Rating(at(2), "palm_turn", 1, "pain", 0))
    store.connection.close()  # as if the process died: no SessionEnded
    store = HistoryStore.open(path)
    assert [s.how for s in queries.sessions(store.connection)] == [None]
    store.write(SessionStarted(at(60), T0.date(), (("palm_turn", 2, 10),)))
    first, second = queries.sessions(store.connection)
    assert (first.how, first.ended_at) == ("interrupted", at(2).isoformat())
    assert (second.how, second.ended_at) == (None, None)
    assert len(queries.sets(store.connection)) == 1


def test_records_outside_a_session_and_bad_values_are_refused(path: Path) -> None:
    store = HistoryStore.open(path)
    with pytest.raises(BadInputError, match="outside a session"):
        store.write(SetDone(at(0), "palm_turn", 1, 10, 10, 40.0, True))
    store.write(SessionStarted(at(0), T0.date(), ()))
    with pytest.raises(BadInputError):
        store.write(Rating(at(1), "palm_turn", 1, "pain", 11))
    with pytest.raises(BadInputError):
        store.write(Rating(at(1), "palm_turn", 1, "mood", 3))
    with pytest.raises(BadInputError, match="reminder outcome"):
        store.log_reminder(at(1), T0.date(), "exploded")
    assert queries.ratings(store.connection) == []
    assert queries.reminders(store.connection) == []


def test_changes_are_logged_once_per_day_and_reminders_in_order(path: Path) -> None:
    store = HistoryStore.open(path)
    up = Change("palm_turn", "up", 10, 12, "up_easy")
    store.log_changes(T0.date(), [up, Change("", "restart", 7, 0, "restart_gap")])
    store.log_changes(T0.date(), [up])  # a repeat session on the same day
    rows = queries.changes(store.connection)
    assert [(r.day, r.exercise_id, r.kind, r.old, r.new, r.rule) for r in rows] == [
        (T0.date(), "palm_turn", "up", 10, 12, "up_easy"),
        (T0.date(), "", "restart", 7, 0, "restart_gap"),
    ]
    store.log_reminder(at(0), T0.date(), "fired")
    store.log_reminder(at(15), T0.date(), "snoozed")
    store.log_reminder(at(30), T0.date(), "started")
    assert [r.outcome for r in queries.reminders(store.connection, T0.date(), T0.date())] == [
        "fired",
        "snoozed",
        "started",
    ]
    assert store.approve("bottle_grasp", T0.date(), at(0)) is True
    assert store.approve("bottle_grasp", T0.date(), at(1)) is False
    assert queries.approvals(store.connection) == [(T0.date(), "bottle_grasp")]


def _unchanged_after_refusal(path: Path, match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(DatabaseError, match=match):
        HistoryStore.open(path)
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists() or Path(str(path) + "-wal").stat().st_size == 0


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"date,reps\n2026-11-01,10\n" * 50)
    _unchanged_after_refusal(path, "not an SQLite database")


def test_another_programs_sqlite_file_is_refused_and_left_alone(path: Path) -> None:
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ann')")
    conn.commit()
    conn.close()
    _unchanged_after_refusal(path, "some other program")


def test_a_newer_schema_is_refused_not_touched(path: Path) -> None:
    HistoryStore.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE goals (x)")
    conn.execute("INSERT INTO _migrations (name) VALUES ('0099_goals')")
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.commit()
    conn.close()
    _unchanged_after_refusal(path, "newer version")


def test_a_damaged_history_is_refused(path: Path) -> None:
    store = HistoryStore.open(path)
    store.write(SessionStarted(at(0), T0.date(), (("palm_turn", 2, 10),)))
    for n in range(300):
        store.write(SetDone(at(n), "palm_turn", n, 10, 10, 40.0, True))
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 4 * page] = b"\xa5" * (2 * page)  # scribble over two pages
    path.write_bytes(bytes(data))
    _unchanged_after_refusal(path, "damaged")


def test_an_empty_file_becomes_a_new_history(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    HistoryStore.open(path).close()
    assert path.read_bytes().startswith(SQLITE_HEADER)


def test_an_older_history_is_migrated_keeping_its_data(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "MIGRATIONS", MIGRATIONS[:1])
    monkeypatch.setattr(db, "TABLES", ("sessions",))
    store = HistoryStore.open(path)
    store.connection.execute("INSERT INTO sessions (day, started_at) VALUES ('2026-11-01', 'x')")
    store.close()
    monkeypatch.undo()
    conn = HistoryStore.open(path).connection
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert [s.day for s in queries.sessions(conn)] == [dt.date(2026, 11, 1)]


def test_a_failing_migration_leaves_the_file_at_the_last_good_version(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    HistoryStore.open(path).close()
    bad = Migration("0003_bad", ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(db, "MIGRATIONS", MIGRATIONS + (bad,))
    with pytest.raises(DatabaseError):
        HistoryStore.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name='half_done'").fetchone()[0] == 0
    )


def test_a_missing_history_is_not_created_when_only_reading(path: Path) -> None:
    with pytest.raises(DatabaseError, match="no history yet"):
        HistoryStore.open(path, create=False)
    assert not path.exists()


def _open_many(paths: list[str], barrier: Any, results: Any) -> None:
    for path in paths:
        barrier.wait(timeout=60)  # every process opens the same new file at the same moment
        try:
            store = HistoryStore.open(path)
            conn = store.connection
            results.put(
                (
                    conn.execute("PRAGMA user_version").fetchone()[0],
                    conn.execute("SELECT count(*) FROM _migrations").fetchone()[0],
                )
            )
            store.close()
        except DatabaseError as exc:
            results.put(str(exc))


def test_processes_opening_a_new_history_at_once_all_succeed(tmp_path: Path) -> None:
    """The daemon and a session may both create the file on the very first day."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    paths = [str(tmp_path / f"h{n}.sqlite3") for n in range(15)]
    barrier, results = ctx.Barrier(4), ctx.Queue()
    workers = [ctx.Process(target=_open_many, args=(paths, barrier, results)) for _ in range(4)]
    for w in workers:
        w.start()
    got = [results.get(timeout=120) for _ in range(4 * len(paths))]
    for w in workers:
        w.join(timeout=30)
    assert got == [(len(MIGRATIONS), len(MIGRATIONS))] * len(got)
