"""The one module that imports APScheduler: daily triggers, the SQLite job store, the scheduler."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tzlocal
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from companion.errors import BadInputError, DatabaseError
from companion.reminders import jobs
from companion.reminders.store_check import check_store
from companion.reminders.times import Due, Slot

log = logging.getLogger(__name__)

ROLL_OVER_ID = "roll-over"
ROLL_OVER_AT = Slot(0, 5)
"""The daily job runs just after midnight, local time."""
MAX_CATCH_UP = 400
"""At most this many missed times are counted per reminder (more than a year of one a day)."""
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


def fire_times(
    trigger: Any, first: dt.datetime, now: dt.datetime, limit: int = MAX_CATCH_UP
) -> list[dt.datetime]:
    """The times ``trigger`` fires from ``first`` (a stored next run time) up to ``now``."""
    out: list[dt.datetime] = []
    t: dt.datetime | None = first
    while t is not None and t <= now and len(out) < limit:
        out.append(t)
        t = trigger.get_next_fire_time(t, now)
    return out


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


class _Scheduler(BackgroundScheduler):
    """BackgroundScheduler that never touches jobs unless running.

    APScheduler 3 processes due jobs once more while shutting down (state stopped, not paused):
    it cannot run them any more, yet moves their next run time on, so a reminder missed while
    the computer was off would vanish when a paused scheduler (``reminders list``) closes.
    """

    def _process_jobs(self) -> float | None:
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()


@dataclass(frozen=True)
class Pending:
    """A job waiting in the store."""

    kind: str
    """reminder, snooze or roll-over."""
    slot: str
    at: dt.datetime | None
    snoozes: int = 0


def _reminder_id(label: str) -> str:
    return f"reminder {label}"


def _snooze_id(label: str) -> str:
    return f"snooze {label}"


class ReminderScheduler:
    """A BackgroundScheduler over ``jobs_db``; due and missed reminders go to ``emit``."""

    def __init__(
        self,
        jobs_db: Path,
        tz: dt.tzinfo,
        grace: dt.timedelta,
        emit: Callable[[jobs.DaemonEvent], None],
    ) -> None:
        check_store(jobs_db)
        self.tz = tz
        self.grace = grace
        self._emit = emit
        self._path = jobs_db
        self._sched = _Scheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{jobs_db}")},
            executors={"default": {"type": "threadpool", "max_workers": 2}},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=tz,
        )
        self._sched.add_listener(self._on_event, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    # ---- life cycle ----------------------------------------------------------------------

    def start_paused(self) -> None:
        """Open the store and start the scheduler thread without firing anything."""
        try:
            self._sched.start(paused=True)
        except Exception as exc:  # SQLAlchemy raises many kinds for a broken file
            raise DatabaseError(
                f"The reminder store {self._path} cannot be opened ({exc}).",
                hint=f"Move it away (mv '{self._path}' '{self._path}.broken')"
                " and start the daemon again.",
            ) from exc

    def open(self, now: dt.datetime) -> list[Due]:
        """Start paused; return the reminders that fell due while nobody ran, moved past now."""
        self.start_paused()
        stale: list[Due] = []
        for job in self._sched.get_jobs():
            if job.id == ROLL_OVER_ID or job.next_run_time is None or job.next_run_time > now:
                continue
            slot = str(job.kwargs.get("slot", "?"))
            if isinstance(job.trigger, CronTrigger):
                stale += [Due(slot, t) for t in fire_times(job.trigger, job.next_run_time, now)]
                job.modify(next_run_time=job.trigger.get_next_fire_time(None, now))
            else:
                stale.append(Due(slot, job.next_run_time, int(job.kwargs.get("snoozes", 0))))
                job.remove()
        return stale

    def resume(self) -> None:
        """Begin firing jobs."""
        self._sched.resume()

    def wakeup(self) -> None:
        """Look at the due jobs again now (after the computer slept or the clock changed)."""
        self._sched.wakeup()

    def close(self) -> None:
        """Stop the scheduler thread; the store keeps every job."""
        if self._sched.running:
            self._sched.shutdown(wait=False)

    # ---- jobs ----------------------------------------------------------------------------

    def _misfire_seconds(self) -> int:
        return max(1, int(self.grace.total_seconds()))

    def sync(self, slots: Sequence[Slot], now: dt.datetime) -> None:
        """Make the stored daily reminders exactly ``slots`` (snoozes are kept)."""
        wanted = {_reminder_id(s.label): s for s in slots}
        for job in self._sched.get_jobs():
            if job.id.startswith("reminder ") and job.id not in wanted:
                log.info("reminders: %s is no longer in the routine; removed", job.id)
                job.remove()
        for job_id, slot in wanted.items():
            trigger = daily_trigger(slot, self.tz)
            self._sched.add_job(
                jobs.REMIND,
                trigger=trigger,
                id=job_id,
                name=f"{job_id} {self.tz}",
                kwargs={"slot": slot.label, "snoozes": 0},
                replace_existing=True,
                misfire_grace_time=self._misfire_seconds(),
                next_run_time=trigger.get_next_fire_time(None, now),
            )
        roll = daily_trigger(ROLL_OVER_AT, self.tz)
        self._sched.add_job(
            jobs.ROLL_OVER,
            trigger=roll,
            id=ROLL_OVER_ID,
            name=ROLL_OVER_ID,
            replace_existing=True,
            misfire_grace_time=None,
            next_run_time=roll.get_next_fire_time(None, now),
        )

    def snooze(self, slot: str, at: dt.datetime, snoozes: int) -> None:
        """Give the reminder of ``slot`` again at ``at`` (stored: it survives a restart)."""
        self._sched.add_job(
            jobs.REMIND,
            trigger=DateTrigger(run_date=at, timezone=self.tz),
            id=_snooze_id(slot),
            name=_snooze_id(slot),
            replace_existing=True,
            kwargs={"slot": slot, "snoozes": snoozes},
            misfire_grace_time=self._misfire_seconds(),
        )

    def cancel_snoozes(self) -> None:
        """Drop every pending snooze (the day was let go)."""
        for job in self._sched.get_jobs():
            if job.id.startswith("snooze "):
                job.remove()

    def pending(self) -> list[Pending]:
        """Every job in the store, soonest first."""
        out = []
        for job in self._sched.get_jobs():
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
        if event.job_id == ROLL_OVER_ID:
            if event.code == EVENT_JOB_EXECUTED:
                self._emit(jobs.RollOver(at))
            return
        slot = event.job_id.partition(" ")[2]
        if event.code == EVENT_JOB_MISSED:
            self._emit(jobs.Missed(Due(slot, at)))
        elif isinstance(event.retval, tuple):
            self._emit(jobs.ReminderDue(Due(str(event.retval[0]), at, int(event.retval[1]))))


def read_pending(jobs_db: Path, tz: dt.tzinfo) -> list[Pending]:
    """The jobs stored in ``jobs_db`` (none if no store yet); safe while the daemon runs."""
    if not jobs_db.exists():
        return []
    s = ReminderScheduler(jobs_db, tz, dt.timedelta(0), lambda e: None)
    try:
        s.start_paused()
        return s.pending()
    finally:
        s.close()
