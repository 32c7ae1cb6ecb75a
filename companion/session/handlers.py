"""Which command handler acts on a command in the session's current stage (called by
``Session.handle``), and the answers to the session's questions."""

from __future__ import annotations

import datetime as dt

from companion import records
from companion.commands import Command
from companion.events import Heard
from companion.records import Outcome, Reason
from companion.session import handle_anytime as anytime
from companion.session import pain, safety
from companion.session.exercises import ExerciseFlow
from companion.session.handle_flow import next_exercise, not_now, stage_command
from companion.session.state import QUESTIONS, RUNNING, Stage

C = Command


def dispatch(s: ExerciseFlow, event: Heard, now: dt.datetime) -> None:
    """Act on one command in the session's current stage."""
    cmd = event.command
    if s.stage is Stage.ALERT:
        anytime.alert_command(s, cmd, now)
    elif cmd is C.EMERGENCY:
        anytime.emergency(s, now)
    elif cmd is C.HURTS:
        anytime.hurts(s, now)
    elif cmd is C.STOP and s.stage is Stage.CONFIRM_END:
        anytime.stopped_already(s)
    elif cmd is C.STOP:
        anytime.stop(s, now)
    elif cmd is C.HELP:
        anytime.help_me(s, event)
    elif cmd is C.REPEAT:
        anytime.repeat(s, now)
    elif cmd in (C.SLOWER, C.FASTER):
        anytime.speed(s, slower=cmd is C.SLOWER)
    elif cmd in (C.LOUDER, C.QUIETER):
        anytime.volume(s, louder=cmd is C.LOUDER)
    elif cmd is C.HOW_MANY:
        anytime.how_many(s, now)
    elif (
        cmd is C.END
        and (s.stage in RUNNING or s.stage in QUESTIONS)
        and (s.stage is not Stage.CONFIRM_END)
    ):
        anytime.stop(s, now)  # "e" (end) wherever it is shown: ask first, then back to where it was
    elif cmd is C.TIRED and s.stage not in QUESTIONS:
        anytime.tired(s, now)
    elif s.stage in QUESTIONS:
        answer(s, event, now)
    else:
        stage_command(s, cmd, now)


def answer(s: ExerciseFlow, event: Heard, now: dt.datetime) -> None:
    """Answers to questions: numbers and yes/no."""
    stage, cmd = s.stage, event.command
    if stage in (Stage.PAIN, Stage.EFFORT, Stage.HURT_LEVEL):
        if cmd is not C.NUMBER or event.value is None or not 0 <= event.value <= 10:
            not_now(s)
            return
        pain.rating(s, stage, event.value, now)
        return
    if cmd not in (C.YES, C.NO):
        not_now(s)
        return
    yes = cmd is C.YES
    if stage is Stage.SAFETY:
        safety.answer(s, yes, now)
    elif stage is Stage.CONFIRM_END:
        if yes:
            s.record(records.Stopped(now, s.current_exercise(), Reason.USER))
            s.finish(Outcome.STOPPED, now)
        else:
            carry_on(s, "not_ending", now)
    elif stage is Stage.CONFIRM_SKIP_LAST:
        if yes:
            s.forget_interruptions()
            next_exercise(s, now)
        else:
            carry_on(s, "not_skipping", now)
    elif stage in (Stage.OFFER_END_PAIN, Stage.OFFER_SKIP, Stage.OFFER_FEWER):
        pain.answer(s, stage, yes, now)
    elif stage is Stage.OFFER_SHORTEN:
        if yes:
            s.shorten(now)
            s.say("shortened")
        else:
            s.say("not_shortened")
        s.go_back(now)
    elif stage is Stage.CONFIRM_UNSURE:
        pending = s.take_pending()
        if yes and pending is not None:
            s.go_back(now, quietly=True)
            dispatch(s, pending, now)
        else:
            s.say("say_again")
            s.go_back(now)


def carry_on(s: ExerciseFlow, paused_key: str, now: dt.datetime) -> None:
    """A "no" to ending or skipping: back to where it was. A set that was stopped stays paused
    (it is said at once), so the answer then says what was kept, never "we will carry on"."""
    paused = bool(s.returns) and s.returns[-1].stage is Stage.PAUSED
    s.say(paused_key if paused else "carry_on")
    s.go_back(now)
