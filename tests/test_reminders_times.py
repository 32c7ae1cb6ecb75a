"""Pure reminder timing: slots, catching up after downtime (never a burst), letting a day go."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from companion.errors import BadInputError
from companion.reminders import times

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 30, 12, 0, tzinfo=UTC)


def test_slots_parse_hh_mm_and_seconds_and_sort_without_duplicates() -> None:
    slots = times.parse_slots(["17:30", "09:05", "09:05", "09:05:07"])
    assert [s.label for s in slots] == ["09:05", "09:05:07", "17:30"]
    assert times.parse_slot("23:59:59") == times.Slot(23, 59, 59)


@pytest.mark.parametrize("bad", ["24:00", "9:00", "09:60", "noon", "", "09:00:60", "09:00:5"])
def test_bad_slot_is_a_clear_error(bad: str) -> None:
    with pytest.raises(BadInputError, match="HH:MM"):
        times.parse_slot(bad)


def test_one_missed_reminder_within_grace_is_delivered() -> None:
    due = times.Due("11:30", NOW - dt.timedelta(minutes=30))
    result = times.catch_up([due], NOW, dt.timedelta(minutes=120))
    assert result.deliver == due
    assert result.missed == ()


def test_one_missed_reminder_outside_grace_is_logged_missed() -> None:
    due = times.Due("09:00", NOW - dt.timedelta(hours=3))
    result = times.catch_up([due], NOW, dt.timedelta(minutes=120))
    assert result.deliver is None
    assert result.missed == (due,)


def test_grace_boundary_is_inclusive() -> None:
    grace = dt.timedelta(minutes=120)
    on_edge = times.Due("10:00", NOW - grace)
    just_past = times.Due("09:59", NOW - grace - dt.timedelta(seconds=1))
    assert times.catch_up([on_edge], NOW, grace).deliver == on_edge
    assert times.catch_up([just_past], NOW, grace).deliver is None


def test_a_week_off_gives_one_reminder_never_a_burst() -> None:
    # two slots a day for a week; the last one is 10 minutes ago
    stale = [
        times.Due(slot, NOW - dt.timedelta(days=d, minutes=m))
        for d in range(7)
        for slot, m in (("11:50", 10), ("08:00", 240))
    ]
    result = times.catch_up(stale, NOW, dt.timedelta(minutes=120))
    assert result.deliver == times.Due("11:50", NOW - dt.timedelta(minutes=10))
    assert len(result.missed) == len(stale) - 1
    assert list(result.missed) == sorted(result.missed, key=lambda d: d.at)


@given(
    st.lists(st.integers(min_value=0, max_value=60 * 24 * 30), max_size=40),
    st.integers(min_value=0, max_value=720),
)
def test_catch_up_delivers_at_most_one_and_loses_none(minutes_ago: list[int], grace: int) -> None:
    stale = [times.Due("10:00", NOW - dt.timedelta(minutes=m)) for m in minutes_ago]
    result = times.catch_up(stale, NOW, dt.timedelta(minutes=grace))
    delivered = [result.deliver] if result.deliver else []
    assert len(delivered) + len(result.missed) == len(stale)
    if any(m <= grace for m in minutes_ago):
        assert result.deliver is not None
        assert NOW - result.deliver.at == dt.timedelta(minutes=min(minutes_ago))
    else:
        assert result.deliver is None


def test_only_skip_today_lets_the_day_go() -> None:
    assert not times.day_let_go(["fired", "snoozed", "fired", "started"])
    assert times.day_let_go(["fired", "skipped"])
    # an unanswered reminder ends only itself: the later times of the day still ask
    assert not times.day_let_go(["fired", "snoozed", "fired", "no_answer"])
    assert not times.day_let_go([])


def test_snooze_until_and_time_scale() -> None:
    assert times.snooze_until(NOW, 15) == NOW + dt.timedelta(minutes=15)
    assert times.snooze_until(NOW, 15, time_scale=300) == NOW + dt.timedelta(seconds=3)


def test_local_day_uses_the_zone() -> None:
    late_evening_utc = dt.datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert times.local_day(late_evening_utc, ZoneInfo("Europe/London")) == dt.date(2026, 7, 2)
    assert times.local_day(late_evening_utc, ZoneInfo("America/New_York")) == dt.date(2026, 7, 1)


def test_clock_watch_notices_a_suspend_or_a_clock_change_once() -> None:
    watch = times.ClockWatch(wall=1_000_000.0, mono=50.0, limit_s=2.0)
    assert not watch.jumped(1_000_010.0, 60.0)  # both moved on together
    assert not watch.jumped(1_000_011.5, 61.0)  # a little drift is fine
    assert watch.jumped(1_003_700.0, 70.0)  # slept about an hour
    assert not watch.jumped(1_003_710.0, 80.0)  # reported once
    assert watch.jumped(1_000_000.0, 90.0)  # the clock was set back


def test_plus_seconds_is_pinned_to_a_time_of_day_once_start_up_is_over() -> None:
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    now = dt.datetime(2026, 7, 1, 9, 59, 58, 500000, tzinfo=dt.timezone.utc)
    assert times.after_start("+5") == 5 and times.after_start("10:30") is None
    assert times.after_start("+-5") is None and times.after_start("+") is None
    assert times.pin(["+5", "07:15"], now, london) == ("11:00:03", "07:15")
