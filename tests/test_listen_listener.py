"""Listener logic with a scripted engine: endpointing, early safety decisions, own voice, unsure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from companion.classifier.combine_opinions import OpinionSettings
from companion.commands import CONTEXTS, Command, vocabulary
from companion.listen.listener import Listener, ListenerSettings
from companion.recognisers.base import Hypothesis

RATE = 16000


class ScriptedEngine:
    """Says ``text`` (as partial and final) for any utterance; records what it was fed."""

    name = "scripted"
    sample_rate = RATE

    def __init__(self, text: str, confidence: float = 1.0) -> None:
        self.text = text
        self.confidence = confidence
        self.starts: list[tuple[str, ...]] = []
        self.fed = 0

    def start(self, phrases: Sequence[str]) -> None:
        self.starts.append(tuple(phrases))
        self.fed = 0

    def feed(self, pcm16: bytes) -> Hypothesis | None:
        self.fed += len(pcm16)
        return Hypothesis(self.text) if self.fed > RATE // 5 else None

    def finish(self) -> Hypothesis:
        return Hypothesis(self.text, self.confidence)


def audio(*parts: tuple[float, bool]) -> bytes:
    """(seconds, loud) runs: loud is a -20 dBFS noise burst, quiet is digital near-silence."""
    rng = np.random.default_rng(0)
    out = []
    for seconds, loud in parts:
        n = round(seconds * RATE)
        amp = 3000 if loud else 3
        out.append((rng.standard_normal(n) * amp).astype("<i2"))
    return np.concatenate(out).tobytes()


def listener(
    text: str, context: str = "counting", confidence: float = 1.0, end_silence_s: float = 1.5
) -> tuple[Listener, ScriptedEngine]:
    engine = ScriptedEngine(text, confidence)
    lis = Listener(engine, vocabulary(), end_silence_s=end_silence_s)
    lis.set_context(context, CONTEXTS[context])
    return lis, engine


def test_silence_never_starts_the_engine() -> None:
    lis, engine = listener("stop")
    assert lis.process(audio((5.0, False))) == []
    assert lis.flush() == []
    assert engine.starts == []


def test_grammar_is_the_live_phrases() -> None:
    lis, engine = listener("stop")
    lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert set(engine.starts[0]) == set(vocabulary().phrases_for(CONTEXTS["counting"]))
    assert "start" not in engine.starts[0]


def test_stop_is_decided_soon_after_the_word_without_waiting_for_end_silence() -> None:
    lis, _ = listener("stop")
    decisions = lis.process(audio((0.5, False), (0.5, True), (2.5, False)))
    assert [d.command for d in decisions] == [Command.STOP]
    assert 1.0 < decisions[0].decided_at_s <= 1.0 + 0.3
    assert not decisions[0].unsure


def test_an_unfinished_phrase_waits_for_the_adjustable_end_silence() -> None:
    # "how" is no whole phrase: only the end silence ends it, and then it is rejected
    for end in (1.5, 2.5):
        lis, engine = listener("how", end_silence_s=end)
        lis.process(audio((0.5, False), (0.5, True), (end - 0.1, False)))
        assert lis.segmenter.in_speech
        lis.process(audio((0.2, False)))
        assert not lis.segmenter.in_speech
        assert lis.heard == "how"


def test_low_confidence_is_rejected_and_middle_confidence_is_unsure() -> None:
    lis, _ = listener("pause", confidence=0.2)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    assert lis.heard == "pause"
    lis, _ = listener("pause", confidence=0.6)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.PAUSE and d.unsure


def test_safety_command_is_never_unsure() -> None:
    lis, _ = listener("it hurts", confidence=0.6)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.HURTS and not d.unsure


def test_number_context_gives_the_value() -> None:
    lis, _ = listener("seven", context="number")
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (d.command, d.value) == (Command.NUMBER, 7)


def test_own_voice_saying_stop_is_ignored_but_stop_gets_through_while_counting() -> None:
    lis, _ = listener("stop")
    lis.own_speech("Say stop to stop.")
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    lis.own_speech("three")
    # said 1 s into the next line, past the own voice's tail: "Say stop" is not in its audio
    [d] = lis.process(audio((1.0, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP


def test_while_speaking_only_safety_commands_are_live_and_a_tail_follows() -> None:
    lis, _ = listener("slower")
    lis.own_speech("four")
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    lis.own_speech(None)
    # within the tail after the companion stopped speaking, still ignored
    assert lis.process(audio((0.1, False), (0.5, True), (2.0, False))) == []
    lis.process(audio((1.0, False)))
    [d] = lis.process(audio((0.5, True), (2.0, False)))
    assert d.command is Command.SLOWER


def test_an_answer_begun_just_after_the_tail_is_heard_whole() -> None:
    lis, _ = listener("no", context="yesno")
    lis.own_speech("Do you feel dizzy?")
    assert lis.process(audio((0.5, True), (2.0, False))) == []
    lis.own_speech(None)
    # the answer starts 0.6 s after the companion stopped (its tail is 0.5 s): the silence
    # kept from before it (pre-roll) does not make it look begun in the companion's voice
    [d] = lis.process(audio((0.6, False), (0.4, True), (2.0, False)))
    assert d.command is Command.NO


class WholeWordEngine(ScriptedEngine):
    """Names its word only when at least ``needs`` seconds of audio were fed (the whole word)."""

    def __init__(self, text: str, needs: float) -> None:
        super().__init__(text)
        self.needs = needs

    def finish(self) -> Hypothesis:
        return Hypothesis(self.text if self.fed >= self.needs * RATE * 2 else "", 1.0)


def test_a_stop_begun_in_the_tail_is_heard_to_its_end() -> None:
    engine = WholeWordEngine("stop", needs=0.9)  # pre-roll 0.3 s and the word 0.6 s
    lis = Listener(engine, vocabulary())
    lis.set_context("counting", CONTEXTS["counting"])
    lis.own_speech("And down.")
    assert lis.process(audio((0.5, True), (2.0, False))) == []
    lis.own_speech(None)
    # "stop" starts 0.3 s after the companion stopped and goes on past its 0.5 s tail
    [d] = lis.process(audio((0.3, False), (0.6, True), (2.0, False)))
    assert d.command is Command.STOP


def test_a_stop_said_across_the_end_of_its_line_is_heard_whole() -> None:
    """A word begun over the companion's line and ended after it is one utterance: judging
    it where the line ended cut "stop" in two halves, neither heard as the word (live, the
    reader read such halves 0.00: "Stalker", "So", "")."""
    engine = WholeWordEngine("stop", needs=0.9)  # pre-roll 0.3 s and the word 0.6 s
    lis = Listener(engine, vocabulary())
    lis.set_context("counting", CONTEXTS["counting"])
    lis.own_speech("And down.")
    assert lis.process(audio((0.5, False), (0.3, True))) == []  # "sto..." over the line
    lis.own_speech(None)  # the line's sound ends
    [d] = lis.process(audio((0.3, True), (2.0, False)))  # "...op", then quiet
    assert d.command is Command.STOP


def test_a_stop_said_as_the_session_moves_on_is_heard() -> None:
    """The session changes what it listens for while "stop" is being said (a rest ends: "Rest
    is over", listening for "start"): the word is judged as begun, not dropped (live, a "stop"
    said as a rest ended was lost so, its second half then heard as "ouch")."""
    engine = WholeWordEngine("stop", needs=0.9)  # pre-roll 0.3 s and the word 0.6 s
    lis = Listener(engine, vocabulary())
    lis.set_context("rest", CONTEXTS["rest"])
    assert lis.process(audio((0.5, False), (0.3, True))) == []
    lis.set_context("ready", CONTEXTS["ready"])
    assert lis.context == "ready" and Command.START in lis.commands
    [d] = lis.process(audio((0.3, True), (2.0, False)))
    assert d.command is Command.STOP


def test_only_a_safety_word_is_kept_from_an_utterance_begun_before_the_session_moved_on() -> None:
    lis, _ = listener("pause", context="counting")
    assert lis.process(audio((0.5, False), (0.3, True))) == []
    lis.set_context("rest", CONTEXTS["rest"])
    assert lis.process(audio((0.3, True), (2.0, False))) == []  # stale: said for the set
    [d] = lis.process(audio((0.5, True), (2.0, False)))  # said in the rest: heard there
    assert d.command is Command.PAUSE


def test_flush_decides_an_utterance_cut_off_by_the_end_of_input() -> None:
    lis, _ = listener("slower")
    assert lis.process(audio((0.5, False), (0.6, True))) == []
    [d] = lis.flush()
    assert d.command is Command.SLOWER


def test_start_and_stop_together_are_refused() -> None:
    lis, _ = listener("stop")
    with pytest.raises(ValueError):
        lis.set_context("bad", frozenset({Command.START, Command.STOP}))


def test_odd_chunk_sizes_give_the_same_decision() -> None:
    pcm = audio((0.5, False), (0.5, True), (2.0, False))
    whole, _ = listener("pause")
    split, _ = listener("pause")
    expected = whole.process(pcm)
    got = []
    for i in range(0, len(pcm), 777 * 2 + 1):
        got += split.process(pcm[i : i + 777 * 2 + 1])
    assert got == expected and len(got) == 1


def test_a_safety_command_needs_less_confidence_than_others() -> None:
    lis, _ = listener("stop", confidence=0.45)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    lis, _ = listener("slower", confidence=0.45)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []


def test_a_weak_rating_is_kept_as_unsure_but_a_weak_command_is_dropped() -> None:
    lis, _ = listener("seven", context="number", confidence=0.45)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (d.command, d.value, d.unsure) == (Command.NUMBER, 7, True)
    lis, _ = listener("yes", context="yesno", confidence=0.45)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []


def test_what_begins_in_its_own_voice_goes_to_the_own_voice_engine() -> None:
    user, own = ScriptedEngine("stop"), ScriptedEngine("stop")
    lis = Listener(user, vocabulary(), own_voice_engine=own)
    lis.set_context("counting", CONTEXTS["counting"])
    lis.own_speech("three")
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    assert len(own.starts) == 1 and user.starts == []  # the companion's voice never reaches it
    lis.own_speech(None)
    lis.process(audio((1.0, False)))
    [d] = lis.process(audio((0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    assert len(own.starts) == 1 and len(user.starts) == 1  # the user's turn: the user engine


def test_in_its_own_voice_only_stop_and_it_hurts_are_listened_for() -> None:
    user, own = ScriptedEngine("call for help"), ScriptedEngine("call for help")
    lis = Listener(user, vocabulary(), own_voice_engine=own)
    lis.set_context("number", CONTEXTS["number"])
    lis.own_speech("How hard was that? Say a number from 0 to 10.")
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    [phrases] = own.starts
    table = vocabulary().phrases_for(CONTEXTS["number"])
    assert {table[p].command for p in phrases} == {Command.STOP, Command.HURTS}
    lis.own_speech(None)
    lis.process(audio((1.0, False)))
    [d] = lis.process(audio((0.5, True), (2.0, False)))  # said when it is quiet: heard
    assert d.command is Command.EMERGENCY


class FixedJudge:
    """A word classifier that gives the same probabilities for any audio; records the audio."""

    def __init__(self, **p: float) -> None:
        self.p = {"other": 1.0 - sum(p.values()), **p}
        self.heard: list[int] = []

    def probabilities(self, pcm16: bytes) -> dict[str, float]:
        self.heard.append(len(pcm16))
        return self.p


def judged(text: str, context: str, judge: FixedJudge, confidence: float = 1.0) -> Listener:
    opinion = OpinionSettings(accept_p=0.5, alone_p=0.8, veto_p=0.8)  # not the tuned defaults
    lis = Listener(
        ScriptedEngine(text, confidence),
        vocabulary(),
        settings=ListenerSettings(opinion=opinion),
        classifier=judge,
    )
    lis.set_context(context, CONTEXTS[context])
    return lis


def test_the_classifier_corrects_the_recogniser_and_the_session_confirms() -> None:
    judge = FixedJudge(no=0.9)
    lis = judged("yes", "yesno", judge)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (d.command, d.confidence, d.unsure) == (Command.NO, 0.9, True)
    # it judged the utterance as fed to the engine: pre-roll, the word, the fed tail at most
    # (asked once at the first short pause, whether it was "stop", and once to decide)
    assert len(judge.heard) == 2
    assert 0.5 * RATE * 2 <= judge.heard[-1] <= (0.3 + 0.5 + 0.3 + 0.06) * RATE * 2


def test_the_classifier_alone_is_taken_when_it_is_sure() -> None:
    lis = judged("yes", "yesno", FixedJudge(no=0.9), confidence=0.45)  # recogniser rejected it
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (d.command, d.unsure) == (Command.NO, False)
    lis = judged("yes", "yesno", FixedJudge(no=0.7), confidence=0.45)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []


def test_the_classifier_drops_a_word_it_hears_as_another() -> None:
    lis = judged("stop", "counting", FixedJudge(up=0.9))
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    assert lis.heard == "stop"  # what was heard is still reported


def test_a_phrase_the_classifier_never_learnt_is_not_vetoed_by_other() -> None:
    lis = judged("it hurts", "counting", FixedJudge())
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.HURTS


def test_over_its_voice_a_stop_both_passes_heard_stands_whatever_the_classifier_says() -> None:
    # the classifier hears the utterance's last second only, maybe its voice more than the word
    judge = FixedJudge(up=0.95)
    lis = judged("stop", "counting", judge)
    lis.own_speech("three")
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    assert judge.heard and max(judge.heard) <= RATE * 2  # its last second


def test_stop_heard_by_the_classifier_alone_does_not_wait_for_the_end_silence() -> None:
    judge = FixedJudge(stop=0.9)
    lis = judged("when", "counting", judge)  # the recogniser's partial is no command
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    assert d.decided_at_s <= 1.0 + 0.1 + 0.1  # end of word + safety settle + a frame or two


def test_a_command_the_classifier_hears_at_a_pause_settles_as_a_partial_result_would() -> None:
    # not a safety word: acted on after the short settle, not the full end silence (1.5 s)
    lis = judged("when", "counting", FixedJudge(slower=0.9))
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.SLOWER and 1.0 + 0.5 <= d.decided_at_s < 1.0 + 0.5 + 0.1
    # a longer live phrase starts with it ("no thanks"): the longer settle
    lis = judged("when", "yesno", FixedJudge(no=0.9))
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.NO and 1.0 + 0.7 <= d.decided_at_s < 1.0 + 0.7 + 0.1


class SequenceJudge:
    """A word classifier whose answers change from one question to the next."""

    def __init__(self, *answers: dict[str, float]) -> None:
        self.answers = list(answers)

    def probabilities(self, pcm16: bytes) -> dict[str, float]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def test_what_the_classifier_heard_at_a_pause_is_forgotten_when_speech_goes_on() -> None:
    slower, other = {"slower": 0.9, "other": 0.1}, {"other": 1.0}
    lis = judged("when", "counting", SequenceJudge(slower, other, slower))  # type: ignore[arg-type]
    words = audio((0.5, False), (0.5, True), (0.3, False), (0.4, True), (2.5, False))
    [d] = lis.process(words)
    # "slower" at the first pause, then more speech and "other" at the second pause: the
    # utterance ends only after the full end silence, and is then judged "slower"
    assert d.command is Command.SLOWER and d.decided_at_s >= 1.7 + 1.5


class FixedReader:
    """An open-vocabulary reader giving the same probabilities for any audio; records calls."""

    def __init__(self, **p: float) -> None:
        self.p = {k.replace("_", " "): v for k, v in p.items()}
        self.calls: list[tuple[int, frozenset[str]]] = []

    def phrase_probabilities(self, pcm16: bytes, forms: dict[str, list[str]]) -> dict[str, float]:
        self.calls.append((len(pcm16), frozenset(forms)))
        return {phrase: self.p.get(phrase, 0.0) for phrase in forms}


def read(
    text: str, context: str, reader: FixedReader, judge: FixedJudge | None, confidence: float = 1.0
) -> Listener:
    lis = Listener(ScriptedEngine(text, confidence), vocabulary(), classifier=judge, reader=reader)
    lis.set_context(context, CONTEXTS[context])
    return lis


def test_the_reader_drops_what_it_is_sure_was_something_else() -> None:
    reader = FixedReader()  # all to "something else"
    lis = read("pause", "counting", reader, FixedJudge())
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    assert reader.calls and reader.calls[-1][1] == frozenset(lis._table)
    # it gives the live phrases a chance: kept
    lis = read("pause", "counting", FixedReader(pause=0.3), FixedJudge())
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.PAUSE
    # without the word classifier too (damaged): the recogniser's word, then the reader
    lis = read("pause", "counting", FixedReader(), None)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []


def test_stop_never_waits_for_the_reader_while_counting_and_a_weak_one_is_read_elsewhere() -> None:
    reader = FixedReader()  # sure it was something else ("up")
    lis = read("stop", "yesno", reader, FixedJudge(stop=0.9))  # heard by everything
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP and reader.calls == []
    # only the classifier heard it
    lis = read("when", "counting", reader, FixedJudge(stop=0.7), confidence=0.3)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP and reader.calls == []  # counting: at once
    lis = read("when", "yesno", reader, FixedJudge(stop=0.7), confidence=0.3)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    assert reader.calls
    lis = read("when", "yesno", FixedReader(stop=0.5), FixedJudge(stop=0.7), confidence=0.3)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    # "it hurts" weakly heard is read in every context
    lis = read("it hurts", "counting", FixedReader(), FixedJudge(), confidence=0.45)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []


def test_the_reader_rescues_a_word_the_others_missed_and_the_session_confirms() -> None:
    lis = read("when", "yesno", FixedReader(no=0.9), FixedJudge(), confidence=0.3)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (d.command, d.unsure) == (Command.NO, True)


def test_a_reading_at_the_pause_is_reused_when_the_utterance_ends_in_silence() -> None:
    reader = FixedReader(slower=0.9)
    lis = read("when", "counting", reader, FixedJudge(slower=0.9))
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.SLOWER
    assert len(reader.calls) == 1  # read at the 0.1 s pause, not again when it settled


def test_over_its_voice_the_reader_is_asked_about_safety_words_only() -> None:
    reader = FixedReader()
    lis = read("stop", "counting", reader, FixedJudge(), confidence=0.9)
    lis.own_speech("three")
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    safety = {p for p, v in lis._table.items() if v.command in (Command.STOP, Command.HURTS)}
    assert all(asked <= safety for _, asked in reader.calls)


def test_numbers_are_read_with_the_classifier() -> None:
    lis = read("two", "number", FixedReader(seven=0.06, two=0.001), FixedJudge(two=0.5, seven=0.4))
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (d.command, d.value, d.unsure) == (Command.NUMBER, 7, True)


def test_while_counting_a_stop_only_the_reader_heard_ends_the_utterance_at_the_pause() -> None:
    # the recogniser and the classifier missed it: the reader hears it at the 0.1 s pause
    lis = read("when", "counting", FixedReader(stop=0.9), FixedJudge(), confidence=0.3)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP and not d.unsure
    assert d.decided_at_s < 1.0 + 0.25  # at the pause, not after the end silence
    # even over another command the others heard ("slower"): stopping is the safe side
    lis = read("slower", "counting", FixedReader(stop=0.7), FixedJudge(slower=0.9))
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP and d.decided_at_s < 1.25
    # not sure enough: the utterance goes on as before
    lis = read("slower", "counting", FixedReader(stop=0.4, slower=0.5), FixedJudge(slower=0.9))
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.SLOWER
    # elsewhere (answering yes or no) "stop" still waits for the end of the utterance
    lis = read("when", "yesno", FixedReader(stop=0.9), FixedJudge(), confidence=0.3)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP and d.decided_at_s > 1.25
    # a reading at the pause that does not stop is not reused: the whole utterance, with
    # its end silence, is read again (it may read otherwise)
    reader = FixedReader(stop=0.3)
    lis = read("when", "counting", reader, FixedJudge(), confidence=0.3)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    assert len(reader.calls) == 2 and reader.calls[0][0] < reader.calls[1][0]
    stops = {p for p, v in lis._table.items() if v.command is Command.STOP}
    assert reader.calls[0][1] == stops  # at the pause it is asked about "stop" only
    assert reader.calls[1][1] == frozenset(lis._table)


COUNT_LINE = "2. Palm up."
"""What the companion says while counting (issue 18: "stop" over it was always dropped)."""


def test_over_its_counting_a_stop_the_classifier_and_the_reader_hear_is_heard() -> None:
    # only the grammar-bound pass named "stop" (0.45): before, dropped whenever it spoke
    reader = FixedReader(stop=0.2)
    lis = read("stop", "counting", reader, FixedJudge(stop=0.6), confidence=0.45)
    lis.own_speech(COUNT_LINE)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP and not d.unsure
    assert d.decided_at_s <= 0.5 + 0.3  # while the word is said: no pause needed after it
    assert all(n <= RATE * 2 for n, _ in reader.calls)  # the last second only


def test_over_its_voice_the_classifier_alone_needs_to_be_sure() -> None:
    # "Palm up" made the classifier say "stop" at up to 0.96; the reader then gave 0.01 at most
    lis = read("stop", "counting", FixedReader(stop=0.01), FixedJudge(stop=0.96), confidence=0.45)
    lis.own_speech(COUNT_LINE)
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []
    # without the reader (turned off) the classifier's word alone, when it is sure
    for p, heard in ((0.96, []), (0.995, [Command.STOP])):
        lis = judged("stop", "counting", FixedJudge(stop=p), confidence=0.45)
        lis.own_speech(COUNT_LINE)
        got = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
        assert [d.command for d in got] == heard


def test_over_its_counting_a_stop_the_reader_is_sure_of_is_heard() -> None:
    reader = FixedReader(stop=0.9)
    lis = read("stop", "counting", reader, FixedJudge(stop=0.3), confidence=0.45)
    lis.own_speech(COUNT_LINE)
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.STOP
    stops = {p for p, v in lis._table.items() if v.command is Command.STOP}
    assert reader.calls[-1][1] == stops  # asked about "stop" only


def test_its_own_voice_alone_gives_no_stop() -> None:
    # the grammar-bound pass names "stop" for any sound; nothing else heard it
    lis = read("stop", "counting", FixedReader(stop=0.01), FixedJudge(two=0.6), confidence=0.45)
    lis.own_speech(COUNT_LINE)
    assert lis.process(audio((0.5, False), (1.0, True), (2.0, False))) == []
    lis.own_speech(None)


def test_it_hurts_over_its_voice_is_heard_when_the_reader_is_sure() -> None:
    lis = read("it hurts", "counting", FixedReader(it_hurts=0.8), FixedJudge(), confidence=0.45)
    lis.own_speech("Rest for 12 seconds.")
    [d] = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert d.command is Command.HURTS
    # its intro lines once read 0.16 as "hurts" (the live hands-free test)
    lis = read("it hurts", "counting", FixedReader(it_hurts=0.16), FixedJudge(), confidence=0.45)
    lis.own_speech("Rest for 12 seconds.")
    assert lis.process(audio((0.5, False), (0.5, True), (2.0, False))) == []


@pytest.mark.parametrize(
    ("heard", "confidence", "reading", "judge", "taken"),
    [
        ("that hurts", 1.0, 0.2, {}, False),  # its own "1. Palm up." heard so (hands-free test)
        ("that hurts", 1.0, 0.2, {"stop": 0.9}, False),
        ("that hurts", 1.0, 0.8, {}, True),  # the reader at its usual bar
        ("stop", 1.0, 0.0, {}, True),  # "stop" as before: the recogniser alone
    ],
)
def test_over_its_voice_only_stop_is_taken_without_the_reader_at_its_usual_bar(
    heard: str, confidence: float, reading: float, judge: dict[str, float], taken: bool
) -> None:
    reader = FixedReader(**{heard.replace(" ", "_"): reading})
    lis = read(heard, "counting", reader, FixedJudge(**judge), confidence=confidence)
    lis.own_speech("1. Palm up.")
    decided = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (decided != []) is taken, decided


@pytest.mark.parametrize(
    ("said", "heard", "hidden"),
    [
        ("2. Palm up.", "stop", False),
        ("Rest for 12 seconds.", "stop", False),  # "rest" spells like "stop": not a word of it
        ("Set 1 of 3. Get ready.", "stop", False),
        ("And stop.", "stop", True),
        ("And stop.", "stop stop", True),
        ("Stopped.", "stop", True),
        ("Slowly. Stop before it hurts.", "it hurts", True),
        ("Any pain? Say a number from 0 to 10.", "pain", True),
        ("Any pain? Say a number from 0 to 10.", "stop", False),
        ("That still counts.", "that hurts", False),
    ],
)
def test_a_safety_word_is_taken_for_its_own_voice_only_when_it_says_one_like_it(
    said: str, heard: str, hidden: bool
) -> None:
    lis, _ = listener(heard, confidence=1.0)
    lis.own_speech(said)
    decided = lis.process(audio((0.5, False), (0.5, True), (2.0, False)))
    assert (decided == []) is hidden, decided
