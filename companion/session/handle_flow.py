"""Commands that move through the exercises, stage by stage: ready, a set running, paused, rest."""

from __future__ import annotations

import datetime as dt

from companion.commands import Command
from companion.records import Reason
from companion.session.exercises import ExerciseFlow
from companion.session.state import RUNNING, Stage

C = Command


def stage_command(s: ExerciseFlow, cmd: Command, now: dt.datetime) -> None:
    """Act on ``cmd`` in the ready, running, paused or rest stage."""
    stage = s.stage
    if stage is Stage.READY:
        if cmd in (C.START, C.RESUME, C.YES):
            s.start_set(now)
        elif cmd is C.NEXT:
            next_exercise(s, now)
        elif cmd is C.BACK:
            s.previous_exercise(now)
        elif cmd in (C.END, C.STOP):
            confirm_end(s, Stage.READY, now)
        elif cmd is C.PAUSE:
            s.ask(Stage.PAUSED, [("paused", {})], now)
        else:
            not_now(s)
    elif stage in RUNNING:
        if cmd is C.DONE and stage is Stage.SELF_PACED:
            s.one_done(now)
        elif cmd is C.PAUSE:
            s.halt(now)
            s.ask(Stage.PAUSED, [("paused", {})], now)
        else:
            not_now(s)
    elif stage is Stage.PAUSED:
        if cmd in (C.RESUME, C.START, C.YES):
            s.resume(now)
        elif cmd is C.NEXT:
            next_exercise(s, now)
        elif cmd is C.BACK:
            s.drop_set()
            s.previous_exercise(now)
        elif cmd is C.END:
            confirm_end(s, Stage.PAUSED, now)
        elif cmd is C.PAUSE:
            s.say("already_paused")  # never "not understood" for a pause
            s.listen()
        else:
            not_now(s)
    elif stage is Stage.REST:
        if cmd in (C.NEXT, C.START):
            s.ready_for_set(now)
        elif cmd is C.PAUSE:
            s.halt(now)  # no set runs at a rest: only its wake-up is cancelled
            s.ask(Stage.PAUSED, [("paused", {})], now)
        elif cmd is C.END:
            s.halt(now)
            confirm_end(s, Stage.REST, now)
        else:
            not_now(s)


def not_now(s: ExerciseFlow) -> None:
    """A command that means nothing here: say the few that do, ask again, and listen."""
    s.say("not_understood", options=s.few_options())
    s.ask_again()
    s.listen()


def next_exercise(s: ExerciseFlow, now: dt.datetime) -> None:
    """Skip this exercise; skipping the last one left asks first."""
    if s.index + 1 >= len(s.items) and s.stage is not Stage.CONFIRM_SKIP_LAST:
        s.halt(now)
        s.interrupt(Stage.CONFIRM_SKIP_LAST, [("confirm_skip_last", {})], now)
        return
    if s.progress is not None:
        s.record_set(now, completed=False)
    s.skip(Reason.USER, now)


def confirm_end(s: ExerciseFlow, back_to: Stage, now: dt.datetime) -> None:
    """Ask whether to end the session; "no" comes back to ``back_to``."""
    s.interrupt(Stage.CONFIRM_END, [("confirm_end", {})], now, back_to=back_to)
