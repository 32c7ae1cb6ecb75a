"""The reminders daemon: one at a time, scheduler events handled in order on the main thread."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import queue
import time
from collections.abc import Callable

from companion import commands, prompts, wiring
from companion import routine as routine_mod
from companion.errors import CompanionError
from companion.eventlog import EventLog
from companion.history.store import HistoryStore
from companion.paths import Paths
from companion.progression import today_plan
from companion.reminders import (
    jobs,
    overdue,
    scheduler,
    signals,
    times,
)
from companion.reminders.driver import SharedScript
from companion.reminders.giving import GivesReminders
from companion.reminders.lock import DaemonLock
from companion.reminders.options import Options
from companion.reminders.scheduler import ReminderScheduler, zone
from companion.reminders.store import ReminderStore
from companion.reminders.watch import FileWatch
from companion.routine import Routine

log = logging.getLogger(__name__)
POLL_S = 0.5
CLOCK_JUMP_S = 2.0
WATCH_EVERY = dt.timedelta(seconds=2)
"""How often the routine file is looked at for changes."""


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Daemon(GivesReminders):
    """Holds the lock, the scheduler, the history; gives reminders one at a time."""

    def __init__(
        self,
        where: Paths,
        options: Options,
        status: Callable[[str], None],
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.where = where
        self.options = options
        self.status = status
        self.clock = clock
        self.queue: queue.Queue[jobs.DaemonEvent] = queue.Queue()
        self.routine: Routine = routine_mod.default()
        self.tz: dt.tzinfo = dt.timezone.utc
        self.slots: tuple[times.Slot, ...] = ()
        self._script: SharedScript | None = None
        self.routine_watch = FileWatch(where.routine_file)
        self._at = options.at
        """``--at`` times; a ``+SECONDS`` one is pinned to a time of day when start-up ends."""

    # ---- setup ---------------------------------------------------------------------------

    def _load_routine(self) -> None:
        self.routine_watch.mark()
        r = routine_mod.load(self.where.routine_file)
        fixed = [t for t in self._at if times.after_start(t) is None]
        slots = times.parse_slots(fixed if self._at else r.reminders.times)
        self.routine, self.tz, self.slots = r, zone(r.reminders.timezone), slots

    def run(self) -> int:
        """Run until SIGTERM/SIGINT; CompanionError for a second daemon, bad routine or store."""
        self.where.ensure()
        try:
            with (
                signals.handled(lambda: self.queue.put(jobs.Reload())),
                contextlib.ExitStack() as stack,
            ):
                self._start(stack)
                self._loop()
        except signals.Stop:
            self.status("stopping; reminders stay stored for the next start")
        return 0

    def _start(self, stack: contextlib.ExitStack) -> None:
        """Lock, routine, history, scheduler; catch up; then let the scheduler fire."""
        stack.enter_context(DaemonLock(self.where.daemon_lock))
        self._load_routine()
        self.words = prompts.load(self.routine.language)
        self.vocab = commands.vocabulary(self.routine.language)
        self.history = stack.enter_context(HistoryStore.open(self.where.history_db))
        self.reminders = stack.enter_context(ReminderStore.open(self.where.jobs_db))
        for note in self.reminders.notes:
            self.status(note)
        self.events = stack.enter_context(contextlib.closing(EventLog(self.where.event_log)))
        if self.options.script is not None:
            self._script = SharedScript(
                self.options.script,
                self.vocab,
                self.options.time_scale,
                ready=lambda: not self.speaker.busy(),
            )
        self.sched = ReminderScheduler(self.tz, self.grace, self.queue.put)
        stack.callback(self.sched.close)
        self.sched.start_paused()
        now = self.clock()
        self._catch_up(now)
        self._rebuild(now)
        for problem in self.reminders.problems:
            self.status(f"problem: {problem}")
        self.speaker = wiring.make_speaker(self.routine, self.options.voice)
        stack.callback(lambda: self.speaker.close())
        self._safely(lambda: self._roll_over(now), "preparing the plan")
        if any(times.after_start(t) is not None for t in self._at):
            now = self.clock()  # start-up is over: "+SECONDS" counts from here
            self._at = times.pin(self._at, now, self.tz)
            self.slots = times.parse_slots(self._at)
            self._rebuild(now)
        self.sched.watch(WATCH_EVERY, self._look)
        self.sched.resume()
        self._announce()

    def _rebuild(self, now: dt.datetime) -> None:
        """Bring the stored daily reminders in line with the slots; rebuild the jobs from them."""
        self.reminders.set_daily(
            {s.label: scheduler.next_from(s, self.tz, now) for s in self.slots}, now
        )
        self.sched.load(self.slots, self.reminders.jobs(), now)

    def _look(self) -> None:
        """On a scheduler thread: a changed routine file is read again by the loop."""
        if self.routine_watch.changed():
            self.queue.put(jobs.Reload())

    def _safely(self, work: Callable[[], None], what: str) -> None:
        """Do ``work``; a fault is reported and logged, and the reminders go on."""
        try:
            work()
        except CompanionError as exc:
            self.status(f"problem: {exc}")
        except Exception:  # noqa: BLE001 - never die on one event
            log.exception("daemon: %s failed", what)

    def _announce(self) -> None:
        upcoming = [p for p in self.sched.pending() if p.kind != "roll-over" and p.at]
        if upcoming:
            first = upcoming[0]
            assert first.at is not None
            self.status(
                f"running; reminders at {', '.join(s.label for s in self.slots)}; next reminder "
                f"{first.at.astimezone(self.tz):%a %d %b %H:%M:%S} ({first.kind} {first.slot})"
            )
        else:
            self.status("running; no reminder times in the routine")

    # ---- the loop ------------------------------------------------------------------------

    def _loop(self) -> None:
        watch = times.ClockWatch(time.time(), time.monotonic(), CLOCK_JUMP_S)
        while True:
            try:
                event = self.queue.get(timeout=POLL_S)
            except queue.Empty:
                # After a suspend (or a clock change) the scheduler's monotonic wait is wrong:
                # make it look at the wall clock again so a due reminder is not hours late.
                if watch.jumped(time.time(), time.monotonic()):
                    self.status("the clock jumped (sleep or a clock change); checking reminders")
                    self.sched.wakeup()
                continue
            self._safely(functools.partial(self._handle, event), repr(event))

    def _handle(self, event: jobs.DaemonEvent) -> None:
        if isinstance(event, jobs.ReminderDue):
            self._remind(event)
        elif isinstance(event, jobs.Missed):
            if self._hand_over(event.due, event.daily):
                self._log(event.due.at, event.due, "missed")
                self.reminders.finish(event.due, "missed")
        elif isinstance(event, jobs.RollOver):
            self._roll_over(event.at)
        elif isinstance(event, jobs.Reload):
            self._reload()

    def _reload(self) -> None:
        try:
            self._load_routine()
        except CompanionError as exc:
            self.status(f"the routine was not reloaded, the old times stay: {exc}")
            return
        self.sched.tz, self.sched.grace = self.tz, self.grace
        self._rebuild(self.clock())
        self.status("routine reloaded: reminders at " + ", ".join(s.label for s in self.slots))

    def _catch_up(self, now: dt.datetime) -> None:
        """Reminders due while no daemon ran, and ones cut off when it stopped: at most one is
        given (the latest within the grace window); the others are logged as missed."""
        stale = overdue.stale(self.reminders.jobs(), self.tz, now)
        self.reminders.hand_over(stale.dues, stale.daily_next)
        result = times.catch_up(self.reminders.unfinished(), now, self.grace)
        for due in result.missed:
            self._log(due.at, due, "missed")
            self.reminders.finish(due, "missed")
        if result.deliver is not None:
            self.queue.put(jobs.ReminderDue(result.deliver, handed_over=True))

    def _roll_over(self, at: dt.datetime) -> None:
        day = at.astimezone(self.tz).date()
        plan = today_plan(self.routine, self.history, day)
        self.history.log_changes(day, plan.changes)
        self.status(
            f"plan for {day} prepared: {len(plan.items)} exercises, {len(plan.changes)} changes"
        )
