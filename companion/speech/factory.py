"""Builds the session's speaker: the real voice with captions, or captions only.

The voice setting chooses the engine: ``"piper:NAME"`` (Piper, a neural voice), ``"system"`` or
``"system:ID"`` (pyttsx3 with the platform's voice, eSpeak NG on Linux), any other text a
system voice id as before, and empty for the default: Piper's joe voice where Piper is
installed, else the system voice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from companion.errors import BadInputError, CompanionError
from companion.prompts import load
from companion.speech import piper_voice, tts
from companion.speech.base import Speaker
from companion.speech.captions import CaptionedSpeaker, CaptionSink, SilentSpeaker
from companion.speech.queued import QueuedSpeaker
from companion.speech.voice_cache import VoiceCache

log = logging.getLogger(__name__)


def engine_for(voice_id: str, voices: Path | None = None) -> tuple[str, str]:
    """Which engine a voice setting means: ("piper", name) or ("system", pyttsx3 voice id).

    Empty means Piper's default voice when Piper and that voice are installed, else the system
    voice. Raises BadInputError for a setting that names no voice.
    """
    if not piper_voice.check_setting(voice_id):
        raise BadInputError(
            f"The voice setting {voice_id!r} is not a voice.",
            hint='Use "piper:joe", "system", or a name from \'companion voices list\'.',
        )
    if voice_id.startswith(piper_voice.PREFIX):
        return "piper", voice_id[len(piper_voice.PREFIX) :]
    if voice_id == piper_voice.SYSTEM:
        return "system", ""
    if voice_id.startswith(piper_voice.SYSTEM + ":"):
        return "system", voice_id[len(piper_voice.SYSTEM) + 1 :]
    if voice_id:
        return "system", voice_id
    default = piper_voice.DEFAULT[len(piper_voice.PREFIX) :]
    if piper_voice.piper_installed():
        try:
            piper_voice.find_voice(default, voices)
        except BadInputError:
            pass
        else:
            return "piper", default
    return "system", ""


def not_spoken_caption(captions: CaptionSink) -> Callable[[str], None]:
    """A callback showing, in the captions, that a line could not be said aloud."""
    words = load("en")

    def show(text: str) -> None:
        captions.show(words.text("speech.not_spoken", text=text))

    return show


def make_speaker(
    voice: bool,
    rate: int,
    volume: float,
    voice_id: str,
    captions: CaptionSink,
    on_problem: Callable[[str], None],
    *,
    pause: float = 0.3,
    voices: Path | None = None,
    cache_dir: Path | None = None,
) -> Speaker:
    """A speaker that captions every line exactly once and, with ``voice``, speaks it.

    ``voice_id`` chooses the engine (see ``engine_for``); ``voices`` is the folder of
    downloaded Piper voices (default: ``piper_voice.voices_dir()``) and ``cache_dir`` where
    rendered Piper lines are kept across sessions (default: memory only).
    When the voice cannot start (no speech engine, no audio player) ``on_problem(detail)`` is
    called once and captions carry on alone; Piper that cannot start falls back to the system
    voice. Later failures (no audio device, a player that fails) are reported through
    ``on_problem`` once as well, possibly from the speaker's worker thread: the callback should
    only hand the news to the session, e.g. put an event on a queue. A line that could not be
    said (its player failed twice) is also marked in the captions.
    An unknown voice or a rate/volume out of range raises ``BadInputError``.
    """
    if not voice:
        return SilentSpeaker(captions)

    kind, name = engine_for(voice_id, voices)
    engine: QueuedSpeaker | None = None
    if kind == "piper":
        engine = _piper(name, rate, volume, pause, on_problem, voices, cache_dir)
        if engine is None:
            name = ""
    if engine is None:
        try:
            engine = tts.Pyttsx3Speaker(
                on_problem, rate=rate, volume=volume, voice_id=name, pause=pause
            )
        except BadInputError:
            raise
        except CompanionError as exc:
            log.warning("no voice, captions only: %s", exc)
            on_problem(str(exc))
            return SilentSpeaker(captions)
    engine.on_lost = not_spoken_caption(captions)
    return CaptionedSpeaker(engine, captions)


def _piper(
    name: str,
    rate: int,
    volume: float,
    pause: float,
    on_problem: Callable[[str], None],
    voices: Path | None,
    cache_dir: Path | None,
) -> QueuedSpeaker | None:
    if not piper_voice.piper_installed():
        log.warning("Piper is not installed; speaking with the system voice")
        return None
    found = piper_voice.find_voice(name, voices)  # BadInputError: the caregiver's setting
    try:
        return piper_voice.PiperSpeaker(
            on_problem,
            voice=found,
            rate=rate,
            volume=volume,
            pause=pause,
            cache=VoiceCache(folder=cache_dir),
        )
    except BadInputError:
        raise
    except CompanionError as exc:
        log.warning("Piper cannot speak (%s); speaking with the system voice", exc)
        return None
