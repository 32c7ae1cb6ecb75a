"""A single-switch user is told what the switch does, not keys or words it cannot give: the
"call now" alert said "say repeat, or press r ... press e" and the start said "You can say
help at any time" in switch mode too (found in a user trial)."""

from __future__ import annotations

import dataclasses
import os
import pty
import subprocess
from pathlib import Path

import pytest

from companion import commands, prompts
from companion.session.engine import Session
from companion.session.state import Stage
from tests.session_driver import Driver, make_plan, make_routine
from tests.test_every_way_in import REPO, command, setup
from tests.test_keyboard import Screen

WORDS = prompts.load("en")


def switch_driver(switch: bool) -> Driver:
    d = Driver(safety=True, emergency_number="999")
    r = make_routine(safety=True)
    r = dataclasses.replace(
        r,
        safety=dataclasses.replace(r.safety, emergency_number="999"),
        input=dataclasses.replace(r.input, switch=switch),
    )
    d.session = Session(r, make_plan(), WORDS, commands.vocabulary("en"))
    return d.begin()


@pytest.mark.parametrize("answers", [("yes",), ("no", "no", "no", "emergency")])
def test_the_call_now_alert_names_what_the_switch_does(answers: tuple[str, ...]) -> None:
    d = switch_driver(switch=True)
    d.script(*answers)
    assert d.stage is Stage.ALERT
    said = " ".join(d.said())
    assert "press r" not in said and "press e" not in said and "say repeat" not in said
    assert WORDS.text("safety.alert_options_switch") in d.said()
    # the choices it names are the ones the switch is offered at the alert
    assert WORDS.text("scan.offer.repeat").rstrip("?") in said
    assert WORDS.text("scan.offer.end").rstrip("?") in said


def test_a_switch_user_is_not_told_to_say_help() -> None:
    d = switch_driver(switch=True)
    d.script("no", "no", "no")
    assert d.stage is Stage.READY
    assert WORDS.text("session.help_at_any_time") not in d.said()
    assert WORDS.text("session.switch_at_any_time") in d.said()


def test_keyboard_and_voice_users_keep_their_wording() -> None:
    d = switch_driver(switch=False)
    d.script("no", "no", "no")
    assert WORDS.text("session.help_at_any_time") in d.said()
    d.script("emergency")
    assert WORDS.text("safety.alert_options") in d.said()


@pytest.mark.timeout(300)
def test_a_switch_user_at_the_alert_through_a_real_terminal(tmp_path: Path) -> None:
    """`companion session --switch` on a pseudo-terminal: "yes" to chest pain by scanning; the
    alert names the switch's choices, and pressing at "End the session?" closes it."""
    setup(tmp_path, scan=1.5)
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        command(tmp_path, "--switch", "--time-scale", "10"),
        stdin=follower, stdout=follower, stderr=follower, cwd=REPO, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    term = Screen(leader)
    try:
        term.until("Do you have any chest pain", timeout=60)
        term.until("Yes?", timeout=60)
        os.write(leader, b" ")
        alert = term.until("press the switch at: Hear it again", timeout=60)
        alert += term.until("End the session?", timeout=60)
        os.write(leader, b" ")
        term.until("[session ended: safety_check]", timeout=60)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert "Chest pain can be serious." in alert
    assert "press r" not in alert and "press e" not in alert
