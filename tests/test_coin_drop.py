"""The coin drop has eight coins (exercises.md): a dose above eight, which progression can give
(up to 16), is done in rounds of eight, with the cue to pick the coins up after each full round
(issue 20: the user was asked for more "done"s than there were coins)."""

from __future__ import annotations

from companion import library, prompts, records
from companion.commands import Command
from companion.events import Heard
from companion.session.state import Stage
from tests.session_driver import Driver, make_plan

WORDS = prompts.load("en")
NEXT_ROUND = WORDS.text("exercises.coin_drop.next_round")
RESET = WORDS.text("exercises.coin_drop.reset")


def done(d: Driver) -> list[str]:
    return d.said(d.send(Heard(Command.DONE, source="key", text=" ")))


def test_more_than_eight_coins_are_done_in_rounds_of_eight() -> None:
    assert library.get("coin_drop").per_round == 8
    assert library.get("coin_drop").max_reps > 8  # progression may go past one round
    d = Driver(make_plan(("coin_drop", 1, 12))).begin()
    d.say(Command.START)
    for n in range(1, 8):
        assert done(d) == [f"{n}."]
    assert done(d) == ["8.", NEXT_ROUND]  # all eight are down: pick them up, then go on
    assert d.stage is Stage.SELF_PACED
    for n in range(9, 12):
        assert done(d) == [f"{n}."]
    assert done(d) == ["12.", RESET]
    assert d.stage is Stage.SELF_PACED
    done(d)  # the coins are back in the hand
    assert d.stage is Stage.PAIN
    (kept,) = d.records(records.SetDone)
    assert (kept.exercise_id, kept.done, kept.completed) == ("coin_drop", 12, True)


def test_sixteen_coins_are_two_full_rounds_with_one_cue_between() -> None:
    d = Driver(make_plan(("coin_drop", 1, 16))).begin()
    d.say(Command.START)
    said = [line for _ in range(16) for line in done(d)]
    assert said.count(NEXT_ROUND) == 1 and said.index(NEXT_ROUND) == 8
    assert said[-1] == RESET


def test_eight_or_fewer_coins_have_no_round_cue() -> None:
    for reps in (3, 8):
        d = Driver(make_plan(("coin_drop", 1, reps))).begin()
        d.say(Command.START)
        said = [line for _ in range(reps) for line in done(d)]
        assert NEXT_ROUND not in said and said[-1] == RESET
