"""The session state machine: the whole flow, and every command in every stage it applies to."""

from __future__ import annotations

import pytest

from companion import records
from companion.commands import CONTEXTS, Command
from companion.events import End, Heard, InputEnded, Listen, NotUnderstood, SetVoice, StopSpeech
from companion.session.state import RUNNING, Stage
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
    if cmd is C.HURTS and stage is not Stage.ALERT:  # at the alert: the alert again
        assert isinstance(effects[0], StopSpeech)
        assert d.records(records.Stopped)[-1].reason == "pain"
        assert d.stage is Stage.HURT_LEVEL
    elif cmd is C.EMERGENCY:
        assert "alert" in keys and d.stage is Stage.ALERT
        assert d.records(records.SessionEnded)[-1].how == "warning_signs"
    elif stage is Stage.ALERT:
        if cmd is C.END:
            assert isinstance(effects[-1], End) and d.stage is Stage.DONE
        elif cmd is C.STOP:  # quiet, and the alert stays (tests/test_trial_alert.py)
            assert isinstance(effects[0], StopSpeech) and d.stage is stage
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
    elif cmd is C.REPEAT and stage in RUNNING:
        # while a set runs: how to do it and the count, never "when you are ready, say start"
        assert keys[-1] in ("where_counting", "where_timed") and d.stage is stage
        assert not any("say start" in line for line in d.said(effects))
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


# ---- issue 20: every user can finish (speech kept, things needed, self-paced, hand, words) --


def driver_with(plan: object = None, prefs: object = None, **changes: object) -> Driver:
    """A driver whose routine has ``changes`` (speech=..., hand=...) and stored ``prefs``."""
    import dataclasses

    from companion import commands, prompts
    from companion.session.engine import Session

    d = Driver(plan)  # type: ignore[arg-type]
    r = dataclasses.replace(d.session.routine, **changes)  # type: ignore[arg-type]
    d.session = Session(
        r,
        d.session.plan,
        prompts.load("en"),
        commands.vocabulary("en"),
        prefs,  # type: ignore[arg-type]
    )
    return d


def test_slower_and_louder_work_at_questions_and_ask_again() -> None:
    """They were not heard at a question (yes/no or a number), so a user who could not follow
    the question could not slow it down."""
    d = Driver(safety=True).begin().script("no", "slower")
    voice = [e for e in d.last if isinstance(e, SetVoice)]
    assert voice and voice[0].rate < 150
    assert d.said()[-1] == "Do you feel dizzy in a new way today?"  # asked again, slower
    d.script("louder")
    assert [e for e in d.last if isinstance(e, SetVoice)][0].volume > 0.9
    d.script("no", "no")
    assert [a for _, a in d.session.safety_answers] == [False, False, False]
    d = at_stage(Stage.PAIN).script("slower", "2")
    assert d.records(records.Rating)[-1].value == 2


def test_slower_is_kept_for_the_next_session() -> None:
    from companion.session.preferences import Preferences

    d = Driver().begin().script("slower", "slower")
    kept = d.session.preferences
    assert kept.rate == 120 and kept.speed > 1.5
    again = driver_with(prefs=kept).begin()
    first_voice = [e for e in again.effects if isinstance(e, SetVoice)][0]
    assert (first_voice.rate, first_voice.volume) == (120, 0.9)
    assert again.session.speed == kept.speed
    assert Preferences() != kept


def test_speech_preferences_file_round_trip_and_damage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from companion.session import preferences

    path = preferences.path_in(tmp_path)
    assert preferences.load(path) == preferences.Preferences()
    preferences.save(path, preferences.Preferences(1.25, 135, 1.0))
    assert preferences.load(path) == preferences.Preferences(1.25, 135, 1.0)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    path.write_text("{not json")
    assert preferences.load(path) == preferences.Preferences()
    path.write_text('{"speed": 90, "rate": 135, "volume": 1.0}')
    assert preferences.load(path) == preferences.Preferences()


def test_things_needed_are_listed_before_the_first_exercise() -> None:
    d = Driver(make_plan(("palm_turn", 1, 2), ("bottle_grasp", 1, 2), ("grip_release", 1, 2)))
    said = d.begin().said()
    needed = "Today you will need a water bottle and a pen. Please get them now."
    assert needed in said
    assert said.index(needed) < said.index("Exercise 1 of 3: Palm up and down.")
    plain = Driver(make_plan(("palm_turn", 1, 2))).begin().said()
    assert not any("you will need" in line for line in plain)


def test_coin_drop_waits_for_done_and_cues_picking_the_coins_up() -> None:
    """It counted a fixed 5-second beat and never said to pick the coins up again."""
    d = Driver(make_plan(("coin_drop", 1, 3))).begin()
    d.say(C.START)
    assert "Go at your own pace" in d.said()[-1]
    assert d.advance(120) == []  # no beat: as long as it takes
    assert d.stage is Stage.SELF_PACED
    assert d.listening().suggested is C.DONE  # one press of the space bar (or switch): done
    for n in (1, 2, 3):
        d.send(Heard(C.DONE, source="key", text=" "))
        assert d.said()[-1 if n < 3 else -2] == f"{n}."
    assert d.said()[-1].startswith("Now pick the coins up again")
    assert d.stage is Stage.SELF_PACED
    d.script("done")
    assert d.stage is Stage.PAIN
    (done,) = d.records(records.SetDone)
    assert (done.exercise_id, done.done, done.completed) == ("coin_drop", 3, True)


def test_a_hand_that_cannot_pinch_gets_the_alternative_or_leaves_it_out() -> None:
    import dataclasses

    from companion import routine

    plan = make_plan(("palm_turn", 1, 2), ("coin_drop", 1, 8), ("pen_spin", 1, 15))
    d = driver_with(plan, hand=routine.Hand(pinch=False)).begin()
    said = d.said()
    assert "Coin drop needs a thumb and finger. We will do Grip and release instead." in said
    assert "Pen spin needs a thumb and finger. We will leave it out." in said
    assert [i.exercise_id for i in d.session.items] == ["palm_turn", "grip_release"]
    started = d.records(records.SessionStarted)[0]
    assert [p[0] for p in started.planned] == ["palm_turn", "grip_release"]
    same = driver_with(plan, hand=dataclasses.replace(routine.Hand(), pinch=True)).begin()
    assert [i.exercise_id for i in same.session.items] == ["palm_turn", "coin_drop", "pen_spin"]


def test_simple_language_mode_says_the_simple_lines() -> None:
    import dataclasses

    from companion import routine

    r = routine.default()
    d = driver_with(speech=dataclasses.replace(r.speech, simple=True)).begin()
    d.say(C.START)
    d.until(Stage.PAIN)
    assert d.said()[-1] == "Does it hurt? Say a number. 0 is no pain. 10 is very bad pain."
    import re

    from companion import prompts

    simple = prompts.load("en").tables["simple"]["session"]
    for key, line in zip(d.keys(), d.said(), strict=True):
        if key in simple:  # the simple lines: one short idea per sentence
            for sentence in re.split(r"(?<=[.?!])\s+", line):
                assert len(sentence.split()) <= 8, sentence


def test_the_user_s_own_words_mean_their_command() -> None:
    from companion import commands, routine

    r = routine.from_text('[vocabulary]\nstop = ["halt"]\nrepeat = ["say it once more"]\n')
    vocab = commands.vocabulary("en").with_words(commands.user_words(r.vocabulary.pairs))
    assert vocab.parse("halt", CONTEXTS["counting"]) == commands.Parsed(C.STOP)
    assert vocab.parse("please say it once more", CONTEXTS["yesno"]) == commands.Parsed(C.REPEAT)
    assert vocab.teach(C.STOP) == "stop"  # the taught word stays the same
    assert "halt" in vocab.phrases_for(CONTEXTS["counting"])  # so in the listener's grammar
    assert commands.vocabulary("en").parse("halt") is None


def test_a_key_help_names_keys_and_an_unknown_key_offers_keys() -> None:
    d = Driver().begin()
    d.send(Heard(C.HELP, source="key", text="?"))
    assert d.said(d.last)[0].startswith("Keys you can press: the space bar for start, ")
    assert "a for the stroke warning signs" in d.said(d.last)[0]
    d = Driver(safety=True).begin()
    d.send(NotUnderstood("' '", source="key"))
    assert d.said(d.last)[0] == "That key does nothing here. Press y for yes, or n for no."


def test_end_is_understood_wherever_its_key_is_shown() -> None:
    for stage in (Stage.COUNTING, Stage.PAIN, Stage.PAUSED, Stage.REST):
        d = at_stage(stage)
        d.send(Heard(C.END, source="key", text="e"))
        assert d.stage is Stage.CONFIRM_END, stage
        d.say(C.NO)
        assert d.stage is (Stage.PAUSED if stage is Stage.COUNTING else stage), stage


def test_listen_carries_a_status_line() -> None:
    d = Driver().begin()
    status = d.listening().status
    assert status.startswith("Exercise 1 of 2: Palm up and down. Set 1 of 2.")
    assert "Say: start" in status
    d.say(C.START)
    d.advance(10)
    d.say(C.PAUSE)
    assert "Done 1 of 3." in d.listening().status or "Done 2 of 3." in d.listening().status


def test_the_caregiver_sets_the_pause_between_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """It was fixed at 0.3 s; aphasia guidance asks for longer pauses."""
    import companion.speech
    from companion import routine, wiring

    r = routine.from_text("[speech]\npause_seconds = 1.2\n")
    got: dict[str, object] = {}

    def make_speaker(**kwargs: object) -> object:
        got.update(kwargs)
        return object()

    monkeypatch.setattr(companion.speech, "make_speaker", make_speaker)
    wiring.make_speaker(r, True)
    assert got["pause"] == 1.2
    assert routine.default().speech.pause_seconds == 0.3
