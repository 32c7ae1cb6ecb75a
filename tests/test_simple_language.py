"""Simpler language (routine ``speech.simple``) reaches the exercises too (issue 20): each
exercise's steps have a simple version in prompts/en/simple.toml, one short sentence per step,
said in place of the usual steps when the setting is on."""

from __future__ import annotations

import dataclasses
import re

import pytest

from companion import library, prompts
from companion.plan import Plan, PlannedExercise
from companion.prompts import placeholders
from tests.session_driver import T0, Driver

IDIOMS = ("own pace", "take your time", "as far as", "in turn", "slow and steady")
"""Figures of speech the usual wording used, which the simple wording must not."""
MAX_WORDS = 8


def sentences(line: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.?!])\s+", line.strip()) if s]


def simple_exercises() -> dict[str, dict[str, object]]:
    table = prompts.load("en").tables["simple"]
    exercises = table.get("exercises", {})
    assert isinstance(exercises, dict)
    return exercises


@pytest.mark.parametrize("exercise_id", [e.id for e in library.LIBRARY])
def test_every_exercise_has_simple_steps_one_short_idea_each(exercise_id: str) -> None:
    usual = prompts.load("en").tables["exercises"][exercise_id]
    simple = simple_exercises().get(exercise_id)
    assert simple is not None, f"no simple wording for {exercise_id}"
    steps = simple["steps"]
    assert isinstance(steps, list) and steps
    assert steps != usual["steps"]
    lines = [*steps, simple.get("safety", usual["safety"])]
    lines += [simple.get(key, "") for key in ("reset", "next_round")]
    for step in steps:
        assert len(sentences(step)) == 1, step  # one sentence per step
        assert ", then" not in step.lower() and " and then " not in step.lower(), step
    allowed = set().union(*(placeholders(s) for s in usual["steps"]))
    for line in lines:
        assert isinstance(line, str)
        assert placeholders(line) <= allowed, line
        assert not any(idiom in line.lower() for idiom in IDIOMS), line
        for sentence in sentences(line):
            assert len(sentence.split()) <= MAX_WORDS, sentence


@pytest.mark.parametrize("simple", [True, False])
def test_the_session_says_the_simple_steps_only_when_the_routine_asks(simple: bool) -> None:
    plan = Plan(day=T0.date(), items=(PlannedExercise("wrist_bend", 1, 2, 4.0, 30),))
    d = Driver(plan)
    r = d.session.routine
    d.session = type(d.session)(
        dataclasses.replace(r, speech=dataclasses.replace(r.speech, simple=simple)),
        plan,
        prompts.load("en"),
        d.session.talk.vocab,
    )
    said = d.begin().said()
    simple_steps = [
        "Rest your elbow on the table.",
        "Lift your left hand up.",
        "Press its palm with your right hand.",
        "Do not press the fingers.",
        "Bend the wrist back, gently.",
        "Then bend it forward.",
    ]
    usual_first = "Rest your elbow on the table. Raise your left hand."
    if simple:
        at = said.index(simple_steps[0])
        assert said[at : at + len(simple_steps)] == simple_steps
        assert "Go slowly. Stop before it hurts." in said
        assert usual_first not in said
    else:
        assert usual_first in said and "Lift your left hand up." not in said
