"""The real APScheduler triggers: a 9:00 reminder stays at 9:00 local time across DST changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from companion.errors import BadInputError
from companion.reminders.overdue import fire_times
from companion.reminders.scheduler import daily_trigger, next_times, zone
from companion.reminders.times import Slot

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
NINE = Slot(9, 0)


def _days(trigger: object, start: dt.datetime, n: int) -> list[dt.datetime]:
    out, t = [], trigger.get_next_fire_time(None, start)  # type: ignore[attr-defined]
    for _ in range(n):
        out.append(t)
        t = trigger.get_next_fire_time(t, t + dt.timedelta(microseconds=1))  # type: ignore[attr-defined]
    return out


@pytest.mark.parametrize(
    ("tz", "spring", "autumn"),
    [
        (LONDON, dt.date(2026, 3, 29), dt.date(2026, 10, 25)),
        (NEW_YORK, dt.date(2026, 3, 8), dt.date(2026, 11, 1)),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_both_changes(
    tz: ZoneInfo, spring: dt.date, autumn: dt.date
) -> None:
    trigger = daily_trigger(NINE, tz)
    for change in (spring, autumn):
        start = dt.datetime.combine(change - dt.timedelta(days=2), dt.time(12), tzinfo=tz)
        fires = _days(trigger, start, 4)
        assert [f.date() for f in fires] == [
            change - dt.timedelta(days=1) + dt.timedelta(days=i) for i in range(4)
        ]
        for f in fires:
            local = f.astimezone(tz)
            assert (local.hour, local.minute, local.second) == (9, 0, 0)
        # the gap between the fire before and after the change is not 24 hours of real time
        utc = [f.astimezone(dt.timezone.utc) for f in fires]
        gaps = {(b - a) for a, b in zip(utc, utc[1:], strict=False)}
        assert dt.timedelta(hours=23) in gaps or dt.timedelta(hours=25) in gaps
        offsets = {f.utcoffset() for f in fires}
        assert len(offsets) == 2


def test_same_instant_is_a_different_local_time_in_another_zone() -> None:
    start = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    london = daily_trigger(NINE, LONDON).get_next_fire_time(None, start)
    new_york = daily_trigger(NINE, NEW_YORK).get_next_fire_time(None, start)
    assert new_york - london == dt.timedelta(hours=5)


def test_next_times_merges_slots_in_order() -> None:
    start = dt.datetime(2026, 3, 28, 12, 0, tzinfo=LONDON)
    got = next_times([Slot(9, 0), Slot(17, 30)], LONDON, start, 5)
    labels = [(t.astimezone(LONDON).strftime("%d %H:%M"), s.label) for t, s in got]
    assert labels == [
        ("28 17:30", "17:30"),
        ("29 09:00", "09:00"),
        ("29 17:30", "17:30"),
        ("30 09:00", "09:00"),
        ("30 17:30", "17:30"),
    ]


def test_fire_times_lists_every_missed_day_up_to_now() -> None:
    trigger = daily_trigger(NINE, LONDON)
    first = dt.datetime(2026, 3, 27, 9, 0, tzinfo=LONDON)
    now = dt.datetime(2026, 3, 30, 8, 59, tzinfo=LONDON)
    got = fire_times(trigger, first, now)
    assert [t.astimezone(LONDON).strftime("%d %H:%M") for t in got] == [
        "27 09:00",
        "28 09:00",
        "29 09:00",
    ]
    assert len(fire_times(trigger, first, now + dt.timedelta(days=900), limit=10)) == 10


def test_seconds_are_honoured_for_tests() -> None:
    start = dt.datetime(2026, 1, 5, 9, 0, 0, tzinfo=LONDON)
    t = daily_trigger(Slot(9, 0, 7), LONDON).get_next_fire_time(None, start)
    assert t == dt.datetime(2026, 1, 5, 9, 0, 7, tzinfo=LONDON)


def test_zone_names() -> None:
    assert zone("Europe/London") == LONDON
    assert zone("") is not None  # this computer's zone
    with pytest.raises(BadInputError, match="time zone"):
        zone("Mars/Olympus")


def test_a_time_in_the_hour_the_clocks_go_back_fires_once_that_day() -> None:
    trigger = daily_trigger(Slot(1, 30), NEW_YORK)
    start = dt.datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK)
    fires = _days(trigger, start, 3)
    assert [f.date() for f in fires] == [dt.date(2026, 11, d) for d in (1, 2, 3)]
    # catching up over that night finds one reminder, not an endless repeat of 01:30
    night_end = dt.datetime(2026, 11, 1, 12, 0, tzinfo=NEW_YORK)
    assert len(fire_times(trigger, fires[0], night_end)) == 1


def test_a_time_in_the_hour_the_clocks_skip_fires_once_an_hour_later_that_day() -> None:
    trigger = daily_trigger(Slot(2, 30), NEW_YORK)
    start = dt.datetime(2026, 3, 7, 12, 0, tzinfo=NEW_YORK)
    fires = _days(trigger, start, 3)
    assert [f.date() for f in fires] == [dt.date(2026, 3, d) for d in (8, 9, 10)]
    assert fires[0].astimezone(dt.timezone.utc) == dt.datetime(
        2026, 3, 8, 7, 30, tzinfo=dt.timezone.utc
    )
    assert fires[1].astimezone(NEW_YORK).strftime("%H:%M") == "02:30"
