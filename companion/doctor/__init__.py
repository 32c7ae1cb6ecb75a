"""Checks of this machine's set-up (sound, speech, models, files, daemon), each in plain words.

The checks live by what they look at: ``files_checks``, ``sound_checks`` and
``listening_checks``; what they report is in ``finding``. This module runs them in order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from companion import paths, routine
from companion.doctor.files_checks import (
    check_daemon,
    check_data_dir,
    check_emergency_number,
    check_history,
    check_routine,
)
from companion.doctor.finding import Context, Finding, Status
from companion.doctor.listening_checks import check_own_voice, check_recognition
from companion.doctor.sound_checks import check_microphone, check_speakers, check_speech
from companion.errors import CompanionError

__all__ = [
    "CHECKS",
    "Context",
    "Finding",
    "Status",
    "check_daemon",
    "check_data_dir",
    "check_emergency_number",
    "check_history",
    "check_microphone",
    "check_own_voice",
    "check_recognition",
    "check_routine",
    "check_speakers",
    "check_speech",
    "context",
    "run_all",
]

log = logging.getLogger(__name__)


CHECKS: tuple[Callable[[Context], Finding], ...] = (
    check_data_dir,
    check_routine,
    check_emergency_number,
    check_history,
    check_speech,
    check_speakers,
    check_microphone,
    check_recognition,
    check_own_voice,
    check_daemon,
)
"""Every check, in the order they are shown."""


def context(data_dir: str | None) -> Context:
    """Paths, models folder and the routine (or the reason it cannot be loaded)."""
    p = paths.resolve(data_dir)
    ctx = Context(paths=p, models_dir=paths.models_dir())
    try:
        ctx.routine = routine.load(p.routine_file)
    except CompanionError as exc:
        ctx.routine_problem = exc.message
    return ctx


def run_all(ctx: Context) -> list[Finding]:
    """Run every check; a check that crashes is itself reported, never raised."""
    found = []
    for check in CHECKS:
        try:
            found.append(check(ctx))
        except Exception as exc:  # a doctor must not die of the illness it looks for
            log.exception("check %s crashed", check.__name__)
            found.append(Finding(check.__name__, Status.FAIL, f"the check failed: {exc}"))
    return found
