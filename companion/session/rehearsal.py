"""What a session is going to say, known before it says it: a rehearsal on a copy of the session.

The session is pure (events in, effects out), so a copy of it can be taken through the ordinary
path at once: the safety questions answered "no", "start" at each set, the counts on their
beats, a pain and an effort rating, the rests run out. The lines it says on the way (with the
routine's values filled in: the plan, each exercise's steps, the counts, the questions, rest,
encouragement and closing lines) are what the real session will most likely say, in order, each
tagged with the exercise during which it is said. The speech prefetch renders them ahead.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass

from companion.commands import Command
from companion.events import Begin, Event, Heard, Say, Tick
from companion.session.engine import Session
from companion.session.state import Stage

BEFORE_EXERCISES = -1
"""The step of the lines said before the first exercise (greeting, safety questions)."""
MAX_EVENTS = 20_000
"""A rehearsal that has not ended after this many events is cut short (what it has is kept)."""
ANSWER_GAP = dt.timedelta(seconds=2)
"""Rehearsal time between a question and its answer."""
RATINGS = range(0, 11)
"""Every rating a user may give: the line repeating it is rendered for each."""

_ANSWERS: dict[Stage, Heard] = {
    Stage.SAFETY: Heard(Command.NO),
    Stage.READY: Heard(Command.START),
    Stage.PAUSED: Heard(Command.RESUME),
    Stage.SELF_PACED: Heard(Command.DONE),
    Stage.REST: Heard(Command.NEXT),
    Stage.PAIN: Heard(Command.NUMBER, 1),
    Stage.EFFORT: Heard(Command.NUMBER, 3),
    Stage.HURT_LEVEL: Heard(Command.NUMBER, 1),
}
"""The ordinary answer at each stage (any other question: "no")."""
_RUNS_BY_ITSELF = (Stage.COUNTING, Stage.TIMED, Stage.REST, Stage.SELF_PACED, Stage.ALERT)


@dataclass(frozen=True)
class Upcoming:
    """One line the session will probably say."""

    step: int
    """The exercise (by position) under way when it is said; ``BEFORE_EXERCISES`` before."""
    text: str


def step(session: Session) -> int:
    """Where ``session`` is now, as an ``Upcoming.step`` (read from another thread: a plain
    attribute read, at worst one event old)."""
    return session.index if session.exercising else BEFORE_EXERCISES


def rehearse(session: Session, now: dt.datetime) -> list[Upcoming]:
    """The lines ``session`` (not begun yet; left untouched) will say along the ordinary
    path, in order, each once, starting at ``now``."""
    s = copy.deepcopy(session)
    out: dict[str, Upcoming] = {}
    effects = s.handle(Begin(), now)
    for _ in range(MAX_EVENTS):
        for effect in effects:
            if isinstance(effect, Say):
                _keep(out, Upcoming(step(s), effect.text))
                if effect.key == "heard_number":  # the other ratings, said the same way
                    for value in RATINGS:
                        _keep(out, Upcoming(step(s), s.talk.line("heard_number", value=value)))
        if s.finished:
            break
        event: Event
        if s.wake_at is not None and s.stage in _RUNS_BY_ITSELF:
            now = max(now, s.wake_at)
            event = Tick()
        else:
            now += ANSWER_GAP
            event = _ANSWERS.get(s.stage, Heard(Command.NO))
        effects = s.handle(event, now)
    return list(out.values())


def _keep(out: dict[str, Upcoming], line: Upcoming) -> None:
    if line.text.strip() and line.text not in out:
        out[line.text] = line
