"""What each command does in each stage of the session (called by ``Session.handle``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from companion import records
from companion.commands import CONTEXTS, Command
from companion.events import Heard, SetVoice, StopSpeech
from companion.session import pain, safety
from companion.session.state import QUESTIONS, RUNNING, Stage

if TYPE_CHECKING:
    from companion.session.engine import Session

C = Command
SPEED_STEP, SPEED_MIN, SPEED_MAX = 1.25, 0.6, 2.0
RATE_STEP, RATE_MIN, RATE_MAX = 15, 100, 220
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 0.15, 0.25, 1.0


def dispatch(s: Session, event: Heard, now: dt.datetime) -> None:
    """Act on one command in the session's current stage."""
    cmd = event.command
    if s.stage is Stage.ALERT:
        _alert(s, cmd, now)
    elif cmd is C.EMERGENCY:
        _emergency(s, now)
    elif cmd is C.HURTS:
        _hurts(s, now)
    elif cmd is C.STOP and s.stage not in (Stage.CONFIRM_END,):
        _stop(s, now)
    elif cmd is C.HELP:
        if event.source in ("key", "switch"):
            s._say("help_keys", keys=s.key_options(few=False))
        else:
            s._say("help", options=s.talk.options(CONTEXTS[s.stage.context]))
        s.ask_again()
        s._listen()
    elif cmd is C.REPEAT:
        for line in s.last_prompt:
            s._say_text(line, "repeat")
        s._listen()
    elif cmd in (C.SLOWER, C.FASTER):
        _speed(s, slower=cmd is C.SLOWER)
    elif cmd in (C.LOUDER, C.QUIETER):
        _volume(s, louder=cmd is C.LOUDER)
    elif cmd is C.HOW_MANY:
        _how_many(s, now)
    elif (
        cmd is C.END
        and (s.stage in RUNNING or s.stage in QUESTIONS)
        and (s.stage is not Stage.CONFIRM_END)
    ):
        _stop(s, now)  # "e" (end) wherever it is shown: ask first, then back to where it was
    elif cmd is C.TIRED and s.stage not in QUESTIONS:
        _tired(s, now)
    elif s.stage in QUESTIONS:
        _answer(s, event, now)
    else:
        _flow(s, cmd, now)


def _flow(s: Session, cmd: Command, now: dt.datetime) -> None:
    """Commands that move through the exercises."""
    stage = s.stage
    if stage is Stage.READY:
        if cmd in (C.START, C.RESUME, C.YES):
            s._start_set(now)
        elif cmd is C.NEXT:
            _next(s, now)
        elif cmd is C.BACK:
            _back(s, now)
        elif cmd in (C.END, C.STOP):
            _confirm_end(s, Stage.READY, now)
        elif cmd is C.PAUSE:
            s._ask(Stage.PAUSED, [("paused", {})], now)
        else:
            _not_now(s)
    elif stage in RUNNING:
        if cmd is C.DONE and stage is Stage.SELF_PACED:
            s.one_done(now)
        elif cmd is C.PAUSE:
            s._halt(now)
            s._ask(Stage.PAUSED, [("paused", {})], now)
        else:
            _not_now(s)
    elif stage is Stage.PAUSED:
        if cmd in (C.RESUME, C.START, C.YES):
            s._resume(now)
        elif cmd is C.NEXT:
            _next(s, now)
        elif cmd is C.BACK:
            s.progress = None
            _back(s, now)
        elif cmd is C.END:
            _confirm_end(s, Stage.PAUSED, now)
        else:
            _not_now(s)
    elif stage is Stage.REST:
        if cmd in (C.NEXT, C.START):
            s._ready_for_set(now)
        elif cmd is C.PAUSE:
            s.wake_at = None
            s._ask(Stage.PAUSED, [("paused", {})], now)
        elif cmd is C.END:
            s._halt(now)
            _confirm_end(s, Stage.REST, now)
        else:
            _not_now(s)


def _not_now(s: Session) -> None:
    """A command that means nothing here: say the few that do, ask again, and listen."""
    s._say("not_understood", options=s.few_options())
    s.ask_again()
    s._listen()


def _next(s: Session, now: dt.datetime) -> None:
    """Skip this exercise; skipping the last one left asks first."""
    if s.index + 1 >= len(s.items) and s.stage is not Stage.CONFIRM_SKIP_LAST:
        s._halt(now)
        s.interrupt(Stage.CONFIRM_SKIP_LAST, [("confirm_skip_last", {})], now)
        return
    if s.progress is not None:
        s._record_set(now, completed=False)
    s._skip("user", now)


def _alert(s: Session, cmd: Command, now: dt.datetime) -> None:
    """After "call your emergency number now": say it again, or close."""
    if cmd in (C.END, C.STOP):
        safety.close_alert(s)
        return
    safety.say_alert(s, now)
    s._listen()


def _back(s: Session, now: dt.datetime) -> None:
    if s.index == 0:
        s.set_no = 1
        s._say("first_exercise")
        s._intro(now)
        return
    s.index -= 1
    s.set_no = 1
    s._say("back_to", name=s.talk.exercise(s.item.exercise_id).name)
    s._intro(now)


def _confirm_end(s: Session, back_to: Stage, now: dt.datetime) -> None:
    s.interrupt(Stage.CONFIRM_END, [("confirm_end", {})], now, back_to=back_to)


def _back_to(s: Session) -> Stage:
    """Where to come back to after an interruption here (a running set comes back paused)."""
    if s.stage in RUNNING or (s.stage is Stage.READY and s.progress is not None):
        return Stage.PAUSED
    return s.stage


def _stop(s: Session, now: dt.datetime) -> None:
    """Stop counting at once, then ask whether to end the session."""
    s._out.append(StopSpeech())
    back_to = _back_to(s)
    s._halt(now)
    s._say("stopped")
    _confirm_end(s, back_to, now)


def _hurts(s: Session, now: dt.datetime) -> None:
    """Stop the exercise at once, log it, ask the pain level."""
    s._out.append(StopSpeech())
    back_to = _back_to(s)
    s._halt(now)
    s._record(records.Stopped(now, s.current_exercise(), "pain"))
    s._say("hurts")
    if not s.exercising:  # at the safety questions: note the pain, then carry on with them
        s.interrupt(Stage.HURT_LEVEL, [("ask_pain_level", {})], now, back_to=back_to)
        return
    # After a whole set (at its questions) the set is done; otherwise it is cut short here.
    s.pain_after_set = s.progress is None and (
        s.stage in (Stage.PAIN, Stage.EFFORT, Stage.OFFER_FEWER)
        or (s.stage is Stage.OFFER_SKIP and s.pain_after_set)
    )
    if s.progress is not None:
        s._record_set(now, completed=False)
    s.returns.clear()
    s._ask(Stage.HURT_LEVEL, [("ask_pain_level", {})], now)


def _emergency(s: Session, now: dt.datetime) -> None:
    """Stroke warning signs: stop, say what to do in short lines, keep them for "repeat"."""
    safety.alert(s, "safety.warning_signs_lines", "warning_signs", now)


def _tired(s: Session, now: dt.datetime) -> None:
    back_to = _back_to(s)
    s._halt(now)
    s._say("tired")
    s.interrupt(Stage.OFFER_SHORTEN, [("offer_shorten", {})], now, back_to=back_to)


def _speed(s: Session, slower: bool) -> None:
    factor = SPEED_STEP if slower else 1 / SPEED_STEP
    new = min(SPEED_MAX, max(SPEED_MIN, s.speed * factor))
    if abs(new - s.speed) < 1e-9:
        s._say("slowest" if slower else "fastest")
    else:
        s.speed = new
        s.rate = min(RATE_MAX, max(RATE_MIN, s.rate + (-RATE_STEP if slower else RATE_STEP)))
        s._out.append(SetVoice(s.rate, s.volume))
        s._say("slower" if slower else "faster")
    s.ask_again()  # at a question: asked again, at the new speed
    s._listen()


def _volume(s: Session, louder: bool) -> None:
    new = min(VOLUME_MAX, max(VOLUME_MIN, s.volume + (VOLUME_STEP if louder else -VOLUME_STEP)))
    if abs(new - s.volume) < 1e-9:
        s._say("loudest" if louder else "quietest")
    else:
        s.volume = round(new, 2)
        s._out.append(SetVoice(s.rate, s.volume))
        s._say("louder" if louder else "quieter")
    s.ask_again()
    s._listen()


def _how_many(s: Session, now: dt.datetime) -> None:
    if s.index >= len(s.items):
        s._listen()
        return
    p = s.progress
    if p is not None and s.stage in (*RUNNING, Stage.PAUSED):
        done = p.done(s.item, len(s.phases), now)
        if s.item.timed:
            s._say("where_timed", left=max(0, s.item.reps - done))
        else:
            s._say("where_counting", done=done, left=s.item.reps - done)
    s._say("where_ready", number=s.index + 1, total=len(s.items), set=s.set_no, sets=s.item.sets)
    left = len(s.items) - s.index - 1
    if left == 0:
        s._say("exercises_left_none")
    else:
        s._say("exercises_left_one" if left == 1 else "exercises_left", left=left)
    s._listen()


def _answer(s: Session, event: Heard, now: dt.datetime) -> None:
    """Answers to questions: numbers and yes/no."""
    stage, cmd = s.stage, event.command
    if stage in (Stage.PAIN, Stage.EFFORT, Stage.HURT_LEVEL):
        if cmd is not C.NUMBER or event.value is None or not 0 <= event.value <= 10:
            _not_now(s)
            return
        pain.rating(s, stage, event.value, now)
        return
    if cmd not in (C.YES, C.NO):
        _not_now(s)
        return
    yes = cmd is C.YES
    if stage is Stage.SAFETY:
        safety.answer(s, yes, now)
    elif stage is Stage.CONFIRM_END:
        if yes:
            s._record(records.Stopped(now, s.current_exercise(), "user"))
            s._finish("stopped", now)
        else:
            s._say("carry_on")
            s.go_back(now)
    elif stage is Stage.CONFIRM_SKIP_LAST:
        if yes:
            s.returns.clear()
            _next(s, now)
        else:
            s._say("carry_on")
            s.go_back(now)
    elif stage in (Stage.OFFER_END_PAIN, Stage.OFFER_SKIP, Stage.OFFER_FEWER):
        pain.answer(s, stage, yes, now)
    elif stage is Stage.OFFER_SHORTEN:
        if yes:
            _shorten(s, now)
            s._say("shortened")
        else:
            s._say("not_shortened")
        s.go_back(now)
    elif stage is Stage.CONFIRM_UNSURE:
        pending, s.pending = s.pending, None
        if yes and pending is not None:
            s.go_back(now, quietly=True)
            dispatch(s, pending, now)
        else:
            s._say("say_again")
            s.go_back(now)


def _shorten(s: Session, now: dt.datetime) -> None:
    """One set of each from now on: finish this set, then one set of each exercise left."""
    s._record(records.Stopped(now, s.item.exercise_id, "tired"))
    current = s.items[s.index]
    s.items[s.index] = replace(current, sets=s.set_no)
    for i in range(s.index + 1, len(s.items)):
        s.items[i] = replace(s.items[i], sets=1)
