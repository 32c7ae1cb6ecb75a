"""The reason a dose goes up names the days progression needed: with days_needed = 1 the
session said "the last few days were easy" (found in a user trial); now "last time was easy",
and with several days their number."""

from __future__ import annotations

import dataclasses

import pytest

from companion import commands, prompts
from companion.plan import Change
from companion.progression import describe
from companion.session.engine import Session
from tests.session_driver import Driver, make_plan, make_routine

WORDS = prompts.load("en")
UP = Change("palm_turn", "up", 3, 5, "up_easy")


def spoken_plan(days_needed: int) -> list[str]:
    r = make_routine()
    r = dataclasses.replace(
        r, progression=dataclasses.replace(r.progression, days_needed=days_needed)
    )
    plan = dataclasses.replace(make_plan(), changes=(UP,))
    d = Driver()
    d.session = Session(r, plan, WORDS, commands.vocabulary("en"))
    return d.begin().said()


def test_one_easy_day_is_said_as_last_time() -> None:
    said = spoken_plan(1)
    line = "Palm up and down goes up to 5 today: last time was easy."
    assert line in said, said
    assert not any("few days" in s or "days you practised" in s for s in said)
    assert describe(UP, WORDS, 1) == line  # the plan and the report say the same


@pytest.mark.parametrize("days", [2, 3, 7])
def test_several_easy_days_are_counted(days: int) -> None:
    line = f"Palm up and down goes up to 5 today: the last {days} days you practised were easy."
    assert line in spoken_plan(days)
    assert describe(UP, WORDS, days) == line
