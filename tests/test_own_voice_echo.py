"""Over its own voice with the echo cancelled (issue 18): how far the own-voice rule relaxes.

Pure-logic table tests of ``own_voice.word_over_own_voice`` with fixed opinions; the live
counterpart is tests/test_live_stop.py."""

from __future__ import annotations

import dataclasses

import pytest

from companion.classifier.combine_opinions import Verdict
from companion.listen import own_voice
from companion.listen.settings import ListenerSettings
from tests.test_listen_decide import Opinions, S, live

CANCELLED = dataclasses.replace(S, echo_cancelled=True)


@pytest.mark.parametrize(
    ("settings", "classifier", "found"),
    [
        (CANCELLED, {"stop": 0.97}, Verdict("stop", 0.97)),  # the reader heard it damaged
        (CANCELLED, {"stop": 0.95}, Verdict("stop", 0.95)),
        (CANCELLED, {"stop": 0.9}, None),  # not surely enough: its residual reached 0.86
        (S, {"stop": 0.9}, None),  # its voice still in the microphone: the reader decides
        (CANCELLED, {"go": 0.95}, None),  # not a word heard over its voice
    ],
)
def test_stop_over_its_cancelled_voice_needs_the_classifier_only(
    settings: ListenerSettings, classifier: dict[str, float], found: Verdict | None
) -> None:
    lv = live("counting")
    opinions = Opinions(classifier, whole={}, asked={})  # the reader gives it nothing
    candidates = own_voice.candidates(lv.table, "three palm up")
    assert own_voice.word_over_own_voice(lv, candidates, opinions, settings) == found


def test_it_hurts_still_needs_the_reader() -> None:
    lv = live("counting")
    hurts = next(p for p, parsed in lv.table.items() if parsed.command.name == "HURTS")
    opinions = Opinions({hurts: 0.99}, whole={}, asked={})
    candidates = own_voice.candidates(lv.table, "three palm up")
    assert own_voice.word_over_own_voice(lv, candidates, opinions, CANCELLED) is None
