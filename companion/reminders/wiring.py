"""The daemon's ways in and out: its options, the speaker, answer sources, the session child."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from companion.commands import Vocabulary
from companion.inputs.base import Source
from companion.reminders.driver import SharedScript
from companion.routine import Routine
from companion.speech.base import Speaker
from companion.speech.captions import CaptionSink, SilentSpeaker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """How the daemon runs."""

    data_dir_arg: str | None = None
    """``--data-dir`` as given, handed on to the session it starts."""
    at: tuple[str, ...] = ()
    """Reminder times (HH:MM[:SS]) used instead of the routine's; for tests and demos."""
    script: tuple[str | float, ...] | None = None
    """Scripted answers (phrases and wait seconds) shared by every reminder of this run."""
    voice: bool = True
    """Speak (otherwise captions only)."""
    time_scale: float = 1.0
    """Snoozes, answer waits and script waits run this many times faster."""
    answer_seconds: float = 120.0
    """How long a reminder waits for an answer before the gentle second one."""
    listen: bool = True
    """Listen for spoken answers with the microphone (when voice input is on in the routine)."""
    session: bool = True
    """Run today's session when the user says start."""
    session_args: tuple[str, ...] = ()
    """Extra arguments for ``companion session``."""


def make_speaker(routine: Routine, voice: bool) -> Speaker:
    """Captions on standard output, and the voice unless ``voice`` is off."""
    captions = CaptionSink(sys.stdout)
    if not voice:
        return SilentSpeaker(captions)
    from companion.speech import make_speaker as make

    s = routine.speech
    return make(
        True, s.rate, s.volume, s.voice, captions, lambda detail: log.warning("speaker: %s", detail)
    )


def answer_sources(
    routine: Routine,
    vocab: Vocabulary,
    speaker: Speaker,
    script: SharedScript | None,
    listen: bool,
    status: Callable[[str], None],
    user_voice: Path | None = None,
) -> list[Source]:
    """Where one reminder's answer can come from: the script, else keyboard and microphone.

    On a terminal: SPACE or Enter means start, ``u`` later, ``k`` skip today.
    """
    if script is not None:
        return [script]
    from companion.inputs.keyboard import KeyboardSource
    from companion.inputs.keymap import REMINDER_LEGEND

    sources: list[Source] = []
    keyboard = KeyboardSource.for_terminal(
        vocab,
        switch=routine.input.switch,
        echo=lambda text: speaker.say(text),
        legend=REMINDER_LEGEND,
    )
    if keyboard is not None:
        sources.append(keyboard)
    if listen and routine.input.voice:
        sources += _microphone(routine, vocab, speaker, status, user_voice)
    return sources


def _microphone(
    routine: Routine,
    vocab: Vocabulary,
    speaker: Speaker,
    status: Callable[[str], None],
    user_voice: Path | None,
) -> list[Source]:
    """The microphone listener for this one reminder, when voice input is installed."""
    try:
        from companion.listen.voice import VoiceSource
    except ImportError:
        log.info("voice input is not available; answers by keyboard or script only")
        return []
    lst = routine.listening
    try:
        return [
            VoiceSource.create(
                routine,
                vocab,
                engine=lst.engine,
                model=lst.model or None,
                device=lst.device or None,
                speaker=speaker,
                on_problem=lambda d: log.warning("microphone: %s", d),
                user_voice=user_voice,
            )
        ]
    except Exception as exc:  # noqa: BLE001 - go on without the microphone
        status(f"no microphone for this reminder: {exc}")
        return []


def session_command(options: Options) -> list[str]:
    """The command that runs today's session in a child process (isolating its crashes)."""
    cmd = [sys.executable, "-m", "companion.cli.main", "session"]
    if options.data_dir_arg:
        cmd += ["--data-dir", options.data_dir_arg]
    if not options.voice:
        cmd.append("--no-voice")
    if options.time_scale != 1.0:
        cmd += ["--time-scale", str(options.time_scale)]
    return cmd + list(options.session_args)


def run_child(cmd: list[str]) -> int | None:
    """Run ``cmd`` to its end (killed if the daemon is stopped); its exit status, or None."""
    try:
        return subprocess.run(cmd, check=False).returncode
    except OSError as exc:
        log.warning("cannot run %s: %s", cmd, exc)
        return None
