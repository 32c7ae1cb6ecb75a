"""Runs one session: the lock, today's plan, history, the loop (speaker and inputs: wiring.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from companion import commands, locks, wiring
from companion import plan as plan_mod
from companion.clock import ScaledClock, start_of_session
from companion.errors import AlreadyRunningError, StorageError
from companion.eventlog import EventLog
from companion.history.store import HistoryStore
from companion.inputs.base import Source
from companion.loop import Loop
from companion.paths import Paths
from companion.progression import today_plan
from companion.prompts import Prompts
from companion.records import Outcome, SessionEnded
from companion.routine import Routine
from companion.session import preferences
from companion.session.engine import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """How to run a session."""

    day: dt.date | None = None
    """The day it counts for (None: today)."""
    script: list[str | float] | None = None
    """Scripted user lines (None: keyboard and microphone)."""
    voice: bool = True
    """Speak (otherwise captions only)."""
    listen: bool = True
    """Use the microphone."""
    switch: bool = False
    """Single-switch mode."""
    time_scale: float = 1.0
    engine: str = "auto"
    model: str | None = None
    device: str | None = None
    screen: Any = None
    """A ``companion.screen.link.ScreenLink``: the page shows the session and feeds it presses."""


def _already_running(pid: int | None) -> AlreadyRunningError:
    who = f" (process {pid})" if pid else ""
    return AlreadyRunningError(
        f"A session is already running{who}; only one can run at a time.",
        hint="Finish or stop that session first. Nothing was recorded for this one.",
    )


def todays_plan(
    where: Paths, routine: Routine, day: dt.date, stack: contextlib.ExitStack
) -> tuple[plan_mod.Plan, HistoryStore]:
    """Today's plan from the history (opened and kept open on ``stack``)."""
    store = stack.enter_context(HistoryStore.open(where.history_db))
    return today_plan(routine, store, day), store


def _ended_by_ctrl_c(store: HistoryStore, now: dt.datetime) -> None:
    """Ctrl-C quit the session: its history row says so now (``interrupted``, at ``now``), not
    "still running" until the next session starts."""
    if store.session_id is None:
        return
    try:
        store.write(SessionEnded(now, Outcome.INTERRUPTED))
    except StorageError as exc:
        log.warning("the session's end was not recorded: %s", exc)


def run(
    where: Paths, routine: Routine, words: Prompts, options: Options, stack: contextlib.ExitStack
) -> str:
    """Run one session to its end; returns how it ended.

    AlreadyRunningError, before anything is recorded, while another session runs on the same
    data folder (the lock goes with its process, however that ends).
    """
    stack.enter_context(locks.held(where.session_lock, wait=0, busy=_already_running))
    start = start_of_session(options.day)
    clock = ScaledClock(start, options.time_scale)  # runs from now: loading the voice takes time
    day = options.day or start.date()
    plan, store = todays_plan(where, routine, day, stack)
    vocab = commands.vocabulary(routine.language).with_words(
        commands.user_words(routine.vocabulary.pairs)
    )
    prefs_file = preferences.path_in(where.data_dir)
    prefs = preferences.load(prefs_file)
    session = Session(routine, plan, words, vocab, prefs)
    session.switch = session.switch or options.switch
    problems = wiring.DeviceProblems()
    speaker = wiring.make_speaker(
        routine,
        options.voice,
        on_problem=problems.speaker,
        cache_dir=where.speech_cache,
    )
    stack.callback(speaker.close)
    if (ahead := wiring.prefetch(session, speaker, clock.now())) is not None:
        stack.callback(ahead.stop)  # the lines ahead, rendered early (until the session ends)
    # The ways to answer are found before anything is written: a refused session (no way to
    # answer: DeviceError) leaves the history and the event log as they were.
    problems.keep()  # a microphone that fails to open is still told to the session
    inputs = wiring.session_sources(
        routine,
        vocab,
        words,
        speaker,
        wiring.SessionInputs(
            script=options.script,
            time_scale=options.time_scale,
            switch=options.switch,
            listen=options.listen,
            screen=None if options.screen is None else options.screen.source(),
            screen_shown=options.screen is not None and options.screen.shown(),
        ),
        wiring.Hearing(options.engine, options.model, options.device, where.voice_dir),
        problems,
    )
    store.log_changes(day, plan.changes)  # the level/dose changes this session announces
    events = stack.enter_context(contextlib.closing(EventLog(where.event_log)))
    sources: list[Source] = list(inputs.sources)
    loop = Loop(
        session,
        inputs.speaker,
        sources,
        clock,
        events,
        history=store.write,
        history_lost=words.text("session.history_not_saved"),
    )
    problems.connect(loop.put)  # with the problems kept since keep()
    if options.screen is not None:
        loop.watchers.append(options.screen.watcher(session, words))
    if options.screen is not None:  # the screen's own lines (a new pairing code) join its voice
        loop.speaker = options.screen.voice(loop.speaker)
    try:
        how = loop.run()
    except BaseException as exc:
        speaker.stop()  # quitting (Ctrl-C, an error): do not wait for queued lines
        if isinstance(exc, KeyboardInterrupt):
            _ended_by_ctrl_c(store, clock.now())
        raise
    if session.preferences != prefs:  # "slower", "louder": kept for the next session
        try:
            preferences.save(prefs_file, session.preferences)
        except (OSError, StorageError) as exc:
            log.warning("speech preferences not kept: %s", exc)
    unsaved = loop.unsaved_error()  # a full disk mid-session: said once, reported at the end
    if unsaved is not None:
        raise unsaved
    return how
