"""What the session says after a stop, a "repeat" while counting and a "pause" while paused
(found in a user trial: contradictory lines, an invitation to "say start" while counting, and
"Sorry, I did not understand" for a second pause)."""

from __future__ import annotations

from companion import prompts
from companion.commands import Command
from companion.session.state import Stage
from tests.session_driver import at_stage

C = Command
WORDS = prompts.load("en")
PAUSED = WORDS.text("session.paused")
CARRY_ON = WORDS.text("session.carry_on")


def test_no_to_ending_a_stopped_set_does_not_say_carry_on_then_paused() -> None:
    d = at_stage(Stage.CONFIRM_END)
    said = d.said(d.say(C.NO))
    assert d.stage is Stage.PAUSED
    assert said == [WORDS.text("session.not_ending"), PAUSED]
    assert CARRY_ON not in said


def test_no_to_ending_at_a_rest_still_carries_on() -> None:
    d = at_stage(Stage.REST)
    d.say(C.STOP)
    assert d.stage is Stage.CONFIRM_END
    assert d.said(d.say(C.NO)) == [CARRY_ON]
    assert d.stage is Stage.REST


def test_repeat_while_counting_says_the_steps_and_the_count_not_say_start() -> None:
    d = at_stage(Stage.COUNTING)
    said = d.said(d.say(C.REPEAT))
    assert d.stage is Stage.COUNTING
    assert not any("say start" in line for line in said), said
    assert said[:2] == [
        "Put your left hand flat on the table, palm down.",
        "Turn it palm up. Then palm down again.",
    ]
    assert said[-1] == WORDS.text("session.where_counting", done=1, left=2)


def test_repeat_while_a_timed_set_runs_says_the_seconds_left() -> None:
    d = at_stage(Stage.TIMED)
    d.advance(5)
    said = d.said(d.say(C.REPEAT))
    assert not any("say start" in line for line in said), said
    assert said[-1].endswith("seconds to go."), said


def test_repeat_when_ready_still_says_the_introduction_and_the_invitation() -> None:
    d = at_stage(Stage.READY)
    said = d.said(d.say(C.REPEAT))
    assert "say start" in said[-1]


def test_pause_while_paused_says_it_is_already_paused_and_how_to_go_on() -> None:
    d = at_stage(Stage.PAUSED)
    said = d.said(d.say(C.PAUSE))
    assert said == [WORDS.text("session.already_paused")]
    assert d.stage is Stage.PAUSED
    assert not any(line.startswith("Sorry") for line in said)
    d.say(C.RESUME)
    assert d.stage is Stage.COUNTING
