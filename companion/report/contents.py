"""What the therapist's report holds: its days, its stops and everything shown (ReportData)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from companion.history import queries

DONE, PARTLY, MISSED, NOT_STARTED = "done", "partly", "missed", "not started"
"""Adherence of one day: every planned set done in a completed session; some practice; no
practice at all; or a day before the first session ever recorded (not counted)."""


@dataclass(frozen=True)
class Day:
    """One calendar day of the report."""

    day: dt.date
    status: str
    sessions: int = 0
    reps: dict[str, int] = field(default_factory=dict)
    """Repetitions done per counted exercise."""
    seconds: dict[str, int] = field(default_factory=dict)
    """Seconds done per timed exercise."""
    sets_done: int = 0
    sets_planned: int = 0
    max_pain: int | None = None
    max_effort: int | None = None
    stops: int = 0

    @property
    def total_reps(self) -> int:
        """All repetitions of counted exercises that day."""
        return sum(self.reps.values())


@dataclass(frozen=True)
class Stop:
    """A stop, a skip or a session that ended early, with its reason."""

    at: str
    day: dt.date
    what: str
    """stop, skip or session."""
    exercise_id: str
    reason: str
    pain: int | None = None
    """The pain level given in answer to a stop for pain ("it hurts", then "How bad is the
    pain?"), else the pain rating given last before (or with) the stop in that session."""
    session_id: int = 0
    follows: bool = False
    """Part of the same event as the row before it (an "it hurts" stop, then that exercise
    skipped, then the session ended for pain): shown, but counted once, at its first row."""

    @property
    def at_questions(self) -> bool:
        """ "It hurts" at the safety questions: the level is noted and the questions go on, so
        nothing was stopped (a level over 6 ends the session by a stop of its own)."""
        return self.what == "stop" and not self.exercise_id and self.reason == "pain"

    @property
    def safety(self) -> bool:
        """A stop the companion made for safety: pain too high or a safety answer of yes."""
        return self.reason in SAFETY_REASONS and not self.at_questions

    @property
    def counted(self) -> bool:
        """The first row of an event: each stop, skip or early end is counted once ("it hurts"
        at the safety questions is shown, but stopped nothing)."""
        return not self.follows and not self.at_questions


SAFETY_REASONS = frozenset({"pain", "safety_check"})
"""Stop reasons that are safety stops."""


@dataclass(frozen=True)
class ReportData:
    """Everything the report shows for the days ``first`` to ``last``."""

    first: dt.date
    last: dt.date
    days: tuple[Day, ...]
    ratings: tuple[queries.RatingRow, ...]
    changes: tuple[queries.ChangeRow, ...]
    stops: tuple[Stop, ...]
    per_exercise: dict[str, tuple[int, int, int]]
    """exercise id -> (repetitions or seconds done, sets done, sets planned)."""
    reminders: dict[str, int] = field(default_factory=dict)
    """How many reminders had each outcome (fired, snoozed, started, skipped, missed ...)."""
    safety: tuple[queries.SafetyRow, ...] = ()
    """Every safety answer, in the order given."""
    at_reminders: tuple[queries.ReminderSafetyRow, ...] = ()
    """"It hurts" and the stroke warning signs said at reminders, and "It hurts" pressed on the
    screen with nothing asking (no session running); ``place`` says which."""
    since: dict[str, dt.date] = field(default_factory=dict)
    """exercise id -> the day its current dose or level began (its last change, else the first
    session that planned it)."""
    dose: dict[str, tuple[int, int]] = field(default_factory=dict)
    """exercise id -> (sets, reps or seconds) in effect: as the latest session by ``last``
    planned it (progression may have moved it from the routine file's dose)."""

    def pain_by_exercise(self) -> dict[str, tuple[int, int, float]]:
        """exercise id -> (number of pain ratings, highest, mean)."""
        values: dict[str, list[int]] = defaultdict(list)
        for r in self.ratings:
            if r.kind == "pain":
                values[r.exercise_id].append(r.value)
        return {ex: (len(v), max(v), sum(v) / len(v)) for ex, v in values.items()}

    def safety_by_session(self) -> list[tuple[int, list[queries.SafetyRow]]]:
        """(session id, its safety answers), sessions in the order they were held."""
        grouped: dict[int, list[queries.SafetyRow]] = {}
        for row in self.safety:
            grouped.setdefault(row.session_id, []).append(row)
        return list(grouped.items())

    def stop_events(self) -> int:
        """Stops, skips and early ends, each event once."""
        return sum(1 for x in self.stops if x.counted)

    def safety_stops(self) -> int:
        """Safety stops, each event once (not again as the session end it caused)."""
        return sum(1 for x in self.stops if x.counted and x.safety)

    def count(self, status: str) -> int:
        """How many days had this adherence status."""
        return sum(1 for d in self.days if d.status == status)

    @property
    def adherence(self) -> float | None:
        """Share of counted days (after practice began) that were done or partly done."""
        counted = [d for d in self.days if d.status != NOT_STARTED]
        if not counted:
            return None
        return sum(1 for d in counted if d.status != MISSED) / len(counted)
