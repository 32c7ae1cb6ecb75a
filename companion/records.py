"""What a session writes to the history: one frozen record per fact, each with its time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How a session ended, as ``SessionEnded.how`` and the history store it."""

    COMPLETED = "completed"
    """Gone through to the end with something done (or nothing was planned)."""
    SKIPPED = "skipped"
    """Gone through to the end with nothing done (never a completed day)."""
    STOPPED = "stopped"
    """The user ended it."""
    PAIN = "pain"
    """Ended for pain ("stop for today?" answered yes, or severe pain at the last exercise)."""
    SAFETY_CHECK = "safety_check"
    """A pre-session safety answer was yes (or pain above 6 before the exercises)."""
    WARNING_SIGNS = "warning_signs"
    """Stroke warning signs were reported."""
    INCOMPLETE = "incomplete"
    """The input ended (the script or the terminal closed)."""
    INTERRUPTED = "interrupted"
    """Never ended (the program stopped): written by the history store at the next start, or
    by the runner when Ctrl-C quits; never by a session."""


UNFINISHED = "unfinished"
"""Shown for a session with no ending stored yet: still running, or the program stopped and
no session has started since (which marks it ``Outcome.INTERRUPTED``)."""


class Reason(StrEnum):
    """Why an exercise or the session was stopped or skipped (``Stopped.reason``,
    ``Skipped.reason``)."""

    USER = "user"
    PAIN = "pain"
    TIRED = "tired"
    WARNING_SIGNS = "warning_signs"
    SAFETY_CHECK = "safety_check"


@dataclass(frozen=True)
class SessionStarted:
    """A session began."""

    at: dt.datetime
    day: dt.date
    """The day it counts for (may differ from ``at`` when back-filling)."""
    planned: tuple[tuple[str, int, int], ...]
    """(exercise id, sets, reps or seconds) for each planned exercise."""


@dataclass(frozen=True)
class SetDone:
    """A set ended (finished or cut short); committed at once."""

    at: dt.datetime
    exercise_id: str
    set_number: int
    planned: int
    """Planned repetitions, or seconds for a timed exercise."""
    done: int
    duration_s: float
    completed: bool


@dataclass(frozen=True)
class Rating:
    """A pain or effort rating, 0-10."""

    at: dt.datetime
    exercise_id: str
    set_number: int
    kind: str
    """pain or effort."""
    value: int


@dataclass(frozen=True)
class Stopped:
    """The exercise or session was stopped."""

    at: dt.datetime
    exercise_id: str
    """The exercise under way ("" before the first one, e.g. at the safety check)."""
    reason: Reason
    """Why: the user, pain, tired (the session shortened), warning signs, a safety answer."""


@dataclass(frozen=True)
class Skipped:
    """An exercise was skipped."""

    at: dt.datetime
    exercise_id: str
    reason: Reason
    """Why: the user ("next"), or pain."""


@dataclass(frozen=True)
class SafetyAnswer:
    """An answer given for safety: a pre-session question, a pain level at those questions,
    "Shall we stop for today?", or the "call now" alert being shown."""

    at: dt.datetime
    question: str
    """Stable id: chest_pain, dizziness, pain_over_6 (the pre-session questions, in order),
    pain_now (a pain level at those questions), stop_for_today, skip_after_pain (the answer to
    "Shall we skip this exercise?" after pain), call_now_alert."""
    answer: str
    """yes or no; a number 0-10 for pain_now; for call_now_alert why it was shown (chest_pain
    or warning_signs)."""
    text: str = ""
    """The words asked, as said (the wording may change between versions)."""


@dataclass(frozen=True)
class SessionEnded:
    """The session ended."""

    at: dt.datetime
    how: Outcome
    """How it ended (never ``Outcome.INTERRUPTED``: the history store writes that)."""


Record = SessionStarted | SetDone | Rating | Stopped | Skipped | SafetyAnswer | SessionEnded
