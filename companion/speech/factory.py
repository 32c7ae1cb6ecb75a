"""Builds the session's speaker: the real voice with captions, or captions only."""

from __future__ import annotations

import logging
from collections.abc import Callable

from companion.errors import BadInputError, CompanionError
from companion.speech.base import Speaker
from companion.speech.captions import CaptionedSpeaker, CaptionSink, SilentSpeaker

log = logging.getLogger(__name__)


def make_speaker(
    voice: bool,
    rate: int,
    volume: float,
    voice_id: str,
    captions: CaptionSink,
    on_problem: Callable[[str], None],
    *,
    pause: float = 0.3,
) -> Speaker:
    """A speaker that captions every line exactly once and, with ``voice``, speaks it.

    When the voice cannot start (no speech engine, no audio player) ``on_problem(detail)`` is
    called once and captions carry on alone. Later failures (no audio device, a player that
    fails) are reported through ``on_problem`` once as well, possibly from the speaker's worker
    thread: the callback should only hand the news to the session, e.g. put an event on a queue.
    An unknown ``voice_id`` or a rate/volume out of range raises ``BadInputError``.
    """
    if not voice:
        return SilentSpeaker(captions)
    from companion.speech.tts import Pyttsx3Speaker  # imports pyttsx3 only when speaking

    try:
        engine = Pyttsx3Speaker(
            on_problem, rate=rate, volume=volume, voice_id=voice_id, pause=pause
        )
    except BadInputError:
        raise
    except CompanionError as exc:
        log.warning("no voice, captions only: %s", exc)
        on_problem(str(exc))
        return SilentSpeaker(captions)
    return CaptionedSpeaker(engine, captions)
