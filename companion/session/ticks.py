"""What the session does when time passes in a set or a rest: say the next beat, run a timed
hold, count a rest down. Each sets when it wants to be woken next (``wake_at``)."""

from __future__ import annotations

import datetime as dt

from companion.session.exercises import ExerciseFlow
from companion.session.state import LEAD_IN_S, TIMED_WARNING_S


def beat_interval(s: ExerciseFlow) -> float:
    """Seconds between two beats of the current exercise, at the user's speed."""
    return s.item.seconds_per_rep * s.speed / max(1, len(s.phases))


def count_beat(s: ExerciseFlow, now: dt.datetime) -> None:
    """A counted set: say the next beat ("3. Palm up."), or end the set after the last."""
    p = s.progress
    assert p is not None and s.wake_at is not None
    phases = s.phases
    per_rep = max(1, len(phases))
    if p.beats >= s.item.reps * per_rep:
        s.set_finished(now, completed=True)
        return
    n, phase = divmod(p.beats, per_rep)
    if n and not phase:  # a repetition is done: the status line says so ("Done 2 of 6")
        s.listen()
    s.say_text(s.talk.count_line(n + 1, phase, phases), "count", beat=True)
    p.beats += 1
    s.wake_at = s.wake_at + dt.timedelta(seconds=beat_interval(s))


def timed_tick(s: ExerciseFlow, now: dt.datetime) -> None:
    """A timed set: "go" after the lead-in, a warning before the end, "stop" at it (then the
    other direction, if the exercise has one)."""
    p = s.progress
    assert p is not None
    seconds = s.item.reps
    if p.leading_in:
        p.leading_in = False
        p.running_since = now
        p.warned = seconds <= TIMED_WARNING_S
        s.say("timed_go")
    else:
        run = p.elapsed + (now - (p.running_since or now)).total_seconds()
        if not p.warned and seconds - run > 0.5:
            p.warned = True
            s.say("timed_left", seconds=round(seconds - run))
        elif run >= seconds - 0.05:
            s.say("timed_stop")
            directions = s.talk.exercise(s.item.exercise_id).directions
            if p.direction + 1 < max(1, len(directions)):
                p.direction += 1
                p.elapsed, p.running_since, p.leading_in = 0.0, None, True
                s.say_text(directions[p.direction], "direction")
                s.wake_at = now + dt.timedelta(seconds=LEAD_IN_S * s.speed)
                return
            p.elapsed, p.running_since = float(seconds), None
            s.set_finished(now, completed=True)
            return
    run = p.elapsed + (now - (p.running_since or now)).total_seconds()
    left = seconds - run
    step = left - TIMED_WARNING_S if left > TIMED_WARNING_S + 0.5 else left
    s.wake_at = now + dt.timedelta(seconds=max(0.05, step))


def rest_tick(s: ExerciseFlow, now: dt.datetime) -> None:
    """A rest: say how long is left, or that it is over (then ask for the next set)."""
    assert s.rest_end is not None
    left = (s.rest_end - now).total_seconds()
    if left > 0.5:
        s.say("rest_left", seconds=round(left))
        s.wake_at = s.rest_end
        return
    s.say("rest_over")
    s.ready_for_set(now)
