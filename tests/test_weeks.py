"""Three weeks of sessions written to a real history file as a session would, checking each day.

Fixed dates in Europe/London: the clocks go back on Sunday 25 October 2026 (a session paused
overnight runs across the change), a week with no sessions (27 October to 2 November), a session
cut short, one stopped for pain and repeated the same day, a caregiver approval, unrated sets.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from companion.history import daybook, practice_days, queries
from companion.history.store import HistoryStore
from companion.plan import Change, Plan
from companion.progression import today_plan
from companion.records import Rating, SessionEnded, SessionStarted, SetDone, Stopped
from companion.routine import Routine, from_text

LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc
ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 16
[[exercise]]
id = "wrist_bend"
reps = 10
[progression]
days_needed = 2
max_pain = 2
max_effort = 4
rep_step = 2
gap_days = 3
caregiver_approval = true
"""


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def later(t: dt.datetime, minutes: float) -> dt.datetime:
    """Real elapsed time, right across a daylight-saving change."""
    return (t.astimezone(UTC) + dt.timedelta(minutes=minutes)).astimezone(LONDON)


def session(
    store: HistoryStore,
    plan: Plan,
    start: dt.datetime,
    *,
    effort: dict[str, int] | None = None,
    pain: dict[str, int] | None = None,
    unrated: tuple[str, ...] = (),
    stop_in: str | None = None,
    stop_reason: str = "user",
    pause_before: tuple[str, float] | None = None,
) -> None:
    """Write what a session would: start, each set, its ratings, any stop, the end."""
    effort, pain = effort or {}, pain or {}
    t = start
    store.write(
        SessionStarted(t, plan.day, tuple((i.exercise_id, i.sets, i.reps) for i in plan.items))
    )
    for item in plan.items:
        ex = item.exercise_id
        if pause_before and pause_before[0] == ex:
            t = later(t, pause_before[1] * 60)
        for n in range(1, item.sets + 1):
            t = later(t, 1.5)
            if stop_in == ex:
                store.write(SetDone(t, ex, n, item.reps, item.reps // 2, 20.0, False))
                if stop_reason == "pain":
                    store.write(Rating(t, ex, n, "pain", pain.get(ex, 5)))
                store.write(Stopped(t, ex, stop_reason))
                store.write(
                    SessionEnded(later(t, 1), stop_reason if stop_reason == "pain" else "stopped")
                )
                return
            store.write(SetDone(t, ex, n, item.reps, item.reps, 60.0, True))
            if ex not in unrated:
                store.write(Rating(t, ex, n, "pain", pain.get(ex, 1)))
                store.write(Rating(t, ex, n, "effort", effort.get(ex, 3)))
    store.write(SessionEnded(later(t, 1), "completed"))


def plan_of(
    store: HistoryStore, routine: Routine, day: dt.date
) -> tuple[list[tuple[str, int]], list[tuple[str, str, int, int, str]]]:
    plan = today_plan(routine, store, day)
    return (
        [(i.exercise_id, i.reps) for i in plan.items],
        [(c.exercise_id, c.kind, c.old, c.new, c.rule) for c in plan.changes],
    )


P, B, S = "palm_turn", "wrist_bend", "wrist_slide"
HOLD_SHORT = [(S, "hold", 10, 10, "hold_short"), (B, "hold", 12, 12, "hold_short")]
EXPECTED: dict[dt.date, tuple[list[tuple[str, int]], list[tuple[str, str, int, int, str]]]] = {
    d(10, 19): ([(P, 16), (B, 10)], []),
    d(10, 20): ([(P, 16), (B, 10)], []),
    d(10, 21): ([(P, 18), (B, 12)], [(P, "up", 16, 18, "up_easy"), (B, "up", 10, 12, "up_easy")]),
    d(10, 22): ([(P, 18), (B, 12)], []),
    d(10, 23): (
        [(P, 20), (B, 10)],
        [(P, "up", 18, 20, "up_easy"), (B, "down", 12, 10, "down_effort")],
    ),
    d(10, 24): ([(P, 20), (B, 10)], []),
    d(10, 25): (
        [(P, 20), (B, 12)],
        [(B, "up", 10, 12, "up_easy"), (S, "approval_needed", 20, 10, "approval_needed")],
    ),
    d(10, 26): ([(S, 10), (B, 12)], [(S, "unlock", 20, 10, "unlock")]),
    d(10, 27): ([(S, 10), (B, 12)], HOLD_SHORT),
    d(10, 28): ([(S, 10), (B, 12)], HOLD_SHORT),
    d(10, 29): ([(S, 10), (B, 12)], HOLD_SHORT),
    d(10, 30): ([(S, 6), (B, 8)], [("", "restart", 3, 0, "restart_gap")]),
    d(10, 31): ([(S, 6), (B, 8)], [("", "restart", 4, 0, "restart_gap")]),
    d(11, 1): ([(S, 6), (B, 8)], [("", "restart", 5, 0, "restart_gap")]),
    d(11, 2): ([(S, 6), (B, 8)], [("", "restart", 6, 0, "restart_gap")]),
    d(11, 3): ([(S, 6), (B, 8)], [("", "restart", 7, 0, "restart_gap")]),
    d(11, 4): ([(S, 6), (B, 8)], []),
    d(11, 5): ([(S, 5), (B, 8)], [(S, "down", 6, 5, "down_pain"), (B, "hold", 8, 8, "hold_pain")]),
    d(11, 6): ([(S, 5), (B, 8)], []),
    d(11, 7): ([(S, 7), (B, 10)], [(S, "up", 5, 7, "up_easy"), (B, "up", 8, 10, "up_easy")]),
    d(11, 8): ([(S, 7), (B, 10)], [(B, "hold", 10, 10, "hold_unrated")]),
    d(11, 9): ([(S, 9), (B, 10)], [(S, "up", 7, 9, "up_easy")]),
}


def at(day: dt.date, hour: int, minute: int = 0, fold: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON, fold=fold)


def test_three_weeks_with_a_clock_change_and_a_week_off(tmp_path: Path) -> None:
    routine = from_text(ROUTINE)
    path = tmp_path / "history.sqlite3"
    day = d(10, 19)
    seen = {}
    while day <= d(11, 9):
        store = HistoryStore.open(path)  # every day a fresh start, as a new process would
        if day == d(10, 26):
            assert practice_days.summary(store.connection, day).approvals == ()
            store.approve(S, day, at(day, 8))  # the caregiver approves before the session
        seen[day] = plan_of(store, routine, day)
        plan = today_plan(routine, store, day)
        store.log_changes(day, plan.changes)
        if day == d(10, 22):
            session(store, plan, at(day, 10), effort={B: 6})
        elif day == d(10, 24):  # 23:30 BST; wrist bend after 01:00 GMT on the 25th
            session(store, plan, at(day, 23, 30), pause_before=(B, 2.5))
        elif day == d(10, 26):
            session(store, plan, at(day, 10), stop_in=B)
        elif d(10, 27) <= day <= d(11, 2):
            pass  # a week off
        elif day == d(11, 4):
            session(store, plan, at(day, 9), stop_in=S, stop_reason="pain", pain={S: 4})
            again = today_plan(routine, store, day)
            assert again.items == plan.items and again.changes == ()
            session(store, again, at(day, 16))
        elif day == d(11, 7):
            session(store, plan, at(day, 10), unrated=(B,))
        elif day != d(11, 9):
            session(store, plan, at(day, 10))
        store.close()
        day += dt.timedelta(days=1)
    for when, expected in EXPECTED.items():
        assert seen[when] == expected, when

    conn = HistoryStore.open(path).connection
    night = [s for s in queries.sessions(conn) if s.day == d(10, 24)]
    assert [(s.started_at, s.ended_at, s.how) for s in night] == [
        ("2026-10-24T23:30:00+01:00", "2026-10-25T01:07:00+00:00", "completed")
    ]
    assert len(queries.sessions(conn, d(10, 25), d(10, 25))) == 1
    assert [s.how for s in queries.sessions(conn, d(11, 4), d(11, 4))] == ["pain", "completed"]
    assert [(c.day, c.rule) for c in queries.changes(conn, d(11, 5), d(11, 5))] == [
        (d(11, 5), "down_pain"),
        (d(11, 5), "hold_pain"),
    ]
    book = daybook.build(conn, d(10, 19), d(11, 9))
    assert book.missed == tuple(d(10, 27) + dt.timedelta(days=n) for n in range(7))
    assert (book.current_streak, book.longest_streak) == (6, 8)
    assert [e.ended_next_day for e in book.days[5].sessions] == [True]


def test_the_plan_does_not_depend_on_the_clock_change_or_the_order_days_are_asked(
    tmp_path: Path,
) -> None:
    """Asking for a later day first, or twice, gives the same plans (pure replay)."""
    routine = from_text(ROUTINE)
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    for n in range(6):
        day = d(10, 22) + dt.timedelta(days=n)
        session(store, today_plan(routine, store, day), at(day, 0, 30))
    later_first = [today_plan(routine, store, d(10, 28) - dt.timedelta(days=n)) for n in range(7)]
    again = [today_plan(routine, store, d(10, 28) - dt.timedelta(days=n)) for n in range(7)]
    assert later_first == again
    assert [c.rule for c in later_first[0].changes] == ["up_easy", "approval_needed"]
    assert later_first[0].items[0].reps == 20
    assert Change(S, "approval_needed", 20, 10, "approval_needed") in later_first[0].changes


def test_a_back_filled_paper_log_counts_for_its_own_day(tmp_path: Path) -> None:
    """A caregiver copies a missed day's paper log a week later: it fills the gap, not today."""
    routine = from_text(ROUTINE)
    store = HistoryStore.open(tmp_path / "h.sqlite3")
    for day in (d(3, 2), d(3, 3), d(3, 7)):
        session(store, today_plan(routine, store, day), at(day, 10))
    gap = today_plan(routine, store, d(3, 7))
    assert [c.rule for c in gap.changes] == []  # already done that day
    assert [c.rule for c in today_plan(routine, store, d(3, 8)).changes] == []
    before = {day: today_plan(routine, store, day) for day in (d(3, 7), d(3, 8))}
    for day in (d(3, 4), d(3, 5)):  # written on 14 March, for 4 and 5 March
        plan = today_plan(routine, store, day)
        assert plan.changes == (
            Change(P, "up", 16, 18, "up_easy"),
            Change(B, "up", 10, 12, "up_easy"),
        ) or day == d(3, 5)
        session(store, plan, at(d(3, 14), 19))
    rows = queries.sessions(store.connection)
    assert [r.day for r in rows] == [d(3, 2), d(3, 3), d(3, 7), d(3, 4), d(3, 5)]
    assert all(r.started_at.startswith("2026-03-14T") for r in rows[3:])
    after = {day: today_plan(routine, store, day) for day in (d(3, 7), d(3, 8))}
    assert before[d(3, 7)].items[0].reps == 14  # without the log: 18, restarted after 3 days off
    assert after[d(3, 7)].items[0].reps == 20  # with it: 4 easy days in a row, two steps up
    assert before[d(3, 8)] != after[d(3, 8)]
