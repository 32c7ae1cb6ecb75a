"""Table tests of the listener's decisions (``decide``, ``own_voice``, ``confirm``): each a
pure function of its arguments; the opinions are fixed mappings (pure-logic unit tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from companion.classifier.combine_opinions import Verdict
from companion.commands import CONTEXTS, Command, Parsed, vocabulary
from companion.listen import confirm, decide, own_voice
from companion.listen.live import Live, live_for
from companion.listen.settings import ListenerSettings

S = ListenerSettings()


def live(context: str) -> Live:
    return live_for(context, CONTEXTS[context], vocabulary(), S.quick_stop_contexts)


@dataclass
class Opinions:
    """Fixed opinions; records what the reader was asked."""

    classifier: Mapping[str, float] | None = None
    whole: Mapping[str, float] | None = None
    """The reader's reading of the whole utterance (None: no reader)."""
    asked: Mapping[str, float] = field(default_factory=dict)
    """What the reader gives any phrase it is asked about alone."""
    audio: bool = True
    calls: list[str] = field(default_factory=list)

    @property
    def has_classifier(self) -> bool:
        return self.classifier is not None

    @property
    def has_reader(self) -> bool:
        return self.whole is not None

    @property
    def has_audio(self) -> bool:
        return self.audio

    def probabilities(self) -> Mapping[str, float]:
        assert self.classifier is not None
        return self.classifier

    def reading(self) -> Mapping[str, float]:
        assert self.whole is not None
        self.calls.append("reading")
        return self.whole

    def read(self, asked: Mapping[str, list[str]]) -> Mapping[str, float]:
        self.calls.append("read " + ",".join(sorted(asked)))
        return {p: self.asked.get(p, 0.0) for p in asked}

    def read_from(self, asked: Mapping[str, list[str]], start_s: float) -> Mapping[str, float]:
        self.calls.append(f"read from {start_s:g} " + ",".join(sorted(asked)))
        return {p: self.asked.get(p, 0.0) for p in asked}


TABLE = {
    "go": Parsed(Command.START),
    "go back": Parsed(Command.BACK),
    "stop": Parsed(Command.STOP),
    "pause": Parsed(Command.PAUSE),
}


@pytest.mark.parametrize(
    ("words", "silence_s", "settled"),
    [
        ("pause", 0.49, False),
        ("pause", 0.5, True),  # settle_s
        ("go", 0.5, False),  # "go back" starts with it: prefix_settle_s
        ("go", 0.7, True),
        ("stop", 0.06, True),  # safety_settle_s
        ("stop", 0.03, False),
        ("hello", 5.0, False),  # not live
        ("", 5.0, False),
    ],
)
def test_settled_on(words: str, silence_s: float, settled: bool) -> None:
    assert decide.settled_on(words, TABLE, silence_s, S) is settled


@pytest.mark.parametrize(
    ("silence_s", "yes"), [(0.05, False), (0.1, True), (0.12, True), (0.13, False)]
)
def test_at_pause_is_one_frame(silence_s: float, yes: bool) -> None:
    assert decide.at_pause(silence_s, 0.1, 0.03) is yes


@pytest.mark.parametrize(
    ("context", "command", "floor"),
    [
        ("ready", Command.STOP, S.safety_min_confidence),
        ("number", Command.NUMBER, S.confirm_min_confidence),
        ("number", Command.HURTS, S.safety_min_confidence),
        ("ready", Command.START, S.min_confidence),
        ("ready", None, S.min_confidence),
        ("number", None, S.confirm_min_confidence),
    ],
)
def test_min_confidence(context: str, command: Command | None, floor: float) -> None:
    parsed = None if command is None else Parsed(command)
    assert confirm.min_confidence(parsed, context, S) == floor


@pytest.mark.parametrize(
    ("command", "doubt", "confidence", "unsure"),
    [
        (Command.START, False, 0.9, False),
        (Command.START, False, 0.79, True),  # below unsure_below
        (Command.START, True, 1.0, True),  # an opinion doubted it
        (Command.STOP, True, 0.1, False),  # never for safety
        (Command.EMERGENCY, False, 0.1, False),
    ],
)
def test_is_unsure(command: Command, doubt: bool, confidence: float, unsure: bool) -> None:
    assert confirm.is_unsure(Parsed(command), doubt, confidence, S) is unsure


@pytest.mark.parametrize(
    ("heard", "spoken", "alike"),
    [
        ("stop", "and stop", True),
        ("stop", "stopped", True),
        ("stop", "step", True),
        ("it hurts", "it hurt", True),
        ("stop", "set rest two", False),
        ("it hurts", "it is a lovely day", False),  # "it" says nothing
    ],
)
def test_sounds_like(heard: str, spoken: str, alike: bool) -> None:
    assert own_voice.sounds_like(heard, spoken) is alike


@pytest.mark.parametrize(
    ("speaking", "start_s", "until_s", "active"),
    [(True, 5.0, -1.0, True), (False, 1.0, 1.5, True), (False, 2.0, 1.5, False)],
)
def test_own_voice_is_active(speaking: bool, start_s: float, until_s: float, active: bool) -> None:
    assert own_voice.is_active(speaking, start_s, until_s) is active


@pytest.mark.parametrize(
    ("speaking", "position_s", "silence_s", "ends"),
    [
        (True, 3.0, 0.5, False),  # still speaking
        (False, 1.4, 0.5, False),  # its tail (to 1.5) not over
        (False, 1.6, 0.05, False),  # no pause yet
        (False, 1.6, 0.1, True),
    ],
)
def test_ends_at_pause(speaking: bool, position_s: float, silence_s: float, ends: bool) -> None:
    assert own_voice.ends_at_pause(speaking, 1.0, 1.5, position_s, silence_s, 0.1) is ends


def test_check_due_every_step() -> None:
    assert [own_voice.check_due(n, 8000, 8000) for n in (8000, 15999, 16000)] == [
        False,
        False,
        True,
    ]


def test_candidates_leave_out_what_it_says() -> None:
    table = live("counting").table
    both = own_voice.candidates(table, "three")
    assert {table[p].command for p in both} == {Command.STOP, Command.HURTS}
    assert not any(table[p].command is Command.STOP for p in own_voice.candidates(table, "stop"))


@pytest.mark.parametrize(
    ("context", "classifier", "heard_before", "ends", "heard_after"),
    [
        ("ready", {"emergency": 0.9, "go": 0.1}, "", True, ""),  # a safety word ends it
        ("ready", {"go": 0.9, "stop": 0.1}, "", False, "go"),  # another settles it
        ("ready", {"go": 0.3, "other": 0.7}, "no", False, "no"),  # below early_p: kept
    ],
)
def test_hear_at_pause(
    context: str, classifier: dict[str, float], heard_before: str, ends: bool, heard_after: str
) -> None:
    found = decide.hear_at_pause(
        live(context), Opinions(classifier), heard_before, None, lambda: None, S
    )
    assert (found.ends, found.heard_at_pause, found.stop_read) == (ends, heard_after, None)


def test_reader_hears_stop_only_while_something_runs() -> None:
    opinions = Opinions({"other": 1.0}, whole={}, asked={"stop": 0.9})
    assert decide.reader_hears_stop(live("ready"), opinions, "", None, S) is None
    found = decide.reader_hears_stop(live("counting"), opinions, "", None, S)
    assert found == Verdict("stop", 0.9)
    assert opinions.calls == ["read " + ",".join(sorted(live("counting").forms_of(Command.STOP)))]
    # over its voice, never when it says anything like "stop"
    assert decide.reader_hears_stop(live("counting"), opinions, "", frozenset(), S) is None


@pytest.mark.parametrize(
    ("text", "confidence", "classifier", "expected"),
    [
        ("go", 0.9, None, Verdict("go", 0.9)),  # the recogniser alone
        ("go", 0.5, None, None),  # below min_confidence
        ("go", 0.7, None, Verdict("go", 0.7, unsure=True)),  # below unsure_below
        ("it hurts", 0.45, None, Verdict("it hurts", 0.45)),  # safety floor, never unsure
        ("hello", 0.9, None, None),  # not live
        ("go", 0.9, {"go": 0.8, "no": 0.2}, Verdict("go", 0.8)),  # both agree
        ("go", 0.5, {"no": 0.9, "go": 0.1}, None),  # the classifier is sure of "no": not live
    ],
)
def test_judge_turn(
    text: str, confidence: float, classifier: dict[str, float] | None, expected: Verdict | None
) -> None:
    got = decide.judge_turn(text, confidence, live("ready"), Opinions(classifier), None, S)
    assert got == expected


def test_judge_turn_takes_stop_read_at_a_pause() -> None:
    opinions = Opinions({"other": 1.0}, whole={})
    got = decide.judge_turn("", 0.0, live("counting"), opinions, Verdict("stop", 0.8), S)
    assert got == Verdict("stop", 0.8)


def test_reread_skipped_for_stop_while_counting() -> None:
    opinions = Opinions({"stop": 0.9}, whole={"stop": 0.0})
    verdict = Verdict("stop", 0.5)
    assert decide.reread_turn(verdict, 0.5, live("counting"), opinions, S) is verdict
    assert opinions.calls == []  # the reader is not asked


@pytest.mark.parametrize(
    ("classifier", "backs"),
    [(None, True), ({"go": 1.0}, True), ({"stop": 0.6}, True), ({"stop": 0.4, "x": 0.6}, False)],
)
def test_classifier_backs(classifier: dict[str, float] | None, backs: bool) -> None:
    assert decide.classifier_backs("stop", Opinions(classifier), S) is backs


@pytest.mark.parametrize(
    ("classifier", "reader", "asked", "found"),
    [
        ({"stop": 0.99}, False, {}, Verdict("stop", 0.99)),  # alone: own_voice_alone_p
        ({"stop": 0.9}, False, {}, None),
        ({"stop": 0.5}, True, {"stop": 0.2}, Verdict("stop", 0.5)),  # reader backs it
        ({"stop": 0.5}, True, {"stop": 0.05}, None),
        ({"go": 0.9}, True, {"stop": 1.0}, None),  # not a candidate
    ],
)
def test_word_over_own_voice(
    classifier: dict[str, float], reader: bool, asked: dict[str, float], found: Verdict | None
) -> None:
    lv = live("counting")
    opinions = Opinions(classifier, whole={} if reader else None, asked=asked)
    candidates = own_voice.candidates(lv.table, "three")
    assert own_voice.word_over_own_voice(lv, candidates, opinions, S) == found


@pytest.mark.parametrize(
    ("text", "confidence", "reader", "found"),
    [
        ("stop", 0.9, False, Verdict("stop", 0.9)),  # its open pass agrees
        ("stop", 0.5, False, None),  # below min_confidence
        ("it hurts", 0.9, False, Verdict("it hurts", 0.9)),
        ("it hurts", 0.9, True, None),  # with the reader, "it hurts" needs it
    ],
)
def test_judge_over_own_voice(
    text: str, confidence: float, reader: bool, found: Verdict | None
) -> None:
    lv = live("counting")
    opinions = Opinions({"other": 1.0}, whole={} if reader else None)
    candidates = own_voice.candidates(lv.table, "three")
    got = own_voice.judge_over_own_voice(
        text, confidence, lv, candidates, opinions, None, lambda: None, S
    )
    assert got == found
