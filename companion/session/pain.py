"""Pain and effort in the session: ratings, lowering the dose, ending an exercise or the day."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from companion import records
from companion.records import Outcome, Reason
from companion.session import safety
from companion.session.exercises import ExerciseFlow
from companion.session.state import (
    EFFORT_HIGH,
    EFFORT_OFFER_FEWER,
    PAIN_ALERT,
    PAIN_SEVERE,
    Stage,
)


def rating(s: ExerciseFlow, stage: Stage, value: int, now: dt.datetime) -> None:
    """Record a 0-10 rating and act on it (``stage``: PAIN, EFFORT or HURT_LEVEL)."""
    kind = "effort" if stage is Stage.EFFORT else "pain"
    s.record(records.Rating(now, s.current_exercise(), s.set_no, kind, value))
    s.say("heard_number", value=value)
    if stage is Stage.HURT_LEVEL and not s.exercising:
        # At the safety questions: more than 6 means no exercise today; else ask on.
        safety.record(s, "pain_now", str(value), s.talk.line("ask_pain_level"), now)
        if value >= PAIN_SEVERE:
            safety.stop_kindly(s, now)
        else:
            s.say("pain_noted")
            s.go_back(now)
    elif stage is Stage.HURT_LEVEL and s.returns and s.returns[-1].stage is Stage.OFFER_END_PAIN:
        s.say("pain_advice")  # the exercise is already left for today: "stop for today?" again
        s.go_back(now)
    elif stage is Stage.HURT_LEVEL:
        s.say("pain_advice")
        _pain(s, value, now)
    elif stage is Stage.PAIN:
        s.pain_after_set = True
        if value >= PAIN_ALERT:
            _pain(s, value, now)
        else:
            s.ask(Stage.EFFORT, [("ask_effort", {})], now)
    elif value >= EFFORT_OFFER_FEWER and _sets_left(s) and s.item.reps > 1:
        s.say("effort_high")
        s.ask(Stage.OFFER_FEWER, [("offer_fewer", {})], now)
    else:
        if value >= EFFORT_HIGH:
            s.say("effort_high")
        s.after_ratings(now)


def answer(s: ExerciseFlow, stage: Stage, yes: bool, now: dt.datetime) -> None:
    """A yes or no to "stop for today?", "skip this exercise?" or "fewer repetitions?"."""
    if stage is Stage.OFFER_END_PAIN:
        safety.record(
            s, "stop_for_today", "yes" if yes else "no", s.talk.line("offer_end_pain"), now
        )
        if yes:
            s.finish(Outcome.PAIN, now)
        else:
            s.next_exercise(now)
    elif stage is Stage.OFFER_SKIP:
        safety.record(s, "skip_after_pain", "yes" if yes else "no", s.talk.line("offer_skip"), now)
        if yes:
            s.skip(Reason.PAIN, now)
            return
        # Carry on, gently: a lower dose, a rest, and the effort question after a whole set.
        s.pain_reduced.add(s.index)
        if not s.pain_after_set:
            lower(s)
            s.start_rest(now)
            return
        if _sets_left(s):
            lower(s)
        s.ask(Stage.EFFORT, [("ask_effort", {})], now)
    elif stage is Stage.OFFER_FEWER:
        if yes:
            lower(s)
        else:
            s.say("not_reduced")
        s.after_ratings(now)


def lower(s: ExerciseFlow) -> None:
    """Halve the dose of the current exercise for the rest of today, and say so."""
    item = s.items[s.index]
    reps = max(1, item.reps // 2)
    s.items[s.index] = replace(item, reps=reps)
    if item.timed:
        s.say("reduced_timed", reps=reps)
    else:
        s.say("reduced_one" if reps == 1 else "reduced", reps=reps)


def _sets_left(s: ExerciseFlow) -> bool:
    return s.set_no < s.item.sets


def _pain(s: ExerciseFlow, value: int, now: dt.datetime) -> None:
    """Pain of ``PAIN_ALERT`` or more (or any "it hurts"): offer a skip, or end the exercise."""
    if value >= PAIN_SEVERE:
        if s.pain_after_set:
            s.say("pain_severe")
        _end_exercise(s, "pain_exercise_over", now, offer_stop=True)
    elif s.index in s.pain_reduced:
        _end_exercise(s, "pain_again", now, offer_stop=False)  # never round again
    elif s.pain_after_set and not _sets_left(s):
        s.say("pain_high")  # its last set is done: nothing of it is left to skip
        s.ask(Stage.EFFORT, [("ask_effort", {})], now)
    else:
        if s.pain_after_set:
            s.say("pain_high")
        s.ask(Stage.OFFER_SKIP, [("offer_skip", {})], now)


def _end_exercise(s: ExerciseFlow, key: str, now: dt.datetime, offer_stop: bool) -> None:
    """No more of this exercise today; after severe pain, offer to stop for today."""
    exercise = s.item.exercise_id
    if s.pain_after_set and not _sets_left(s):
        s.record(records.Stopped(now, exercise, Reason.PAIN))
    else:
        s.record(records.Skipped(now, exercise, Reason.PAIN))
    s.say(key, name=s.talk.exercise(exercise).name)
    last = s.index + 1 >= len(s.items)
    if offer_stop and last:
        s.finish(Outcome.PAIN, now)
    elif offer_stop:
        s.ask(Stage.OFFER_END_PAIN, [("offer_end_pain", {})], now)
    else:
        s.next_exercise(now)
