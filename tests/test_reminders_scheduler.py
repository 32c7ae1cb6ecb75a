"""The scheduler adapter in-process: the real BackgroundScheduler, its jobs rebuilt from rows."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from companion.reminders import jobs
from companion.reminders.overdue import stale
from companion.reminders.scheduler import ReminderScheduler
from companion.reminders.store import Job, pending
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


def _open(grace_s: float, tz: dt.tzinfo = UTC) -> tuple[ReminderScheduler, Events]:
    events = Events()
    s = ReminderScheduler(tz, dt.timedelta(seconds=grace_s), events)
    s.start_paused()
    return s, events


@pytest.mark.parametrize(("grace_s", "kind"), [(1, jobs.Missed), (60, jobs.ReminderDue)])
def test_a_reminder_late_because_the_computer_slept_is_given_or_missed(
    grace_s: float, kind: type
) -> None:
    slot, due = _slot_ahead(3, UTC)
    s, events = _open(grace_s)
    try:
        s.load([slot], [], dt.datetime.now(UTC))
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
    assert reminder_events[0].daily


def test_days_missed_while_off_are_listed_and_the_job_moves_past_now() -> None:
    stored = [Job("reminder", "09:00", dt.datetime(2026, 3, 27, 9, 0, tzinfo=LONDON))]
    back = dt.datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)  # the clocks changed on the 29th
    found = stale(stored, LONDON, back)
    local = [d.at.astimezone(LONDON) for d in found.dues]
    assert [t.strftime("%d %H:%M") for t in local] == [
        "27 09:00",
        "28 09:00",
        "29 09:00",
        "30 09:00",
    ]
    assert {d.slot for d in found.dues} == {"09:00"}
    assert found.daily_next == {"09:00": dt.datetime(2026, 3, 31, 9, 0, tzinfo=LONDON)}
    assert stale(stored, LONDON, dt.datetime(2026, 3, 27, 8, 0, tzinfo=LONDON)).dues == []


def test_a_snooze_past_its_time_is_stale_once_with_its_count() -> None:
    now = dt.datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    stored = [
        Job("snooze", "10:30", now - dt.timedelta(minutes=5), 2),
        Job("snooze", "11:30", now + dt.timedelta(minutes=5), 1),
    ]
    found = stale(stored, UTC, now)
    assert found.dues == [Due("10:30", now - dt.timedelta(minutes=5), 2)]
    assert found.daily_next == {}


def test_load_follows_the_routine_and_cancel_drops_snoozes() -> None:
    now = dt.datetime.now(UTC)
    s, _ = _open(600)
    try:
        soon = Job("snooze", "09:00", now + dt.timedelta(minutes=15), 1)
        s.load([Slot(9, 0), Slot(18, 0)], [soon], now)
        s.load([Slot(7, 30)], [soon], now)
        kinds = sorted((p.kind, p.slot) for p in s.pending())
        assert kinds == [("reminder", "07:30"), ("roll-over", ""), ("snooze", "09:00")]
        snooze = next(p for p in s.pending() if p.kind == "snooze")
        assert (snooze.at, snooze.snoozes) == (soon.next_run, 1)
        roll = next(p for p in s.pending() if p.kind == "roll-over")
        assert roll.at is not None
        assert (roll.at.hour, roll.at.minute) == (0, 5)
        assert dt.timedelta(0) < roll.at - now <= dt.timedelta(days=1)
        s.cancel_snoozes()
        assert "snooze" not in {p.kind for p in s.pending()}
    finally:
        s.close()


def test_the_watch_is_called_again_and_again_while_running() -> None:
    s, _ = _open(600)
    calls: list[float] = []
    try:
        s.watch(dt.timedelta(seconds=0.2), lambda: calls.append(time.monotonic()))
        s.resume()
        end = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < end:
            time.sleep(0.05)
    finally:
        s.close()
    assert len(calls) >= 3
    assert "watch" not in {p.kind for p in s.pending()}


def test_no_store_yet_lists_nothing_and_creates_nothing(tmp_path: Path) -> None:
    assert pending(tmp_path / "none.sqlite3") == ([], [])
    assert not (tmp_path / "none.sqlite3").exists()
