"""Puts a session together: routine, today's plan, history, speaker, inputs, clock, loop."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import commands, locks
from companion import plan as plan_mod
from companion.clock import ScaledClock, start_of_session
from companion.errors import AlreadyRunningError, DeviceError, StorageError
from companion.eventlog import EventLog
from companion.events import DeviceProblem
from companion.inputs.base import Source
from companion.inputs.script import ScriptSource
from companion.loop import Loop
from companion.paths import Paths
from companion.prompts import Prompts
from companion.routine import Routine
from companion.session import preferences
from companion.session.engine import Session
from companion.speech.base import Speaker
from companion.speech.captions import CaptionSink, SilentSpeaker

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


def session_lock(where: Paths) -> Path:
    """The lock file held for a session's whole life: one session at a time per data folder."""
    return where.data_dir / "session.lock"


def _already_running(pid: int | None) -> AlreadyRunningError:
    who = f" (process {pid})" if pid else ""
    return AlreadyRunningError(
        f"A session is already running{who}; only one can run at a time.",
        hint="Finish or stop that session first. Nothing was recorded for this one.",
    )


def _speaker(
    routine: Routine, options: Options, loop_put: list[Any], cache_dir: Path | None = None
) -> Speaker:
    captions = CaptionSink(sys.stdout)
    if not options.voice:
        return SilentSpeaker(captions)

    def on_problem(detail: str) -> None:
        if loop_put:
            loop_put[0](DeviceProblem("speaker", detail))

    from companion.speech import make_speaker

    return make_speaker(
        voice=True,
        rate=routine.speech.rate,
        volume=routine.speech.volume,
        voice_id=routine.speech.voice,
        captions=captions,
        on_problem=on_problem,
        pause=routine.speech.pause_seconds,
        cache_dir=cache_dir,
    )


def todays_plan(
    where: Paths, routine: Routine, day: dt.date, stack: contextlib.ExitStack
) -> tuple[plan_mod.Plan, Any]:
    """Today's plan from the history (opened and kept open on ``stack``)."""
    from companion.history.store import HistoryStore

    store = stack.enter_context(HistoryStore.open(where.history_db))
    try:
        from companion.progression import today_plan
    except ImportError:
        return plan_mod.from_routine(routine, day), store
    return today_plan(routine, store, day), store


def run(
    where: Paths, routine: Routine, words: Prompts, options: Options, stack: contextlib.ExitStack
) -> str:
    """Run one session to its end; returns how it ended.

    AlreadyRunningError, before anything is recorded, while another session runs on the same
    data folder (the lock goes with its process, however that ends).
    """
    stack.enter_context(locks.held(session_lock(where), wait=0, busy=_already_running))
    start = start_of_session(options.day)
    day = options.day or start.date()
    plan, store = todays_plan(where, routine, day, stack)
    store.log_changes(day, plan.changes)  # the level/dose changes this session announces
    vocab = commands.vocabulary(routine.language).with_words(
        commands.user_words(routine.vocabulary.pairs)
    )
    prefs_file = preferences.path_in(where.data_dir)
    prefs = preferences.load(prefs_file)
    session = Session(routine, plan, words, vocab, prefs)
    put: list[Any] = []
    speaker = _speaker(routine, options, put, where.data_dir / "speech-cache")
    stack.callback(speaker.close)
    events = stack.enter_context(contextlib.closing(EventLog(where.event_log)))
    sources: list[Source] = []
    clock = ScaledClock(start, options.time_scale)
    loop = Loop(
        session,
        speaker,
        sources,
        clock,
        events,
        history=store.write,
        history_lost=words.text("session.history_not_saved"),
    )
    put.append(loop.put)
    if options.screen is not None:
        sources.append(options.screen.source())
        loop.watchers.append(options.screen.watcher(session, words))
    if options.script is not None:
        sources.append(
            ScriptSource(
                options.script, vocab, options.time_scale, ready=lambda: not speaker.busy()
            )
        )
    else:
        from companion.inputs.keyboard import KeyboardSource

        keyboard = KeyboardSource.for_terminal(
            vocab,
            switch=options.switch or routine.input.switch,
            echo=lambda text: speaker.say(text),
            words=words,
            scan_s=routine.input.scan_seconds,
            quiet=lambda: not speaker.busy(),
        )
        if keyboard is not None:
            sources.append(keyboard)
        if options.listen and routine.input.voice:
            sources += _voice_sources(routine, options, vocab, speaker, put, where.voice_dir)
        if not sources:
            raise DeviceError(
                "There is no way to answer: no keyboard (not a terminal) and no microphone.",
                hint="Run it in a terminal, connect a microphone, or give --script FILE.",
            )
    for source in sources:
        own = getattr(source, "own", None)
        if own is not None:
            from companion.listen.voice import TeeSpeaker

            loop.speaker = TeeSpeaker(speaker, own)
    try:
        how = loop.run()
    except BaseException:
        speaker.stop()  # quitting (Ctrl-C, an error): do not wait for queued lines
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


def _voice_sources(
    routine: Routine,
    options: Options,
    vocab: commands.Vocabulary,
    speaker: Speaker,
    put: list[Any],
    user_voice: Path,
) -> list[Source]:
    """The microphone listener, if recognition is available; else tell the user once."""
    try:
        from companion.listen.voice import VoiceSource
    except ImportError:
        log.info("voice input not available")
        return []
    try:
        return [
            VoiceSource.create(
                routine,
                vocab,
                engine=options.engine,
                model=options.model,
                device=options.device,
                speaker=speaker,
                on_problem=lambda d: put[0](DeviceProblem("microphone", d)),
                user_voice=user_voice,
            )
        ]
    except Exception as exc:  # noqa: BLE001 - any failure: go on without the microphone
        log.warning("no voice input: %s", exc)
        if put:
            put[0](DeviceProblem("microphone", str(exc)))
        return []
