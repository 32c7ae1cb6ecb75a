"""The pure progression rules, on hand-made history summaries (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from companion import library, prompts
from companion.history.summary import DaySummary, ExerciseDay, HistorySummary
from companion.plan import Change
from companion.progression import describe, explain, plan_for
from companion.routine import Routine, from_text

D0 = dt.date(2026, 3, 2)


def routine(extra: str = "", reps: int = 10, approval: bool = False) -> Routine:
    return from_text(f"""
[[exercise]]
id = "palm_turn"
reps = {reps}
[[exercise]]
id = "wrist_bend"
reps = 10
[progression]
days_needed = 2
max_pain = 2
max_effort = 4
rep_step = 2
gap_days = 3
caregiver_approval = {str(approval).lower()}
{extra}
""")


def ex(
    exercise_id: str,
    planned: int = 10,
    met: bool = True,
    short: bool = False,
    pain: int | None = 0,
    effort: int | None = 2,
    pain_stop: bool = False,
) -> ExerciseDay:
    return ExerciseDay(
        exercise_id, planned, met and not short, met and short, pain, effort, pain_stop
    )


def day(n: int, *exercises: ExerciseDay, hows: tuple[str, ...] = ("completed",)) -> DaySummary:
    pains = [e.max_pain for e in exercises if e.max_pain is not None]
    return DaySummary(
        D0 + dt.timedelta(days=n),
        len(hows),
        hows,
        exercises,
        max(pains) if pains else None,
        any(e.pain_stop for e in exercises),
    )


def easy(n: int, palm: int = 10, bend: int = 10) -> DaySummary:
    return day(n, ex("palm_turn", palm), ex("wrist_bend", bend))


def doses(
    r: Routine, days: list[DaySummary], n: int, approvals: tuple[tuple[dt.date, str], ...] = ()
) -> dict[str, int]:
    plan = plan_for(r, HistorySummary(tuple(days), approvals), D0 + dt.timedelta(days=n))
    return {i.exercise_id: i.reps for i in plan.items}


def changes(
    r: Routine, days: list[DaySummary], n: int, approvals: tuple[tuple[dt.date, str], ...] = ()
) -> list[Change]:
    return list(
        plan_for(r, HistorySummary(tuple(days), approvals), D0 + dt.timedelta(days=n)).changes
    )


def test_no_history_gives_the_routine_unchanged() -> None:
    r = routine()
    plan = plan_for(r, HistorySummary(), D0)
    assert [(i.exercise_id, i.sets, i.reps) for i in plan.items] == [
        (e.id, e.sets, e.reps) for e in r.exercises
    ]
    assert plan.changes == ()


def test_enough_easy_days_add_one_step_then_count_again() -> None:
    r = routine()
    assert doses(r, [easy(0)], 1) == {"palm_turn": 10, "wrist_bend": 10}
    assert changes(r, [easy(0)], 1) == []
    assert doses(r, [easy(0), easy(1)], 2) == {"palm_turn": 12, "wrist_bend": 12}
    assert changes(r, [easy(0), easy(1)], 2) == [
        Change("palm_turn", "up", 10, 12, "up_easy"),
        Change("wrist_bend", "up", 10, 12, "up_easy"),
    ]
    assert doses(r, [easy(0), easy(1), easy(2, 12, 12)], 3) == {"palm_turn": 12, "wrist_bend": 12}


def test_pain_at_the_threshold_still_counts_as_easy_but_above_it_steps_back() -> None:
    r = routine()
    at_limit = day(1, ex("palm_turn", pain=2), ex("wrist_bend"))
    assert doses(r, [easy(0), at_limit], 2) == {"palm_turn": 12, "wrist_bend": 12}
    over = day(1, ex("palm_turn", pain=3), ex("wrist_bend"))
    assert doses(r, [easy(0), over], 2) == {"palm_turn": 8, "wrist_bend": 10}
    assert changes(r, [easy(0), over], 2) == [
        Change("palm_turn", "down", 10, 8, "down_pain"),
        Change("wrist_bend", "hold", 10, 10, "hold_pain"),
    ]


def test_a_pain_stop_steps_back_even_without_a_rating() -> None:
    r = routine()
    stopped = day(
        0,
        ex("palm_turn", met=False, pain=None, effort=None, pain_stop=True),
        ex("wrist_bend", met=False, pain=None, effort=None),
        hows=("pain",),
    )
    assert changes(r, [stopped], 1) == [
        Change("palm_turn", "down", 10, 8, "down_pain"),
        Change("wrist_bend", "hold", 10, 10, "hold_short"),
    ]


def test_high_effort_steps_back_down_to_half_the_start_then_holds() -> None:
    r = routine()
    hard = [day(n, ex("palm_turn", effort=6), ex("wrist_bend")) for n in range(4)]
    assert [doses(r, hard[:n], n)["palm_turn"] for n in range(5)] == [10, 8, 6, 5, 5]
    assert changes(r, hard, 4)[0] == Change("palm_turn", "hold", 5, 5, "hold_effort")


def test_missed_cut_short_and_unrated_days_hold_and_reset_the_count() -> None:
    r = routine()
    missed = day(1, ex("palm_turn", met=False), ex("wrist_bend"))
    short = day(1, ex("palm_turn", short=True), ex("wrist_bend", short=True), hows=("stopped",))
    unrated = day(1, ex("palm_turn", pain=None), ex("wrist_bend", effort=None))
    assert changes(r, [easy(0), missed], 2) == [
        Change("palm_turn", "hold", 10, 10, "hold_missed"),
        Change("wrist_bend", "up", 10, 12, "up_easy"),
    ]
    assert doses(r, [easy(0), short], 2) == {"palm_turn": 10, "wrist_bend": 10}
    assert {c.rule for c in changes(r, [easy(0), short], 2)} == {"hold_short"}
    assert {c.rule for c in changes(r, [easy(0), unrated], 2)} == {"hold_unrated"}
    assert doses(r, [easy(0), missed, easy(2), easy(3, 10, 12)], 4)["palm_turn"] == 12


def test_a_repeat_that_completes_the_day_counts_but_pain_in_either_holds() -> None:
    r = routine()
    both = day(1, ex("palm_turn"), ex("wrist_bend"), hows=("stopped", "completed"))
    assert doses(r, [easy(0), both], 2) == {"palm_turn": 12, "wrist_bend": 12}


def test_a_long_gap_restarts_gently_and_a_short_one_does_not() -> None:
    r = routine()
    days = [easy(0), easy(1)]  # -> 12 each from day 2
    assert doses(r, days, 4) == {"palm_turn": 12, "wrist_bend": 12}  # days 2 and 3 missed
    assert changes(r, days, 4) == changes(r, days, 2)  # still told what changed last time
    assert doses(r, days, 5) == {"palm_turn": 8, "wrist_bend": 8}  # 3 missed days
    assert changes(r, days, 5) == [Change("", "restart", 3, 0, "restart_gap")]
    assert doses(r, days + [easy(9, 8, 8)], 10) == {"palm_turn": 8, "wrist_bend": 8}


def test_at_the_ceiling_the_next_exercise_replaces_the_mastered_one() -> None:
    r = routine(reps=20)
    ceiling = library.get("palm_turn").max_reps
    assert ceiling == 20
    days = [easy(0, 20), easy(1, 20)]
    assert doses(r, days, 1) == {"palm_turn": 20, "wrist_bend": 10}
    plan = plan_for(r, HistorySummary(tuple(days)), D0 + dt.timedelta(days=2))
    nxt = library.get("wrist_slide")
    assert [(i.exercise_id, i.reps, i.seconds_per_rep) for i in plan.items] == [
        ("wrist_slide", nxt.default_reps, nxt.seconds_per_rep),
        ("wrist_bend", 12, 4.0),
    ]
    assert Change("wrist_slide", "unlock", 20, 10, "unlock") in plan.changes


def test_with_approval_the_new_exercise_waits_and_is_announced_until_approved() -> None:
    r = routine(reps=20, approval=True)
    days = [easy(0, 20), easy(1, 20), easy(2, 20, 12)]
    for n in (2, 3):
        assert "wrist_slide" not in doses(r, days[:n], n)
        assert Change("wrist_slide", "approval_needed", 20, 10, "approval_needed") in changes(
            r, days[:n], n
        )
    assert explain(r, HistorySummary(tuple(days)), D0 + dt.timedelta(days=3)).waiting == (
        "wrist_slide",
    )
    approved = ((D0 + dt.timedelta(days=3), "wrist_slide"),)
    assert "wrist_slide" not in doses(r, days[:2], 2, approved)  # not before the approval day
    assert doses(r, days, 3, approved) == {"wrist_slide": 10, "wrist_bend": 12}


def test_a_long_gap_cancels_a_waiting_unlock() -> None:
    r = routine(reps=20, approval=True)
    days = [easy(0, 20), easy(1, 20)]
    assert explain(r, HistorySummary(tuple(days)), D0 + dt.timedelta(days=4)).waiting == (
        "wrist_slide",
    )
    e = explain(r, HistorySummary(tuple(days)), D0 + dt.timedelta(days=5))
    assert e.waiting == () and [c.kind for c in e.plan.changes] == ["restart"]
    assert {i.exercise_id: i.reps for i in e.plan.items} == {"palm_turn": 16, "wrist_bend": 8}


def test_a_bad_day_cancels_a_waiting_unlock() -> None:
    r = routine(reps=20, approval=True)
    days = [easy(0, 20), easy(1, 20), day(2, ex("palm_turn", 20, pain=5), ex("wrist_bend", 12))]
    e = explain(r, HistorySummary(tuple(days)), D0 + dt.timedelta(days=3))
    assert e.waiting == ()
    assert [c.kind for c in e.plan.changes] == ["down", "hold"]


def test_describe_fills_every_placeholder_in_one_sentence() -> None:
    words = prompts.load("en")
    for rule in words.tables["progression"]:
        kind = "restart" if rule.startswith("restart") else "up"
        text = describe(Change("wrist_curl", kind, 10, 12, rule), words, 3)
        assert "{" not in text and text[0].isupper()
    up = describe(Change("wrist_curl", "up", 10, 12, "up_easy"), words, 3)
    assert words.exercise("wrist_curl").name in up and "12" in up
    assert "7" in describe(Change("", "restart", 7, 0, "restart_gap"), words, 3)


outcomes = st.fixed_dictionaries(
    {
        "met": st.booleans(),
        "short": st.booleans(),
        "pain": st.none() | st.integers(0, 10),
        "effort": st.none() | st.integers(0, 10),
        "pain_stop": st.booleans(),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 5), outcomes, outcomes), min_size=1, max_size=25),
    st.booleans(),
)
def test_nothing_ever_advances_after_pain_or_a_cut_short_day(
    steps: list[tuple[int, dict[str, object], dict[str, object]]], approval: bool
) -> None:
    r = routine(reps=18, approval=approval)
    days: list[DaySummary] = []
    n = 0
    for gap, a, b in steps:
        cut = bool(a["short"]) or bool(b["short"])
        hows = ("stopped",) if cut else ("completed",)
        if cut:  # in a session cut short, nothing was met in a completed session
            a, b = {**a, "short": True}, {**b, "short": True}
        days.append(day(n, ex("palm_turn", **a), ex("wrist_bend", **b), hows=hows))  # type: ignore[arg-type]
        n += gap
    approvals = ((D0, "wrist_slide"), (D0, "bottle_grasp"))
    for k, facts in enumerate(days):
        before = plan_for(r, HistorySummary(tuple(days[:k]), approvals), facts.day)
        after = plan_for(
            r, HistorySummary(tuple(days[: k + 1]), approvals), facts.day + dt.timedelta(days=1)
        )
        old = {i.exercise_id: i.reps for i in before.items}
        new = {i.exercise_id: i.reps for i in after.items}
        for i in after.items:
            e = library.get(i.exercise_id)
            assert 1 <= i.reps <= max(e.max_reps, 18)
        pain = (
            facts.max_pain is not None
            and facts.max_pain > 2
            or any(e.pain_stop for e in facts.exercises)
        )
        if pain or facts.hows != ("completed",):
            assert set(new) == set(old), "no exercise may unlock"
            assert all(new[x] <= old[x] for x in new), "no dose may go up"
            assert not any(c.kind in ("up", "unlock") for c in after.changes)


def test_a_skipped_day_neither_counts_nor_holds_nor_hides_a_gap() -> None:
    r = routine()
    skipped = day(
        1,
        ex("palm_turn", met=False, pain=None, effort=None),
        ex("wrist_bend", met=False, pain=None, effort=None),
        hows=("skipped",),
    )
    # Two easy practice days around a skipped one still make two easy days in a row.
    assert doses(r, [easy(0), skipped, easy(2)], 3) == {"palm_turn": 12, "wrist_bend": 12}
    # Nothing done for four days (one of them "skipped") is a gap: restart gently.
    late = dataclasses.replace(skipped, day=D0 + dt.timedelta(days=4))
    assert changes(r, [easy(0), late], 5) == [Change("", "restart", 4, 0, "restart_gap")]
    plan = plan_for(r, HistorySummary((easy(0), late)), D0 + dt.timedelta(days=5))
    assert plan.practice_days == 1
