"""The scheduler adapter in-process: the real BackgroundScheduler over a real SQLite job store."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from companion.reminders import jobs
from companion.reminders.scheduler import ReminderScheduler, read_pending
from companion.reminders.times import Due, Slot

LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc


class Events:
    """What the scheduler handed to the daemon, in order."""

    def __init__(self) -> None:
        self.got: list[jobs.DaemonEvent] = []

    def __call__(self, event: jobs.DaemonEvent) -> None:
        self.got.append(event)

    def wait(self, n: int, timeout: float = 10) -> list[jobs.DaemonEvent]:
        end = time.monotonic() + timeout
        while len(self.got) < n and time.monotonic() < end:
            time.sleep(0.02)
        return self.got


def _slot_ahead(seconds: int, tz: dt.tzinfo) -> tuple[Slot, dt.datetime]:
    at = (dt.datetime.now(tz) + dt.timedelta(seconds=seconds)).replace(microsecond=0)
    return Slot(at.hour, at.minute, at.second), at


def _open(path: Path, grace_s: float, now: dt.datetime, tz: dt.tzinfo = UTC):  # type: ignore[no-untyped-def]
    events = Events()
    s = ReminderScheduler(path, tz, dt.timedelta(seconds=grace_s), events)
    return s, events, s.open(now)


@pytest.mark.parametrize(("grace_s", "kind"), [(1, jobs.Missed), (60, jobs.ReminderDue)])
def test_a_reminder_late_because_the_computer_slept_is_given_or_missed(
    tmp_path: Path, grace_s: float, kind: type
) -> None:
    # a few seconds ahead: opening the store on a busy machine must not take it past the slot
    # (the reminder would then be for tomorrow)
    slot, due = _slot_ahead(4, UTC)
    s, events, stale = _open(tmp_path / "jobs.sqlite3", grace_s, dt.datetime.now(UTC))
    try:
        assert stale == []
        s.sync([slot], dt.datetime.now(UTC))
        assert {p.kind: p.at for p in s.pending()}["reminder"] == due
        # paused scheduler: like a computer asleep at the reminder time and 2.5 s after it
        time.sleep((due - dt.datetime.now(UTC)).total_seconds() + 2.5)
        s.resume()
        got = events.wait(1, timeout=5)
        time.sleep(0.5)  # and nothing more comes
    finally:
        s.close()
    reminder_events = [e for e in got if isinstance(e, jobs.Missed | jobs.ReminderDue)]
    assert len(reminder_events) == 1
    assert isinstance(reminder_events[0], kind)
    assert reminder_events[0].due == Due(slot.label, due)


def test_days_missed_while_off_are_listed_and_the_job_moves_past_now(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    before = dt.datetime(2026, 3, 27, 8, 0, tzinfo=LONDON)
    s, _, _ = _open(path, 60, before, LONDON)
    s.sync([Slot(9, 0)], before)
    s.close()
    # looking at the store (companion reminders list) must not use the missed reminders up
    assert {p.kind for p in read_pending(path, LONDON)} == {"reminder", "roll-over"}
    back = dt.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)  # the clocks changed on the 29th
    s, _, stale = _open(path, 60, back, LONDON)
    try:
        pending = {p.kind: p for p in s.pending()}
    finally:
        s.close()
    local = [d.at.astimezone(LONDON) for d in stale]
    assert [t.strftime("%d %H:%M") for t in local] == [
        "27 09:00",
        "28 09:00",
        "29 09:00",
        "30 09:00",
    ]
    assert {d.slot for d in stale} == {"09:00"}
    assert pending["reminder"].at == dt.datetime(2026, 3, 31, 9, 0, tzinfo=LONDON)


def test_a_snooze_survives_a_restart_and_is_caught_up_once(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    now = dt.datetime.now(UTC)
    s, _, _ = _open(path, 600, now)
    s.sync([Slot(10, 30)], now)
    s.snooze("10:30", now + dt.timedelta(hours=1), 2)
    s.close()
    listed = read_pending(path, UTC)
    snooze = next(p for p in listed if p.kind == "snooze")
    assert (snooze.slot, snooze.snoozes) == ("10:30", 2)
    assert abs(snooze.at - (now + dt.timedelta(hours=1))) < dt.timedelta(seconds=1)  # type: ignore[operator]
    s, _, stale = _open(path, 600, now + dt.timedelta(hours=2))
    s.close()
    snoozes = [d for d in stale if d.snoozes == 2]
    assert len(snoozes) == 1 and snoozes[0].slot == "10:30"
    assert [p.kind for p in read_pending(path, UTC)].count("snooze") == 0


def test_sync_follows_the_routine_and_cancel_drops_snoozes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    now = dt.datetime.now(UTC)
    s, _, _ = _open(path, 600, now)
    try:
        s.sync([Slot(9, 0), Slot(18, 0)], now)
        s.snooze("09:00", now + dt.timedelta(minutes=15), 1)
        s.sync([Slot(7, 30)], now)
        kinds = sorted((p.kind, p.slot) for p in s.pending())
        assert kinds == [("reminder", "07:30"), ("roll-over", ""), ("snooze", "09:00")]
        s.cancel_snoozes()
        assert "snooze" not in {p.kind for p in s.pending()}
    finally:
        s.close()


def test_no_store_yet_lists_nothing_and_creates_nothing(tmp_path: Path) -> None:
    assert read_pending(tmp_path / "none.sqlite3", UTC) == []
    assert not (tmp_path / "none.sqlite3").exists()


def test_jobs_are_stored_as_module_function_references(tmp_path: Path) -> None:
    import importlib
    import pickle
    import sqlite3

    path = tmp_path / "jobs.sqlite3"
    now = dt.datetime.now(UTC)
    s, _, _ = _open(path, 600, now)
    s.sync([Slot(9, 0)], now)
    s.snooze("09:00", now + dt.timedelta(minutes=15), 1)
    s.close()
    with sqlite3.connect(path) as conn:
        states = {
            i: pickle.loads(b)
            for i, b in conn.execute("SELECT id, job_state FROM apscheduler_jobs")
        }
    assert {i: st["func"] for i, st in states.items()} == {
        "reminder 09:00": jobs.REMIND,
        "snooze 09:00": jobs.REMIND,
        "roll-over": jobs.ROLL_OVER,
    }
    for ref in (jobs.REMIND, jobs.ROLL_OVER):  # and each reference resolves
        module, _, name = ref.partition(":")
        assert callable(getattr(importlib.import_module(module), name))
