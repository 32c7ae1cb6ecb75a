"""The session state machine: the whole flow, and every command in every stage it applies to."""

from __future__ import annotations

import pytest

from companion import records
from companion.commands import CONTEXTS, Command
from companion.events import End, Heard, InputEnded, Listen, NotUnderstood, SetVoice, StopSpeech
from companion.session.state import Stage
from tests.session_driver import Driver, at_stage, make_plan

C = Command
STAGES = [s for s in Stage if s is not Stage.DONE]


def test_whole_session_completes_with_every_set_recorded() -> None:
    d = Driver().begin()
    for _exercise in range(2):
        for _set in range(2):
            d.until(Stage.READY)
            d.say(C.START)
            d.until(Stage.PAIN)
            d.say(C.NUMBER, 1)
            d.say(C.NUMBER, 3)
    assert d.stage is Stage.DONE
    sets = d.records(records.SetDone)
    assert [(s.exercise_id, s.set_number, s.done, s.completed) for s in sets] == [
        ("palm_turn", 1, 3, True),
        ("palm_turn", 2, 3, True),
        ("wrist_bend", 1, 3, True),
        ("wrist_bend", 2, 3, True),
    ]
    ratings = d.records(records.Rating)
    assert [(r.kind, r.value) for r in ratings] == [("pain", 1), ("effort", 3)] * 4
    assert d.records(records.SessionEnded)[-1].how == "completed"
    assert any("12 movements" in line for line in d.said())
    assert isinstance(d.effects[-1], End)


def test_greeting_plan_and_position_are_said() -> None:
    d = Driver().begin()
    said = d.said()
    assert any("2 exercises" in s and "minutes" in s for s in said)
    assert any(s.startswith("Exercise 1 of 2") for s in said)
    assert any(s.startswith("Set 1 of 2") for s in said)
    assert d.listening().context == "ready"
    assert d.listening().suggested is C.START


def test_counting_is_on_a_steady_beat_with_phase_words() -> None:
    d = Driver().begin()
    d.say(C.START)
    times = []
    while d.stage is Stage.COUNTING:
        before = len(d.effects)
        d.advance(0.1)
        for e in d.effects[before:]:
            if getattr(e, "key", "") == "count":
                times.append((d.now, e.text))  # type: ignore[attr-defined]
    texts = [t for _, t in times]
    assert texts == [
        "1. Palm up.",
        "And down.",
        "2. Palm up.",
        "And down.",
        "3. Palm up.",
        "And down.",
    ]
    gaps = {
        round((b - a).total_seconds(), 1) for (a, _), (b, _) in zip(times, times[1:], strict=False)
    }
    assert gaps == {2.0}  # 4 s per repetition, two phases


def test_slower_makes_the_beat_longer_and_the_voice_slower() -> None:
    d = at_stage(Stage.COUNTING)
    before = d.session.wake_at
    effects = d.say(C.SLOWER)
    voice = [e for e in effects if isinstance(e, SetVoice)]
    assert voice and voice[0].rate < d.session.routine.speech.rate
    first = d.session.wake_at
    assert first == before
    d.advance((first - d.now).total_seconds())
    assert (d.session.wake_at - first).total_seconds() == pytest.approx(2.5)


def test_timed_exercise_counts_down_both_directions() -> None:
    d = Driver(make_plan(("pen_spin", 1, 15))).begin()
    d.say(C.START)
    d.until(Stage.PAIN)
    keys = d.keys()
    assert keys.count("timed_go") == 2
    assert keys.count("timed_left") == 2
    assert keys.count("timed_stop") == 2
    assert "5 seconds left." in d.said()
    assert any("other way" in s for s in d.said())
    assert d.records(records.SetDone)[0].done == 15


def test_stop_while_counting_cuts_speech_and_confirms_before_ending() -> None:
    d = at_stage(Stage.COUNTING)
    effects = d.say(C.STOP)
    assert any(isinstance(e, StopSpeech) for e in effects)
    assert d.stage is Stage.CONFIRM_END
    assert d.advance(30) == []  # no counting while asked
    assert not d.records(records.SessionEnded)
    d.say(C.NO)
    assert d.stage is Stage.PAUSED
    d.say(C.RESUME)
    d.until(Stage.PAIN)
    assert d.records(records.SetDone)[0].done == 3


def test_stop_then_yes_ends_and_keeps_the_partial_set() -> None:
    d = at_stage(Stage.COUNTING)
    d.say(C.STOP)
    d.say(C.YES)
    assert d.stage is Stage.DONE
    s = d.records(records.SetDone)[0]
    assert (s.completed, s.done) == (False, 1)
    assert [r.reason for r in d.records(records.Stopped)] == ["user"]
    assert d.records(records.SessionEnded)[0].how == "stopped"


def test_it_hurts_stops_at_once_logs_and_offers_to_skip() -> None:
    d = at_stage(Stage.COUNTING)
    effects = d.say(C.HURTS)
    assert isinstance(effects[0], StopSpeech)
    assert d.records(records.Stopped)[0].reason == "pain"
    assert d.records(records.SetDone)[0].completed is False
    assert d.stage is Stage.HURT_LEVEL
    d.say(C.NUMBER, 5)
    assert d.records(records.Rating)[-1].value == 5
    assert any("Rest your hand" in s for s in d.said(d.last))
    assert d.stage is Stage.OFFER_SKIP
    d.say(C.YES)
    assert d.records(records.Skipped)[0].exercise_id == "palm_turn"
    assert d.said(d.last)[1].startswith("Exercise 2 of 2")


def test_severe_pain_offers_to_end_the_day() -> None:
    d = at_stage(Stage.OFFER_END_PAIN)
    d.say(C.YES)
    assert d.records(records.SessionEnded)[0].how == "pain"


def test_tired_offers_to_shorten_to_one_set_each() -> None:
    d = at_stage(Stage.OFFER_SHORTEN)
    d.say(C.YES)
    assert d.stage is Stage.PAUSED
    assert [i.sets for i in d.session.items] == [1, 1]
    d.say(C.RESUME)
    d.until(Stage.PAIN).say(C.NUMBER, 0)
    d.say(C.NUMBER, 2)
    assert d.stage is Stage.READY
    assert any(s.startswith("Exercise 2 of 2") for s in d.said(d.last))


def test_safety_check_yes_stops_kindly_and_no_goes_on() -> None:
    d = at_stage(Stage.SAFETY)
    d.say(C.YES)
    assert d.records(records.SessionEnded)[0].how == "safety_check"
    d = at_stage(Stage.SAFETY)
    for _ in range(3):
        d.say(C.NO)
    assert d.stage is Stage.READY


def test_unsure_command_is_confirmed_first() -> None:
    d = at_stage(Stage.CONFIRM_UNSURE)
    assert "I heard next" in d.said(d.last)[-1]
    d.say(C.NO)
    assert d.stage is Stage.REST
    d.say(C.NEXT, unsure=True)
    d.say(C.YES)
    assert d.stage is Stage.READY


def test_unsure_stop_acts_at_once() -> None:
    d = at_stage(Stage.COUNTING)
    d.say(C.STOP, unsure=True)
    assert d.stage is Stage.CONFIRM_END


def test_not_understood_offers_the_choices_again() -> None:
    d = Driver().begin()
    effects = d.send(NotUnderstood("banana", source="script"))
    assert d.said(effects)[0] == (
        "Sorry, I did not understand. You can say start, next, or finish. For more, say help."
    )
    assert d.said(effects)[1].startswith("Set 1 of 2")  # and the question again
    assert isinstance(effects[-1], Listen)
    effects = d.send(NotUnderstood("'z'", source="key"))
    assert d.keys(effects) == ["unknown_key", "repeat"]


def test_script_end_saves_the_set_in_progress() -> None:
    d = at_stage(Stage.COUNTING)
    d.send(InputEnded())
    assert d.records(records.SetDone)[0].completed is False
    assert d.records(records.SessionEnded)[0].how == "incomplete"


def test_optional_reprompt_is_gentle_and_once() -> None:
    d = Driver(reprompt=20).begin()
    d.advance(19)
    assert "reprompt" not in d.keys(d.effects)
    d.advance(100)
    assert d.keys().count("reprompt") == 2  # "take your time" + the question, once
    assert d.stage is Stage.READY


def test_no_time_limit_to_answer() -> None:
    d = at_stage(Stage.PAIN)
    d.advance(3600)
    assert d.stage is Stage.PAIN
    d.say(C.NUMBER, 0)
    assert d.stage is Stage.EFFORT


# ---- every command in every stage it is live in ------------------------------------------


def _live(stage: Stage) -> list[Command]:
    return sorted(CONTEXTS[stage.context], key=lambda c: c.value)


CASES = [(stage, cmd) for stage in STAGES for cmd in _live(stage)]


@pytest.mark.parametrize(("stage", "cmd"), CASES, ids=[f"{s.value}-{c.value}" for s, c in CASES])
def test_command_in_stage(stage: Stage, cmd: Command) -> None:
    d = at_stage(stage)
    assert d.stage is stage
    before_prompt = list(d.session.last_prompt)
    rate, volume = d.session.rate, d.session.volume
    last = d.session.index == len(d.session.items) - 1
    value = 3 if cmd is C.NUMBER else None
    effects = d.send(Heard(cmd, value, source="key"))
    keys = d.keys(effects)
    assert effects, "every command gets an answer"
    if cmd is C.HURTS:
        assert isinstance(effects[0], StopSpeech)
        assert d.records(records.Stopped)[-1].reason == "pain"
        assert d.stage is Stage.HURT_LEVEL
    elif cmd is C.EMERGENCY:
        assert "alert" in keys and d.stage is Stage.ALERT
        assert d.records(records.SessionEnded)[-1].how == "warning_signs"
    elif stage is Stage.ALERT:
        if cmd in (C.END, C.STOP):
            assert isinstance(effects[-1], End) and d.stage is Stage.DONE
        else:
            assert d.said(effects) == before_prompt and d.stage is stage
    elif cmd is C.STOP:
        if stage is Stage.CONFIRM_END:
            assert d.stage is Stage.CONFIRM_END
        else:
            assert any(isinstance(e, StopSpeech) for e in effects)
            assert d.stage is Stage.CONFIRM_END
    elif cmd is C.HELP:
        assert keys[0] == "help_keys" and d.stage is stage  # a key was pressed: keys named
        assert d.said(effects)[0].startswith("Keys you can press:")
    elif cmd is C.REPEAT:
        assert d.said(effects) == before_prompt and d.stage is stage
    elif cmd in (C.SLOWER, C.FASTER):
        voice = [e for e in effects if isinstance(e, SetVoice)][0]
        assert (voice.rate < rate) if cmd is C.SLOWER else (voice.rate > rate)
        assert d.stage is stage
    elif cmd in (C.LOUDER, C.QUIETER):
        voice = [e for e in effects if isinstance(e, SetVoice)][0]
        assert (voice.volume > volume) if cmd is C.LOUDER else (voice.volume < volume)
    elif cmd is C.HOW_MANY:
        assert "where_ready" in keys and d.stage is stage
        if stage in (Stage.COUNTING, Stage.PAUSED):
            assert "where_counting" in keys
    elif cmd is C.TIRED:
        assert d.stage is Stage.OFFER_SHORTEN
    elif cmd is C.PAUSE:
        assert d.stage is Stage.PAUSED
        assert d.advance(60) == []
    elif cmd is C.RESUME:
        assert d.stage is Stage.COUNTING
        assert "count" in d.keys(d.advance(5))
    elif cmd is C.START:
        assert d.stage is Stage.COUNTING
    elif cmd is C.NEXT:
        if stage is Stage.REST:
            assert d.stage is Stage.READY and "ready_set" in keys
        elif last:
            assert d.stage is Stage.CONFIRM_SKIP_LAST
        else:
            assert d.records(records.Skipped)[-1].exercise_id == "palm_turn"
            assert d.session.index == 1
    elif cmd is C.BACK:
        assert d.stage is Stage.READY and "first_exercise" in keys
    elif cmd is C.END:
        assert d.stage is Stage.CONFIRM_END
    elif cmd is C.NUMBER:
        assert d.records(records.Rating)[-1].value == 3
    elif cmd is C.DONE:
        assert d.said(effects) == ["1."] and d.stage is Stage.SELF_PACED
    elif cmd in (C.YES, C.NO):
        assert d.stage is not stage or stage is Stage.SAFETY
    else:
        raise AssertionError(f"no expectation for {cmd}")
