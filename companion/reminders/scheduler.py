"""The one module that imports APScheduler: daily triggers and the scheduler (jobs in memory).

The jobs are rebuilt at every start from the plain rows of the reminder store
(``companion.reminders.store``); APScheduler itself stores nothing. What fell due while no
daemon ran is worked out from these triggers by ``overdue``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from companion.errors import BadInputError
from companion.reminders import jobs
from companion.reminders.store import Job
from companion.reminders.times import Due, Slot

log = logging.getLogger(__name__)

ROLL_OVER_ID = "roll-over"
WATCH_ID = "watch"
ROLL_OVER_AT = Slot(0, 5)
"""The daily job runs just after midnight, local time."""
MIN_GAP = dt.timedelta(hours=2)
"""Fires of one daily trigger are at least this far apart (more than any clock change)."""


def zone(name: str) -> dt.tzinfo:
    """The IANA zone ``name``, or this computer's zone when empty."""
    if not name:
        return tzlocal.get_localzone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadInputError(
            f"Unknown time zone {name!r}; use a name like 'Europe/London'."
        ) from exc


class DailyTrigger(CronTrigger):
    """A CronTrigger that fires once a day, even in the hour the clocks go back.

    APScheduler 3.11 gives the same time again after a fire in the repeated hour (01:30 on
    the night the clocks go back), which would make the scheduler loop on it. The next fire
    is therefore looked for from two hours after the previous one.
    """

    def get_next_fire_time(
        self, previous_fire_time: dt.datetime | None, now: dt.datetime
    ) -> dt.datetime | None:
        if previous_fire_time is None:
            return super().get_next_fire_time(None, now)
        return super().get_next_fire_time(None, previous_fire_time + MIN_GAP)


def daily_trigger(slot: Slot, tz: dt.tzinfo) -> CronTrigger:
    """Every day at ``slot`` local time in ``tz`` (a 9:00 reminder stays at 9:00 across DST)."""
    return DailyTrigger(hour=slot.hour, minute=slot.minute, second=slot.second, timezone=tz)


def next_times(
    slots: Sequence[Slot], tz: dt.tzinfo, now: dt.datetime, count: int
) -> list[tuple[dt.datetime, Slot]]:
    """The next ``count`` reminder times after ``now``, soonest first."""
    out: list[tuple[dt.datetime, Slot]] = []
    for slot in slots:
        trigger = daily_trigger(slot, tz)
        t = trigger.get_next_fire_time(None, now)
        for _ in range(count):
            if t is None:
                break
            out.append((t, slot))
            t = trigger.get_next_fire_time(t, t + dt.timedelta(microseconds=1))
    return sorted(out, key=lambda pair: pair[0])[:count]


def next_after(slot: Slot, tz: dt.tzinfo, at: dt.datetime) -> dt.datetime:
    """The daily reminder's next time after the one due at ``at``."""
    t = daily_trigger(slot, tz).get_next_fire_time(at, at)
    assert t is not None  # a daily trigger never ends
    return t


def next_from(slot: Slot, tz: dt.tzinfo, now: dt.datetime) -> dt.datetime:
    """The daily reminder's first time at or after ``now``."""
    t = daily_trigger(slot, tz).get_next_fire_time(None, now)
    assert t is not None
    return t


class _Scheduler(BackgroundScheduler):
    """BackgroundScheduler that never touches jobs unless running.

    APScheduler 3 processes due jobs once more while shutting down (state stopped, not paused):
    it cannot run them any more, yet reports them; nothing may happen after ``close``.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()


@dataclass(frozen=True)
class Pending:
    """A job the scheduler waits on."""

    kind: str
    """reminder, snooze or roll-over."""
    slot: str
    at: dt.datetime | None
    snoozes: int = 0


class ReminderScheduler:
    """A BackgroundScheduler with jobs in memory; due and missed reminders go to ``emit``."""

    def __init__(
        self,
        tz: dt.tzinfo,
        grace: dt.timedelta,
        emit: Callable[[jobs.DaemonEvent], None],
    ) -> None:
        self.tz = tz
        self.grace = grace
        self._emit = emit
        self._sched = _Scheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": {"type": "threadpool", "max_workers": 2}},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=tz,
        )
        self._sched.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    # ---- life cycle ----------------------------------------------------------------------

    def start_paused(self) -> None:
        """Start the scheduler thread without firing anything."""
        self._sched.start(paused=True)

    def resume(self) -> None:
        """Begin firing jobs."""
        self._sched.resume()

    def wakeup(self) -> None:
        """Look at the due jobs again now (after the computer slept or the clock changed)."""
        self._sched.wakeup()

    def close(self) -> None:
        """Stop the scheduler thread (the reminder store keeps what is pending)."""
        if self._sched.running:
            self._sched.shutdown(wait=False)

    # ---- jobs ----------------------------------------------------------------------------

    def _misfire_seconds(self) -> int:
        return max(1, int(self.grace.total_seconds()))

    def load(self, slots: Sequence[Slot], snoozes: Sequence[Job], now: dt.datetime) -> None:
        """Rebuild the jobs: a daily one per slot, the stored snoozes, the roll-over."""
        for job in self._sched.get_jobs():
            if job.id.startswith(("reminder ", "snooze ")) or job.id == ROLL_OVER_ID:
                job.remove()
        for slot in slots:
            trigger = daily_trigger(slot, self.tz)
            job_id = f"reminder {slot.label}"
            self._sched.add_job(
                jobs.remind,
                trigger=trigger,
                id=job_id,
                name=f"{job_id} {self.tz}",
                kwargs={"slot": slot.label, "snoozes": 0},
                misfire_grace_time=self._misfire_seconds(),
                next_run_time=trigger.get_next_fire_time(None, now),
            )
        for job in snoozes:
            if job.kind == "snooze":
                # one already due (its event may be queued) fires at once; the daemon's
                # delivery record keeps it from being given twice
                self.snooze(job)
        roll = daily_trigger(ROLL_OVER_AT, self.tz)
        self._sched.add_job(
            jobs.roll_over,
            trigger=roll,
            id=ROLL_OVER_ID,
            name=ROLL_OVER_ID,
            misfire_grace_time=None,
            next_run_time=roll.get_next_fire_time(None, now),
        )

    def watch(self, every: dt.timedelta, look: Callable[[], None]) -> None:
        """Call ``look`` every ``every`` (on a scheduler thread) while running."""
        self._sched.add_job(
            look,
            trigger=IntervalTrigger(seconds=every.total_seconds(), timezone=self.tz),
            id=WATCH_ID,
            name=WATCH_ID,
            replace_existing=True,
            misfire_grace_time=None,
        )

    def snooze(self, job: Job) -> None:
        """Give the reminder of ``job.slot`` again at ``job.next_run``."""
        self._sched.add_job(
            jobs.remind,
            trigger=DateTrigger(run_date=job.next_run, timezone=self.tz),
            id=job.id,
            name=job.id,
            replace_existing=True,
            kwargs={"slot": job.slot, "snoozes": job.snoozes},
            misfire_grace_time=self._misfire_seconds(),
        )

    def cancel_snoozes(self) -> None:
        """Drop every pending snooze (the day was let go)."""
        for job in self._sched.get_jobs():
            if job.id.startswith("snooze "):
                job.remove()

    def pending(self) -> list[Pending]:
        """Every reminder and roll-over job, soonest first."""
        out = []
        for job in self._sched.get_jobs():
            if job.id == WATCH_ID:
                continue
            kind = job.id.split(" ")[0]
            out.append(
                Pending(
                    kind,
                    str(job.kwargs.get("slot", "")),
                    job.next_run_time,
                    int(job.kwargs.get("snoozes", 0)),
                )
            )
        return sorted(out, key=lambda p: (p.at is None, p.at or dt.datetime.max))

    # ---- events from the scheduler's threads ---------------------------------------------

    def _on_event(self, event: JobExecutionEvent) -> None:
        at = event.scheduled_run_time
        if event.job_id == WATCH_ID:
            return
        if event.job_id == ROLL_OVER_ID:
            if event.code == EVENT_JOB_EXECUTED:
                self._emit(jobs.RollOver(at))
            return
        kind, _, slot = event.job_id.partition(" ")
        daily = kind == "reminder"
        if event.code == EVENT_JOB_MISSED:
            self._emit(jobs.Missed(Due(slot, at), daily))
        elif isinstance(event.retval, tuple):
            due = Due(str(event.retval[0]), at, int(event.retval[1]))
            self._emit(jobs.ReminderDue(due, daily))
