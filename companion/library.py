"""The exercise library: nine exercises in three levels, facts here, wording in prompts/."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """How an exercise is measured."""

    REPS = "reps"
    TIMED = "timed"


@dataclass(frozen=True)
class Exercise:
    """One exercise of the programme (its wording is ``prompts/<lang>/exercises.toml``)."""

    id: str
    """Stable identifier, also the section name in the prompts file."""
    level: int
    """1 gentle, 2 moderate, 3 challenging."""
    kind: Kind
    """Counted repetitions or a timed effort."""
    equipment: tuple[str, ...]
    """Equipment ids (``none``, ``bottle``, ``pen``, ``coins``)."""
    default_reps: int = 10
    """Repetitions per set to start with (counted exercises)."""
    default_seconds: int = 0
    """Seconds per direction (timed exercises)."""
    seconds_per_rep: float = 4.0
    """Default cadence: seconds for one repetition, all its phases."""
    passive_ok: bool = False
    """The other hand may do the movement (level 1)."""
    max_reps: int = 20
    """Ceiling for progression of repetitions (or seconds for timed ones)."""
    self_paced: bool = False
    """Each repetition takes as long as it takes: the user says "done" (or presses a key) after
    each one instead of following a counted beat."""
    needs_pinch: bool = False
    """Needs the thumb and a finger of the affected hand working together (a pinch)."""
    alternative: str = ""
    """Offered instead when the routine says the affected hand cannot pinch ("" = left out)."""
    per_round: int = 0
    """Self-paced: repetitions one round of the things allows (eight coins: then they are all
    on the table); when the dose asks for more, the user is told to make ready again (pick the
    coins up) after each full round. 0: no rounds."""


LIBRARY: tuple[Exercise, ...] = (
    Exercise("palm_turn", 1, Kind.REPS, ("none",), 10, seconds_per_rep=4.0, passive_ok=True),
    Exercise("wrist_bend", 1, Kind.REPS, ("none",), 10, seconds_per_rep=4.0, passive_ok=True),
    Exercise("wrist_slide", 1, Kind.REPS, ("none",), 10, seconds_per_rep=4.0, passive_ok=True),
    Exercise("bottle_grasp", 2, Kind.REPS, ("bottle",), 10, seconds_per_rep=4.0),
    Exercise("wrist_curl", 2, Kind.REPS, ("bottle",), 10, seconds_per_rep=4.0),
    Exercise("grip_release", 2, Kind.REPS, ("pen",), 8, seconds_per_rep=6.0),
    Exercise(
        "pen_spin", 3, Kind.TIMED, ("pen",), 0, default_seconds=15, max_reps=30, needs_pinch=True
    ),
    Exercise(
        "coin_drop",
        3,
        Kind.REPS,
        ("coins",),
        8,
        seconds_per_rep=5.0,
        max_reps=16,
        self_paced=True,
        needs_pinch=True,
        alternative="grip_release",
        per_round=8,
    ),
    Exercise(
        "finger_thumb",
        3,
        Kind.REPS,
        ("none",),
        5,
        seconds_per_rep=6.0,
        max_reps=15,
        needs_pinch=True,
        alternative="bottle_grasp",
    ),
)

BY_ID: dict[str, Exercise] = {e.id: e for e in LIBRARY}


def by_level(level: int) -> tuple[Exercise, ...]:
    """The exercises of one level, in programme order."""
    return tuple(e for e in LIBRARY if e.level == level)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id (KeyError if unknown)."""
    return BY_ID[exercise_id]
