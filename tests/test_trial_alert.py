"""The "call your emergency number now" alert as a person in danger meets it: a stop (q, Esc,
the switch held, the page's Stop, the word) silences it but never takes the number away; only
"finish" (e) closes it. Before, every stop closed it: the number went from the page and the
terminal, and its own line "Stop exercising now." heard back could close it too."""

from __future__ import annotations

import pytest

from companion import records
from companion.commands import Command
from companion.events import End, Heard, Listen, StopSpeech
from companion.session.state import Stage
from tests.session_driver import Driver

C = Command
CALL = "Call 999 now."


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("key", "q"),
        ("key", "esc"),
        ("switch", "long press"),
        ("screen", "stop"),
        ("voice", "stop"),
    ],
)
def test_a_stop_at_the_call_now_alert_silences_it_and_keeps_it_open(source: str, text: str) -> None:
    d = Driver(safety=True, emergency_number="999").begin().script("yes")
    assert d.stage is Stage.ALERT and CALL in d.said()
    effects = d.send(Heard(C.STOP, source=source, text=text))
    assert isinstance(effects[0], StopSpeech)  # quiet at once
    assert not any(isinstance(e, End) for e in effects), "the alert was closed by a stop"
    assert d.stage is Stage.ALERT
    assert [e.context for e in effects if isinstance(e, Listen)] == ["alert"]
    assert d.said(effects) == []  # nothing new is said after a stop
    assert d.said(d.advance(60 * 10)) == [], "said again by itself after the user silenced it"
    assert d.said(d.say(C.REPEAT)).count(CALL) == 1  # still there on request
    d.script("finish")
    assert d.stage is Stage.DONE and isinstance(d.effects[-1], End)
    assert [r.how for r in d.records(records.SessionEnded)] == ["safety_check"]
