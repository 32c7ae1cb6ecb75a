"""Defects found by trying the safety paths as a user and caregiver would (keys, switch,
scripts): each test failed before its fix."""

from __future__ import annotations

from companion import records
from companion.session.state import Stage
from tests.session_driver import Driver, make_plan

DIZZY = "Do you feel dizzy in a new way today?"
HOW_BAD = "How bad is the pain? Say a number from 0 to 10."


def test_it_hurts_again_at_the_pain_level_question_asks_it_once_at_the_safety_check() -> None:
    """ "It hurts" said again while "How bad is the pain?" is asked (the user repeats
    themselves): the level is asked once more, one answer is kept, then the safety question."""
    d = Driver(safety=True).begin().script("no", "it hurts", "it hurts", "3")
    assert [(r.kind, r.value) for r in d.records(records.Rating)] == [("pain", 3)]
    assert [a.answer for a in d.records(records.SafetyAnswer) if a.question == "pain_now"] == ["3"]
    assert len(d.records(records.Stopped)) == 1
    assert d.stage is Stage.SAFETY and d.said()[-1] == DIZZY


def test_it_hurts_again_at_the_pain_level_question_during_a_set_records_one_stop() -> None:
    d = Driver(make_plan(("palm_turn", 2, 4), ("wrist_bend", 1, 3))).begin()
    d.script("start")
    d.advance(4.5)
    d.script("it hurts", "it hurts")
    assert d.stage is Stage.HURT_LEVEL and d.said()[-1] == HOW_BAD
    d.script("3")
    assert [(s.exercise_id, s.reason) for s in d.records(records.Stopped)] == [
        ("palm_turn", "pain")
    ]
    assert d.stage is Stage.OFFER_SKIP


def test_it_hurts_at_stop_for_today_never_brings_back_the_exercise_left_for_today() -> None:
    """Severe pain left the exercise for today; "it hurts" at "Shall we stop for today?" with a
    milder level once offered to skip it and, on "no", started it again at half the dose."""
    d = Driver(make_plan(("palm_turn", 2, 4), ("wrist_bend", 1, 3))).begin()
    d.script("start")
    d.advance(4.5)
    d.script("it hurts", "8")
    assert d.said()[-2:] == [
        "We will leave Palm up and down for today.",
        "Shall we stop for today? Say yes or no.",
    ]
    d.script("it hurts", "3")
    assert [(r.kind, r.value) for r in d.records(records.Rating)] == [("pain", 8), ("pain", 3)]
    assert d.stage is Stage.OFFER_END_PAIN
    assert d.said()[-1] == "Shall we stop for today? Say yes or no."
    d.script("no")
    assert d.said()[-1].startswith("Set 1 of 1")
    assert any(s.startswith("Exercise 2 of 2: Wrist bend") for s in d.said()[-8:])
    assert all(e.exercise_id != "palm_turn" for e in d.records(records.SetDone)[1:])
