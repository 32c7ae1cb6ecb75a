"""What a doctor check looks at (Context) and what it reports (Finding, Status)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from companion import paths, routine


class Status(str, Enum):
    """How a check went."""

    OK = "ok"
    WARN = "warning"
    """Works with less (captions without a voice, keyboard without a microphone ...)."""
    FAIL = "broken"
    """Essential: the companion cannot run properly until this is fixed."""


@dataclass(frozen=True)
class Finding:
    """The result of one check."""

    name: str
    status: Status
    detail: str
    """What was found, in plain words."""
    fix: str = ""
    """What to do about it (empty when nothing is needed)."""


@dataclass
class Context:
    """What the checks look at."""

    paths: paths.Paths
    models_dir: Path
    routine: routine.Routine | None = None
    routine_problem: str = ""


def ok(name: str, detail: str) -> Finding:
    """A check that passed: ``detail`` says what was found."""
    return Finding(name, Status.OK, detail)
