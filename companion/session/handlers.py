"""What each command does in each stage of the session (called by ``Session.handle``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from companion import records
from companion.commands import CONTEXTS, Command
from companion.events import Heard, SetVoice, StopSpeech
from companion.session.state import EFFORT_HIGH, PAIN_ALERT, PAIN_SEVERE, Stage

if TYPE_CHECKING:
    from companion.session.engine import Session

C = Command
RUNNING = (Stage.COUNTING, Stage.TIMED)
QUESTIONS = (
    Stage.SAFETY,
    Stage.PAIN,
    Stage.EFFORT,
    Stage.HURT_LEVEL,
    Stage.CONFIRM_END,
    Stage.OFFER_END_PAIN,
    Stage.OFFER_SKIP,
    Stage.OFFER_SHORTEN,
    Stage.CONFIRM_UNSURE,
)
SPEED_STEP, SPEED_MIN, SPEED_MAX = 1.25, 0.6, 2.0
RATE_STEP, RATE_MIN, RATE_MAX = 15, 100, 220
VOLUME_STEP, VOLUME_MIN, VOLUME_MAX = 0.15, 0.25, 1.0


def dispatch(s: Session, event: Heard, now: dt.datetime) -> None:
    """Act on one command in the session's current stage."""
    cmd = event.command
    if cmd is C.EMERGENCY:
        _emergency(s, now)
    elif cmd is C.HURTS:
        _hurts(s, now)
    elif cmd is C.STOP and s.stage not in (Stage.CONFIRM_END,):
        _stop(s, now)
    elif cmd is C.HELP:
        s._say("help", options=s.talk.options(CONTEXTS[s.stage.context]))
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
            s._skip("user", now)
        elif cmd is C.BACK:
            _back(s, now)
        elif cmd in (C.END, C.STOP):
            _confirm_end(s, Stage.READY, now)
        elif cmd is C.PAUSE:
            s._ask(Stage.PAUSED, [("paused", {})], now)
        else:
            _not_now(s)
    elif stage in RUNNING:
        if cmd is C.PAUSE:
            s._halt(now)
            s._ask(Stage.PAUSED, [("paused", {})], now)
        else:
            _not_now(s)
    elif stage is Stage.PAUSED:
        if cmd in (C.RESUME, C.START, C.YES):
            s._resume(now)
        elif cmd is C.NEXT:
            s._record_set(now, completed=False)
            s._skip("user", now)
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
        else:
            _not_now(s)


def _not_now(s: Session) -> None:
    """A command that means nothing here: say what does, and listen again."""
    s._say("not_understood", options=s.talk.options(CONTEXTS[s.stage.context]))
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
    s.resume_to = back_to
    s._ask(Stage.CONFIRM_END, [("confirm_end", {})], now)


def _stop(s: Session, now: dt.datetime) -> None:
    """Stop counting at once, then ask whether to end the session."""
    s._out.append(StopSpeech())
    was = s.stage
    s._halt(now)
    s._say("stopped")
    back_to = Stage.PAUSED if was in RUNNING or s.progress is not None else Stage.READY
    if was in QUESTIONS:
        back_to = was
    _confirm_end(s, back_to, now)


def _hurts(s: Session, now: dt.datetime) -> None:
    """Stop the exercise at once, log it, ask the pain level."""
    s._out.append(StopSpeech())
    s._halt(now)
    exercise = s.item.exercise_id if s.index < len(s.items) else ""
    if s.progress is not None:
        s._record_set(now, completed=False)
    s._record(records.Stopped(now, exercise, "pain"))
    s._say("hurts")
    s._ask(Stage.HURT_LEVEL, [("ask_pain_level", {})], now)


def _emergency(s: Session, now: dt.datetime) -> None:
    """Stroke warning signs: stop, say what to do, end the session."""
    s._out.append(StopSpeech())
    number = s.routine.safety.emergency_number or s.words.text("safety.emergency_fallback")
    s._say_text(
        s.words.text("safety.warning_signs", emergency_number=number), "safety.warning_signs"
    )
    s._halt(now)
    if s.progress is not None:
        s._record_set(now, completed=False)
    s._record(
        records.Stopped(now, s.item.exercise_id if s.index < len(s.items) else "", "warning_signs")
    )
    s._end("warning_signs", now)


def _tired(s: Session, now: dt.datetime) -> None:
    s._halt(now)
    s.resume_to = Stage.PAUSED if s.stage in RUNNING or s.stage is Stage.PAUSED else Stage.READY
    s._say("tired")
    s._ask(Stage.OFFER_SHORTEN, [("offer_shorten", {})], now)


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
    s._listen()


def _volume(s: Session, louder: bool) -> None:
    new = min(VOLUME_MAX, max(VOLUME_MIN, s.volume + (VOLUME_STEP if louder else -VOLUME_STEP)))
    if abs(new - s.volume) < 1e-9:
        s._say("loudest" if louder else "quietest")
    else:
        s.volume = round(new, 2)
        s._out.append(SetVoice(s.rate, s.volume))
        s._say("louder" if louder else "quieter")
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
    s._say("exercises_left", left=left) if left else s._say("exercises_left_none")
    s._listen()


def _answer(s: Session, event: Heard, now: dt.datetime) -> None:
    """Answers to questions: numbers and yes/no."""
    stage, cmd = s.stage, event.command
    if stage in (Stage.PAIN, Stage.EFFORT, Stage.HURT_LEVEL):
        if cmd is not C.NUMBER or event.value is None or not 0 <= event.value <= 10:
            _not_now(s)
            return
        _rating(s, stage, event.value, now)
        return
    if cmd not in (C.YES, C.NO):
        _not_now(s)
        return
    yes = cmd is C.YES
    if stage is Stage.SAFETY:
        s._safety_answer(yes, now)
    elif stage is Stage.CONFIRM_END:
        if yes:
            s._record(
                records.Stopped(now, s.item.exercise_id if s.index < len(s.items) else "", "user")
            )
            s._finish("stopped", now)
        else:
            s._say("carry_on")
            _return_to(s, s.resume_to, now)
    elif stage is Stage.OFFER_END_PAIN:
        if yes:
            s._finish("pain", now)
        else:
            s._ask(Stage.OFFER_SKIP, [("offer_skip", {})], now)
    elif stage is Stage.OFFER_SKIP:
        if yes:
            s._skip("pain", now)
        else:
            s._ready_for_set(now)
    elif stage is Stage.OFFER_SHORTEN:
        if yes:
            _shorten(s, now)
            s._say("shortened")
        else:
            s._say("not_shortened")
        _return_to(s, s.resume_to, now)
    elif stage is Stage.CONFIRM_UNSURE:
        pending, s.pending = s.pending, None
        s.stage = s.unsure_from
        if yes and pending is not None:
            _return_quietly(s, now)
            dispatch(s, pending, now)
        else:
            s._say("say_again")
            _return_to(s, s.unsure_from, now)


def _rating(s: Session, stage: Stage, value: int, now: dt.datetime) -> None:
    exercise = s.item.exercise_id
    kind = "effort" if stage is Stage.EFFORT else "pain"
    number = s.set_no
    s._record(records.Rating(now, exercise, number, kind, value))
    s._say("heard_number", value=value)
    if stage is Stage.HURT_LEVEL:
        s._say("pain_advice")
        if value >= PAIN_SEVERE:
            s._ask(Stage.OFFER_END_PAIN, [("offer_end_pain", {})], now)
        else:
            s._ask(Stage.OFFER_SKIP, [("offer_skip", {})], now)
    elif stage is Stage.PAIN:
        if value >= PAIN_ALERT:
            s._say("pain_high")
            s._ask(Stage.OFFER_SKIP, [("offer_skip", {})], now)
        else:
            s._ask(Stage.EFFORT, [("ask_effort", {})], now)
    else:
        if value >= EFFORT_HIGH:
            s._say("effort_high")
        s._after_ratings(now)


def _shorten(s: Session, now: dt.datetime) -> None:
    """One set of each from now on: finish this set, then one set of each exercise left."""
    from companion.plan import PlannedExercise

    s._record(records.Stopped(now, s.item.exercise_id, "tired"))
    current = s.items[s.index]
    s.items[s.index] = PlannedExercise(
        current.exercise_id, s.set_no, current.reps, current.seconds_per_rep, current.rest_seconds
    )
    for i in range(s.index + 1, len(s.items)):
        it = s.items[i]
        s.items[i] = PlannedExercise(
            it.exercise_id, 1, it.reps, it.seconds_per_rep, it.rest_seconds
        )


def _return_to(s: Session, stage: Stage, now: dt.datetime) -> None:
    """Go back to where the user was before a question."""
    if stage is Stage.PAUSED:
        s._ask(Stage.PAUSED, [("paused", {})], now)
    elif stage in RUNNING:
        s._resume(now)
    elif stage is Stage.REST and s.rest_end is not None:
        s.stage = Stage.REST
        s._listen()
        s.wake_at = max(now, s.rest_end)
    elif stage in QUESTIONS:
        for line in s.last_prompt:
            s._say_text(line, "repeat")
        s._enter(stage, now)
    else:
        s._ready_for_set(now)


def _return_quietly(s: Session, now: dt.datetime) -> None:
    """Restore a running set after a confirmation, before acting on the confirmed command."""
    if s.stage in RUNNING and s.progress is not None:
        s.progress.leading_in = s.stage is Stage.TIMED
        s.wake_at = now
