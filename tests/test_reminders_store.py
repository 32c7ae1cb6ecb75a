"""The reminder store on real SQLite files: plain rows only, old pickled stores never unpickled."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import sqlite3
import stat
from pathlib import Path

import pytest

from companion.errors import DatabaseError
from companion.reminders import store_check
from companion.reminders.store import Job, ReminderStore, pending
from companion.reminders.times import Due

UTC = dt.timezone.utc
T = dt.datetime(2026, 3, 27, 9, 0, tzinfo=UTC)


class Planted:
    """Unpickling this creates ``marker``: the proof that a pickle was loaded (and code ran)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (os.system, (f"touch '{self.marker}'",))


def old_store(path: Path, rows: list[tuple[str, float | None, bytes]]) -> None:
    """A reminder store as APScheduler's SQLAlchemyJobStore laid it out (same table and columns)."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE apscheduler_jobs (id VARCHAR(191) NOT NULL, next_run_time FLOAT, "
            "job_state BLOB NOT NULL, PRIMARY KEY (id))"
        )
        conn.execute(
            "CREATE INDEX ix_apscheduler_jobs_next_run_time ON apscheduler_jobs (next_run_time)"
        )
        conn.executemany("INSERT INTO apscheduler_jobs VALUES (?, ?, ?)", rows)


APSCHEDULER_ROW = (
    "snooze 10:30",
    2090227500.0,
    bytes.fromhex(
        "80059568010000000000007d94288c0776657273696f6e944b018c026964948c0c736e6f6f7a652031303a33"
        "30948c0466756e63948c0e6275696c74696e733a7072696e74948c0774726967676572948c19617073636865"
        "64756c65722e74726967676572732e64617465948c0b44617465547269676765729493942981947d94286801"
        "4b018c0872756e5f64617465948c086461746574696d65948c086461746574696d65949394430a07f4031b0a"
        "2d0000000094680d8c0874696d657a6f6e65949394680d8c0974696d6564656c74619493944b004b004b0087"
        "945294859452948694529475628c086578656375746f72948c0764656661756c74948c046172677394298c06"
        "6b7761726773947d948c03736570948c0094738c046e616d65948c057072696e74948c126d6973666972655f"
        "67726163655f74696d65944b018c08636f616c6573636594888c0d6d61785f696e7374616e636573944b018c"
        "0d6e6578745f72756e5f74696d6594681a752e"
    ),
)
"""A row exactly as APScheduler 3.11.3's SQLAlchemyJobStore (SQLAlchemy 2.1.9) wrote it, for
``add_job("builtins:print", DateTrigger(2036-03-27 10:45 UTC), id="snooze 10:30", kwargs={"sep":
""})``; that store's table is the one ``old_store`` makes (sqlite3 ``.dump`` of both: the same)."""


def test_a_planted_pickle_in_an_old_store_never_runs(tmp_path: Path) -> None:
    marker = tmp_path / "code-ran"
    payload = pickle.dumps(Planted(marker))
    # the proof works: loading the payload would run the command
    pickle.loads(payload)
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "reminders.sqlite3"
    snooze_at = (T + dt.timedelta(minutes=15)).timestamp()
    old_store(
        path,
        [
            ("reminder 10:30", T.timestamp(), payload),
            ("snooze 09:00", snooze_at, payload),
            ("roll-over", T.timestamp(), payload),
            ("rm -rf ~", T.timestamp(), payload),
        ],
    )
    before = path.read_bytes()
    listed, problems = pending(path)  # `reminders list`: read-only
    assert path.read_bytes() == before
    assert {(j.kind, j.slot) for j in listed} == {("reminder", "10:30"), ("snooze", "09:00")}
    assert any("rm -rf" in p for p in problems)
    with ReminderStore.open(path) as store:  # the daemon: converts the store
        jobs = {j.id: j for j in store.jobs()}
        assert any("converted" in n for n in store.notes)
    assert not marker.exists()
    assert set(jobs) == {"reminder 10:30", "snooze 09:00"}
    assert jobs["snooze 09:00"].next_run == T + dt.timedelta(minutes=15)
    assert jobs["snooze 09:00"].snoozes == 1
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        types = {
            t
            for column in ("id", "kind", "slot", "next_run", "snoozes")
            for (t,) in conn.execute(f"SELECT DISTINCT typeof({column}) FROM jobs")
        }
    assert "apscheduler_jobs" not in tables  # nothing that could be unpickled is left
    assert types == {"text", "integer"}


def test_a_store_made_by_the_old_apscheduler_job_store_is_carried_over(tmp_path: Path) -> None:
    path = tmp_path / "reminders.sqlite3"
    old_store(path, [APSCHEDULER_ROW])
    with ReminderStore.open(path) as store:
        (job,) = store.jobs()
    assert (job.kind, job.slot) == ("snooze", "10:30")
    assert job.next_run == dt.datetime(2036, 3, 27, 10, 45, tzinfo=UTC)


def test_a_bad_row_is_reported_skipped_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "reminders.sqlite3"
    with ReminderStore.open(path) as store:
        store.put(Job("snooze", "09:00", T, 1))
    bad = [
        ("reminder 25:99", "reminder", "25:99", T.isoformat(), 0),
        ("snooze 10:00", "snooze", "10:00", "tomorrow", 1),
        ("snooze 11:00", "snooze", "11:00", "2026-03-27T09:00:00", 1),  # no UTC offset
        ("snooze 12:00", "snooze", "12:00", T.isoformat(), -3),
        ("snooze 13:00", "alarm", "13:00", T.isoformat(), 0),
        ("snooze 14:00", "snooze", "15:00", T.isoformat(), 0),  # key does not match
        ("snooze 16:00", "snooze", "16:00", pickle.dumps(T), 0),
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO jobs VALUES (?, ?, ?, ?, ?)", bad)
        conn.execute("INSERT INTO deliveries VALUES ('09:00', 'yesterday', 0, 'open', NULL)")
    before = path.read_bytes()
    listed, problems = pending(path)
    assert [j.id for j in listed] == ["snooze 09:00"]
    assert len(problems) == len(bad)
    assert all("was not understood" in p and "skipped" in p for p in problems)
    assert path.read_bytes() == before
    with ReminderStore.open(path) as store:
        assert [j.id for j in store.jobs()] == ["snooze 09:00"]
        assert store.unfinished() == []
        assert len(store.problems) == len(bad) + 1
    with sqlite3.connect(path) as conn:  # never silently deleted
        assert conn.execute("SELECT count(*) FROM jobs").fetchone() == (len(bad) + 1,)
        assert conn.execute("SELECT count(*) FROM deliveries").fetchone() == (1,)


def test_a_reminder_is_given_once_and_an_unfinished_one_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "reminders.sqlite3"
    due = Due("09:00", T)
    tomorrow = T + dt.timedelta(days=1)
    with ReminderStore.open(path) as store:
        store.set_daily({"09:00": T}, T - dt.timedelta(hours=1))
        assert store.hand_over([due], {"09:00": tomorrow}) == [due]
        assert {j.id: j.next_run for j in store.jobs()} == {"reminder 09:00": tomorrow}
    with ReminderStore.open(path) as store:  # the daemon was killed while asking
        assert store.unfinished() == [due]
        assert store.hand_over([due], {}) == [due]  # still not finished: may be asked again
        store.finish(due, "skipped")
    with ReminderStore.open(path) as store:
        assert store.unfinished() == []
        assert store.hand_over([due], {}) == []  # finished: never given again


def test_a_snooze_is_stored_with_the_outcome_and_removed_when_handed_over(tmp_path: Path) -> None:
    path = tmp_path / "reminders.sqlite3"
    due, back = Due("09:00", T), T + dt.timedelta(minutes=15)
    with ReminderStore.open(path) as store:
        store.hand_over([due], {})
        store.finish(due, "snoozed", snooze=Job("snooze", "09:00", back, 1))
    listed, _ = pending(path)
    assert listed == [Job("snooze", "09:00", back, 1)]
    with ReminderStore.open(path) as store:
        assert store.hand_over([Due("09:00", back, 1)], {}) == [Due("09:00", back, 1)]
        assert store.jobs() == []


def test_the_store_is_private_and_a_folder_with_question_mark_and_hash_stays_itself(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "a?b#c%20d"
    path = folder / "reminders.sqlite3"
    with ReminderStore.open(path) as store:
        store.put(Job("snooze", "09:00", T, 1))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a?b#c%20d"]
    assert pending(path)[0] == [Job("snooze", "09:00", T, 1)]


@pytest.mark.parametrize(
    ("content", "expect"),
    [
        (b"this is not a database\n" * 50, "damaged"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "damaged"),
    ],
)
def test_a_damaged_store_is_refused_and_left_alone(
    tmp_path: Path, content: bytes, expect: str
) -> None:
    path = tmp_path / "reminders.sqlite3"
    path.write_bytes(content)
    for opener in (ReminderStore.open, pending):
        with pytest.raises(DatabaseError, match=expect):
            opener(path)
    assert path.read_bytes() == content


def test_a_store_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reminders.sqlite3"
    ReminderStore.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {store_check.SCHEMA + 1}")
    with pytest.raises(DatabaseError, match="newer version"):
        ReminderStore.open(path)
