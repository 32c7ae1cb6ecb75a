"""Pure reminder timing: reminder slots, catching up after downtime, and when a day is let go."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from companion.errors import BadInputError

_SLOT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")

OUTCOMES = ("fired", "snoozed", "started", "skipped", "no_answer", "missed")
"""What can happen to a reminder (the history's reminder outcomes)."""

LETS_DAY_GO = frozenset({"skipped"})
"""Outcomes after which no more reminders are given that day ("skip today"). An unanswered
reminder only ends itself: each reminder time stands on its own."""


@dataclass(frozen=True, order=True)
class Slot:
    """A daily reminder time, local to the routine's zone."""

    hour: int
    minute: int
    second: int = 0
    """Seconds are for tests only; the routine file holds HH:MM."""

    @property
    def label(self) -> str:
        """HH:MM, or HH:MM:SS when the seconds are not zero."""
        base = f"{self.hour:02d}:{self.minute:02d}"
        return f"{base}:{self.second:02d}" if self.second else base


def parse_slot(text: str) -> Slot:
    """A slot from ``HH:MM`` or ``HH:MM:SS``; BadInputError otherwise."""
    m = _SLOT.match(text.strip())
    if not m:
        raise BadInputError(f"{text!r} is not a time; use HH:MM like 10:30 (or HH:MM:SS).")
    return Slot(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


_AFTER_START = re.compile(r"^\+(\d{1,5})$")


def after_start(text: str) -> int | None:
    """The seconds of ``+SECONDS`` (a reminder that long after start-up), else None."""
    m = _AFTER_START.match(text.strip())
    return int(m.group(1)) if m else None


def pin(texts: Iterable[str], now: dt.datetime, zone: dt.tzinfo) -> tuple[str, ...]:
    """``texts`` with each ``+SECONDS`` replaced by that time of day after ``now`` in ``zone``."""
    out = []
    for text in texts:
        seconds = after_start(text)
        if seconds is None:
            out.append(text)
        else:
            at = (now + dt.timedelta(seconds=seconds)).astimezone(zone)
            out.append(f"{at:%H:%M:%S}")
    return tuple(out)


def parse_slots(texts: Iterable[str]) -> tuple[Slot, ...]:
    """Sorted, de-duplicated slots."""
    return tuple(sorted({parse_slot(t) for t in texts}))


@dataclass(frozen=True)
class Due:
    """A reminder that fell due."""

    slot: str
    """The slot's label (HH:MM)."""
    at: dt.datetime
    """When it was due (aware)."""
    snoozes: int = 0
    """How many times it was already put off with "later"."""


@dataclass(frozen=True)
class CatchUp:
    """What to do with reminders that fell due while the daemon was not running."""

    deliver: Due | None
    """The one reminder to give now, if any is still within the grace window."""
    missed: tuple[Due, ...]
    """Reminders to log as missed, oldest first."""


def within_grace(due: Due, now: dt.datetime, grace: dt.timedelta) -> bool:
    """Whether ``due`` may still be given at ``now``."""
    return now - due.at <= grace


def catch_up(stale: Sequence[Due], now: dt.datetime, grace: dt.timedelta) -> CatchUp:
    """At most one delivery (the latest within grace); every other stale reminder is missed."""
    ordered = sorted(stale, key=lambda d: d.at)
    fresh = [d for d in ordered if within_grace(d, now, grace)]
    deliver = fresh[-1] if fresh else None
    return CatchUp(deliver=deliver, missed=tuple(d for d in ordered if d is not deliver))


def day_let_go(outcomes_today: Iterable[str]) -> bool:
    """Whether the day was let go ("skip today"): no more reminders until tomorrow."""
    return any(o in LETS_DAY_GO for o in outcomes_today)


def snooze_until(now: dt.datetime, minutes: int, time_scale: float = 1.0) -> dt.datetime:
    """When a snoozed reminder comes back (``time_scale`` > 1 shortens it, for demos and tests)."""
    return now + dt.timedelta(minutes=minutes) / time_scale


def local_day(at: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The calendar day ``at`` falls on in ``zone``."""
    return at.astimezone(zone).date()


class ClockWatch:
    """Notices when the wall clock jumps against the monotonic clock (a suspend, a clock change).

    The scheduler waits on the monotonic clock, which stands still while the computer sleeps;
    after such a jump it must look at the wall clock again.
    """

    def __init__(self, wall: float, mono: float, limit_s: float = 2.0) -> None:
        self._offset = wall - mono
        self._limit = limit_s

    def jumped(self, wall: float, mono: float) -> bool:
        """Whether the clocks moved apart by more than the limit since the last jump."""
        offset = wall - mono
        if abs(offset - self._offset) <= self._limit:
            return False
        self._offset = offset
        return True
