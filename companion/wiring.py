"""The one place that builds a running companion from settings: its speaker and its inputs.

A session (``runner.py``), a reminder (``reminders/daemon.py``) and ``companion voice teach``
get their speaker here, and sessions and reminders their answer sources: the script, else the
keyboard (or single switch) and the microphone. When the microphone listens, the speaker they
are handed back tells it what is being said (``TeeSpeaker``), so the companion's own voice is
never taken for the user's command.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from companion import speech
from companion.commands import Vocabulary
from companion.errors import DeviceError
from companion.events import DeviceProblem
from companion.inputs.base import Sink, Source
from companion.inputs.keyboard import KeyboardSource
from companion.inputs.keymap import REMINDER_LEGEND
from companion.inputs.script import ScriptSource
from companion.prompts import Prompts
from companion.routine import Routine
from companion.speech.base import Speaker
from companion.speech.captions import CaptionSink

if TYPE_CHECKING:
    from companion.listen.microphone_source import VoiceSource
    from companion.session.engine import Session
    from companion.speech.prefetch import Prefetch

log = logging.getLogger(__name__)

Report = Callable[[str], None]
"""Told, in plain words, that a device failed (``detail``)."""


def _log_speaker(detail: str) -> None:
    log.warning("speaker: %s", detail)


def _log_microphone(detail: str) -> None:
    log.warning("microphone: %s", detail)


class DeviceProblems:
    """Hands speaker and microphone problems to the session loop as ``DeviceProblem`` events.

    The speaker is made before the loop that carries its news, so a problem reported before
    ``connect`` is only logged (the session was not running to say it); after ``keep``, one
    is also kept and handed over on ``connect`` (the inputs, found before the loop is made)."""

    def __init__(self) -> None:
        self._sink: Sink | None = None
        self._kept: list[DeviceProblem] | None = None

    def keep(self) -> None:
        """From now until ``connect``, problems are kept for the loop, not only logged."""
        self._kept = []

    def connect(self, sink: Sink) -> None:
        """From now on, problems go to ``sink`` (the loop's ``put``), the kept ones first."""
        self._sink = sink
        for problem in self._kept or []:
            sink(problem)
        self._kept = None

    def speaker(self, detail: str) -> None:
        """The speaker failed."""
        self._report("speaker", detail)

    def microphone(self, detail: str) -> None:
        """The microphone or the listener failed."""
        self._report("microphone", detail)

    def _report(self, device: str, detail: str) -> None:
        if self._sink is None:
            log.info("%s problem before the session ran: %s", device, detail)
            if self._kept is not None:
                self._kept.append(DeviceProblem(device, detail))
            return
        self._sink(DeviceProblem(device, detail))


@dataclass(frozen=True)
class Hearing:
    """Which recogniser and microphone listen, and where the user's taught recordings are."""

    engine: str = "auto"
    model: str | None = None
    """A recogniser model folder (None: the installed or built-in one)."""
    device: str | None = None
    """A microphone: a number or part of its name (None: the system's default)."""
    user_voice: Path | None = None
    """The user's voice folder (the word classifier retrained with their words)."""

    @classmethod
    def of(cls, routine: Routine, user_voice: Path | None) -> Hearing:
        """The routine's listening settings."""
        lst = routine.listening
        return cls(lst.engine, lst.model or None, lst.device or None, user_voice)


@dataclass(frozen=True)
class Inputs:
    """Where answers come from, and the speaker to say things through."""

    sources: list[Source]
    speaker: Speaker
    """With a microphone, a ``TeeSpeaker``: the listener learns what is being said."""


def make_speaker(
    routine: Routine,
    voice: bool,
    *,
    on_problem: Report = _log_speaker,
    cache_dir: Path | None = None,
) -> Speaker:
    """Captions on standard output, and the routine's voice unless ``voice`` is off.

    ``cache_dir``: where rendered Piper lines are kept across runs (None: memory only)."""
    s = routine.speech
    return speech.make_speaker(
        voice=voice,
        rate=s.rate,
        volume=s.volume,
        voice_id=s.voice,
        captions=CaptionSink(sys.stdout),
        on_problem=on_problem,
        pause=s.pause_seconds,
        cache_dir=cache_dir,
    )


def prefetch(session: Session, speaker: Speaker, now: dt.datetime) -> Prefetch | None:
    """Start rendering what ``session`` (not begun) will say into the Piper voice's cache, in
    the background (``speech/prefetch.py``); its ``stop`` ends it. None for the system voice
    or captions only."""
    if "companion.speech.piper_voice" not in sys.modules:  # no Piper speaker was made
        return None
    # Piper is an optional extra (GPL): its modules are imported only when a Piper speaker exists.
    from companion.session import rehearsal
    from companion.speech.piper_voice import PiperSpeaker, PiperSynth, sentences
    from companion.speech.prefetch import Prefetch, Where

    engine = getattr(speaker, "voice", speaker)
    if not isinstance(engine, PiperSpeaker):
        return None
    voice, cache = engine.piper.voice, engine.piper.cache
    lines = [(u.step, part) for u in rehearsal.rehearse(session, now) for part in sentences(u.text)]
    where = Where(
        step=lambda: rehearsal.step(session),
        rate=lambda: session.rate,
        ended=lambda: session.finished,
    )
    return Prefetch(lambda: PiperSynth(voice, cache), lines, where).start()


def microphone(
    routine: Routine, vocab: Vocabulary, speaker: Speaker, hearing: Hearing, on_problem: Report
) -> VoiceSource:
    """The live voice input: microphone → listener → ``Heard`` events.

    Raises DeviceError or ModelError when it cannot work. The microphone's blocks reach the
    listener in ``VoiceSource`` (``listen/microphone_source.py``): the echo is taken out on the
    audio thread (and a noise front end may clean it) before the listener hears it."""
    # Deferred: numpy, sounddevice and the recognisers take a third of a second to import and
    # are needed only when the microphone is used.
    from companion.listen.microphone_source import VoiceSource

    return VoiceSource.create(
        routine,
        vocab,
        engine=hearing.engine,
        model=hearing.model,
        device=hearing.device,
        speaker=speaker,
        on_problem=on_problem,
        user_voice=hearing.user_voice,
    )


def with_microphone(sources: list[Source], speaker: Speaker, mic: VoiceSource | None) -> Inputs:
    """``sources`` and the microphone, with the speaker that tells it what is being said."""
    if mic is None:
        return Inputs(sources, speaker)
    # Deferred as in ``microphone`` (already loaded with ``mic``).
    from companion.listen.microphone_source import TeeSpeaker

    return Inputs([*sources, mic], TeeSpeaker(speaker, mic.own))


def answer_sources(
    routine: Routine,
    vocab: Vocabulary,
    speaker: Speaker,
    script: Source | None,
    listen: bool,
    status: Callable[[str], None],
    user_voice: Path | None = None,
) -> Inputs:
    """Where one reminder's answer can come from: the script, else keyboard and microphone.

    On a terminal: SPACE or Enter means start, ``u`` later, ``k`` skip today. The microphone
    is opened for this one reminder; ``status`` is told when it cannot be."""
    if script is not None:
        return Inputs([script], speaker)
    sources: list[Source] = []
    keyboard = KeyboardSource.for_terminal(
        vocab,
        switch=routine.input.switch,
        echo=lambda text: speaker.say(text),
        legend=REMINDER_LEGEND,
    )
    if keyboard is not None:
        sources.append(keyboard)
    mic = None
    if listen and routine.input.voice:
        try:
            mic = microphone(
                routine, vocab, speaker, Hearing.of(routine, user_voice), _log_microphone
            )
        except Exception as exc:  # noqa: BLE001 - go on without the microphone
            status(f"no microphone for this reminder: {exc}")
    return with_microphone(sources, speaker, mic)


@dataclass(frozen=True)
class SessionInputs:
    """How a session is answered (from the command line's options)."""

    script: list[str | float] | None = None
    """Scripted user lines (None: keyboard and microphone)."""
    time_scale: float = 1.0
    switch: bool = False
    """Single-switch mode (or the routine's ``input.switch``)."""
    listen: bool = True
    """Use the microphone (when the routine has voice input on)."""
    screen: Source | None = None
    """The screen's presses, when a page shows the session."""
    screen_shown: bool = True
    """Whether a page shows the session now (False: ``screen`` waits for one to open, so it
    is no way to answer yet)."""


def session_sources(
    routine: Routine,
    vocab: Vocabulary,
    words: Prompts,
    speaker: Speaker,
    how: SessionInputs,
    hearing: Hearing,
    problems: DeviceProblems,
) -> Inputs:
    """A session's sources: the screen, then the script or the keyboard and microphone.

    DeviceError when there is no way to answer at all."""
    sources: list[Source] = [] if how.screen is None else [how.screen]
    if how.script is not None:
        script = ScriptSource(how.script, vocab, how.time_scale, ready=lambda: not speaker.busy())
        return Inputs([*sources, script], speaker)
    keyboard = KeyboardSource.for_terminal(
        vocab,
        switch=how.switch or routine.input.switch,
        echo=lambda text: speaker.say(text),
        words=words,
        scan_s=routine.input.scan_seconds,
        quiet=lambda: not speaker.busy(),
    )
    if keyboard is not None:
        sources.append(keyboard)
    mic = None
    if how.listen and routine.input.voice:
        try:
            mic = microphone(routine, vocab, speaker, hearing, problems.microphone)
        except Exception as exc:  # noqa: BLE001 - any failure: go on without the microphone
            log.warning("no voice input: %s", exc)
            problems.microphone(str(exc))
    answers = [s for s in sources if s is not how.screen or how.screen_shown]
    if not answers and mic is None:
        raise DeviceError(
            "There is no way to answer: no keyboard (not a terminal) and no microphone.",
            hint="Run it in a terminal, connect a microphone, or give --script FILE.",
        )
    return with_microphone(sources, speaker, mic)
