"""Commands heard in any stage: help, repeat, slower and faster, louder and quieter, how many,
stop, it hurts, tired, the stroke warning signs, and the answers to the "call now" alert."""

from __future__ import annotations

import datetime as dt

from companion.commands import CONTEXTS, Command
from companion.events import Heard
from companion.records import Outcome, Reason, Stopped
from companion.session import safety
from companion.session.exercises import ExerciseFlow
from companion.session.handle_flow import confirm_end
from companion.session.state import RUNNING, Stage

C = Command
SPEED_STEP, SPEED_MIN, SPEED_MAX = 1.25, 0.6, 2.0
RATE_STEP, RATE_MIN, RATE_MAX = 15, 100, 220
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 0.15, 0.25, 1.0


def help_me(s: ExerciseFlow, event: Heard) -> None:
    """Say what can be said (or pressed) now, then the question again."""
    if event.source in ("key", "switch"):
        s.say("help_keys", keys=s.key_options(few=False))
    else:
        s.say("help", options=s.talk.options(CONTEXTS[s.stage.context]))
    s.ask_again()
    s.listen()


def repeat(s: ExerciseFlow, now: dt.datetime) -> None:
    """Say the last question (all its lines) again; while a set runs, how to do the exercise
    and where the count is (not the introduction's "when you are ready, say start")."""
    if s.stage in RUNNING and s.progress is not None and s.index < len(s.items):
        for line in s.talk.step_lines(s.item):
            s.say_text(line, "repeat")
        say_count(s, now)
    else:
        for line in s.last_prompt:
            s.say_text(line, "repeat")
    s.listen()


def alert_command(s: ExerciseFlow, cmd: Command, now: dt.datetime) -> None:
    """After "call your emergency number now": say it again, be quiet ("stop": it stays on
    screen), or close ("finish" only: a stop in a hurry never takes the number away)."""
    if cmd is C.END:
        safety.close_alert(s)
        return
    if cmd is C.STOP:
        safety.quiet_alert(s)
        return
    safety.say_alert(s, now)
    s.listen()


def back_to(s: ExerciseFlow) -> Stage:
    """Where to come back to after an interruption here (a running set comes back paused)."""
    if s.stage in RUNNING or (s.stage is Stage.READY and s.progress is not None):
        return Stage.PAUSED
    return s.stage


def stop(s: ExerciseFlow, now: dt.datetime) -> None:
    """Stop counting at once, then ask whether to end the session."""
    s.stop_speech()
    where = back_to(s)
    s.halt(now)
    s.say("stopped")
    confirm_end(s, where, now)


def stopped_already(s: ExerciseFlow) -> None:
    """ "Stop" again while "end the session?" is asked (said twice, two tabs): it has stopped;
    say so, and the question again (never "not understood" for a stop)."""
    s.stop_speech()
    s.say("stopped")
    s.ask_again()
    s.listen()


def hurts(s: ExerciseFlow, now: dt.datetime) -> None:
    """Stop the exercise at once, log it, ask the pain level."""
    s.stop_speech()
    if s.stage is Stage.HURT_LEVEL:
        # Said again while its level is asked: already stopped and logged; ask the level once
        # more, coming back afterwards to where the first "it hurts" came from.
        s.say("hurts")
        s.ask(Stage.HURT_LEVEL, [("ask_pain_level", {})], now)
        return
    if s.stage is Stage.OFFER_END_PAIN:
        # The exercise is already left for today: note the level, then ask this again.
        s.say("hurts")
        s.interrupt(Stage.HURT_LEVEL, [("ask_pain_level", {})], now)
        return
    where = back_to(s)
    s.halt(now)
    s.record(Stopped(now, s.current_exercise(), Reason.PAIN))
    s.say("hurts")
    if not s.exercising:  # at the safety questions: note the pain, then carry on with them
        s.interrupt(Stage.HURT_LEVEL, [("ask_pain_level", {})], now, back_to=where)
        return
    # After a whole set (at its questions) the set is done; otherwise it is cut short here.
    s.pain_after_set = s.progress is None and (
        s.stage in (Stage.PAIN, Stage.EFFORT, Stage.OFFER_FEWER)
        or (s.stage is Stage.OFFER_SKIP and s.pain_after_set)
    )
    if s.progress is not None:
        s.record_set(now, completed=False)
    s.forget_interruptions()
    s.ask(Stage.HURT_LEVEL, [("ask_pain_level", {})], now)


def emergency(s: ExerciseFlow, now: dt.datetime) -> None:
    """Stroke warning signs: stop, say what to do in short lines, keep them for "repeat"."""
    safety.alert(s, "safety.warning_signs_lines", Outcome.WARNING_SIGNS, now)


def tired(s: ExerciseFlow, now: dt.datetime) -> None:
    """Offer to shorten the session (one set of each from now on)."""
    where = back_to(s)
    s.halt(now)
    s.say("tired")
    s.interrupt(Stage.OFFER_SHORTEN, [("offer_shorten", {})], now, back_to=where)


def speed(s: ExerciseFlow, slower: bool) -> None:
    """Slower or faster: the beat and the speech, within limits."""
    factor = SPEED_STEP if slower else 1 / SPEED_STEP
    new = min(SPEED_MAX, max(SPEED_MIN, s.speed * factor))
    if abs(new - s.speed) < 1e-9:
        s.say("slowest" if slower else "fastest")
    else:
        rate = min(RATE_MAX, max(RATE_MIN, s.rate + (-RATE_STEP if slower else RATE_STEP)))
        s.set_voice(speed=new, rate=rate)
        s.say("slower" if slower else "faster")
    s.ask_again()  # at a question: asked again, at the new speed
    s.listen()


def volume(s: ExerciseFlow, louder: bool) -> None:
    """Louder or quieter, within limits."""
    new = min(VOLUME_MAX, max(VOLUME_MIN, s.volume + (VOLUME_STEP if louder else -VOLUME_STEP)))
    if abs(new - s.volume) < 1e-9:
        s.say("loudest" if louder else "quietest")
    else:
        s.set_voice(volume=round(new, 2))
        s.say("louder" if louder else "quieter")
    s.ask_again()
    s.listen()


def how_many(s: ExerciseFlow, now: dt.datetime) -> None:
    """Where the user is: repetitions done and left, the set, the exercises left."""
    if s.index >= len(s.items):
        s.listen()
        return
    p = s.progress
    if p is not None and s.stage in (*RUNNING, Stage.PAUSED):
        say_count(s, now)
    s.say("where_ready", number=s.index + 1, total=len(s.items), set=s.set_no, sets=s.item.sets)
    left = len(s.items) - s.index - 1
    if left == 0:
        s.say("exercises_left_none")
    else:
        s.say("exercises_left_one" if left == 1 else "exercises_left", left=left)
    s.listen()


def say_count(s: ExerciseFlow, now: dt.datetime) -> None:
    """Where the set in progress is: "2 done, 1 to go." or "10 seconds to go."."""
    assert s.progress is not None
    done = s.progress.done(s.item, len(s.phases), now)
    if s.item.timed:
        s.say("where_timed", left=max(0, s.item.reps - done))
    else:
        s.say("where_counting", done=done, left=s.item.reps - done)
