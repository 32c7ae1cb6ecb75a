"""Giving one due reminder: the checks before asking (late, the day let go, a session going
on), the conversation, its outcome stored and logged, and today's session started after it.
A part of ``Daemon`` (``reminders/daemon.py``), which holds the state named below."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from companion import locks, wiring
from companion.commands import Vocabulary
from companion.eventlog import EventLog
from companion.history.store import HistoryStore
from companion.paths import Paths
from companion.prompts import Prompts
from companion.reminders import (
    history_reads,
    jobs,
    notify,
    on_screen,
    scheduler,
    session_child,
    times,
)
from companion.reminders.conversation import Conversation, Settings
from companion.reminders.driver import SharedScript, converse
from companion.reminders.options import Options
from companion.reminders.page_answer import PageAnswerSource
from companion.reminders.scheduler import ReminderScheduler
from companion.reminders.store import DEFERRED, NOT_ASKED, Job, ReminderStore
from companion.routine import Routine
from companion.speech.base import Speaker

log = logging.getLogger(__name__)


class GivesReminders:
    """``Daemon``'s handling of one due reminder, from the moment it is due to its outcome."""

    where: Paths
    options: Options
    status: Callable[[str], None]
    clock: Callable[[], dt.datetime]
    routine: Routine
    tz: dt.tzinfo
    words: Prompts
    vocab: Vocabulary
    history: HistoryStore
    reminders: ReminderStore
    events: EventLog
    sched: ReminderScheduler
    speaker: Speaker
    _script: SharedScript | None

    @property
    def grace(self) -> dt.timedelta:
        """The caregiver's grace window for late reminders."""
        return dt.timedelta(minutes=self.routine.reminders.grace_minutes)

    def _hand_over(self, due: times.Due, daily: bool) -> bool:
        """Record ``due`` as being given and move its job on; False if it was given already."""
        nxt = {}
        if daily:
            nxt[due.slot] = scheduler.next_after(times.parse_slot(due.slot), self.tz, due.at)
        if self.reminders.hand_over([due], nxt):
            return True
        self.status(f"reminder {due.slot} due {due.at.astimezone(self.tz):%H:%M:%S}: given already")
        return False

    def _day(self, due: times.Due) -> dt.date:
        return times.local_day(due.at, self.tz)

    def _log(self, at: dt.datetime, due: times.Due, outcome: str) -> None:
        local = due.at.astimezone(self.tz)
        self.status(f"reminder {due.slot} due {local:%Y-%m-%d %H:%M:%S}: {outcome}")
        self.history.log_reminder(at, self._day(due), outcome)

    def _snooze(self, due: times.Due, outcome: str, back: dt.datetime, snoozes: int) -> None:
        job = Job("snooze", due.slot, back, snoozes)
        self.reminders.finish(due, outcome, snooze=job)
        self.sched.snooze(job)

    def _remind(self, event: jobs.ReminderDue) -> None:
        due = event.due
        if not event.handed_over and not self._hand_over(due, event.daily):
            return
        now = self.clock()
        if not times.within_grace(due, now, self.grace):
            self._log(due.at, due, "missed")
            self.reminders.finish(due, "missed")
            return
        if times.day_let_go(history_reads.outcomes_on(self.history, self._day(due))):
            self.status(f"reminder {due.slot}: today was already let go; not asking again")
            self.reminders.finish(due, NOT_ASKED)
            return
        r = self.routine.reminders
        if locks.is_held(self.where.session_lock):  # a session runs (a crashed one does not)
            back = times.snooze_until(now, r.snooze_minutes, self.options.time_scale)
            self._snooze(due, DEFERRED, back, due.snoozes)
            self.status(
                f"reminder {due.slot}: a session is going on; asking again at "
                f"{back.astimezone(self.tz):%H:%M:%S} if it has ended"
            )
            return
        self._log(now, due, "fired")
        late = now - due.at > dt.timedelta(minutes=1)
        settings = Settings(
            max_snoozes=r.max_snoozes,
            snooze_minutes=r.snooze_minutes,
            answer_wait=dt.timedelta(seconds=self.options.answer_seconds / self.options.time_scale),
            snoozes_used=due.snoozes,
            name=self.routine.name,
            late_since=f"{due.at.astimezone(self.tz):%H:%M}" if late else "",
            emergency_number=self.routine.safety.emergency_number,
        )
        conversation = Conversation(self.words, self.vocab, settings)
        notify.reminder(self.words, self.vocab, settings, now)  # where a desktop runs
        answers = wiring.answer_sources(
            self.routine,
            self.vocab,
            self.speaker,
            self._script,
            self.options.listen,
            self.status,
            self.where.voice_dir,
        )
        with on_screen.shown(self.where.data_dir) as caption:  # an open page shows its words
            outcome = converse(
                conversation,
                answers.speaker,  # with a microphone: tells it what the reminder is saying
                [
                    *answers.sources,
                    PageAnswerSource(self.where.data_dir, now),  # the screen's buttons
                ],
                self.events,
                now,
                caption,
            )
        done = self.clock()
        if outcome not in times.OUTCOMES:
            log.warning("reminder ended oddly (%s); counted as no answer", outcome)
            outcome = "no_answer"
        self._log(done, due, outcome)
        if conversation.safety is not None:  # "it hurts" or the warning signs: a safety event
            what, said = conversation.safety
            self.history.log_reminder_safety(done, self._day(due), what, said)
        if outcome == "snoozed":
            back = times.snooze_until(done, r.snooze_minutes, self.options.time_scale)
            self._snooze(due, outcome, back, due.snoozes + 1)
            self.status(f"reminder {due.slot} snoozed until {back.astimezone(self.tz):%H:%M:%S}")
            return
        self.reminders.finish(due, outcome)
        if outcome in times.LETS_DAY_GO:
            self.reminders.drop_snoozes()
            self.sched.cancel_snoozes()
        elif outcome == "started":
            self._run_session()

    def _run_session(self) -> None:
        if not self.options.session:
            self.status("session not started (--no-session)")
            return
        if locks.is_held(self.where.session_lock):  # Start on the screen: it runs there
            self.status("today's session is already running (started on the screen)")
            return
        cmd = session_child.session_command(self.options)
        self.status("starting today's session: " + " ".join(cmd[2:]))
        self.speaker.close()
        try:
            code = session_child.run_child(cmd)
        finally:
            self.speaker = wiring.make_speaker(self.routine, self.options.voice)
        self.status(
            f"session ended (exit status {code})"
            if code is not None
            else "the session could not start"
        )
