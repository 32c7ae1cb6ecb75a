"""Saying the pairing code aloud on this computer (``companion screen --lan``), so that a person
who cannot read the screen well can still pair a tablet. The captions show the same words; the
code is never said over a session that is running (it is on the screen either way)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from companion import prompts, routine, wiring
from companion.errors import CompanionError
from companion.paths import Paths
from companion.speech.base import Speaker

log = logging.getLogger(__name__)


def spoken_digits(code: str) -> str:
    """A code as it is said: one digit at a time, in two groups ("123456" -> "1, 2, 3. 4, 5, 6")."""
    half = len(code) // 2
    return ". ".join(", ".join(group) for group in (code[:half], code[half:]) if group)


class PairingVoice:
    """Says a pairing code with the routine's voice (captions only with ``voice`` off)."""

    def __init__(self, where: Paths, voice: bool, busy: Callable[[], bool]) -> None:
        self._where = where
        self._voice = voice
        self._busy = busy
        """Whether a session is running (then the code is only shown)."""
        self._speaker: Speaker | None = None
        self._words: prompts.Prompts | None = None

    def say(self, code: str, *, new: bool) -> None:
        """Say ``code``; ``new``: it replaces an earlier one. Problems are logged, never raised:
        the code is on the screen and in the terminal anyway."""
        if self._busy():
            log.info("a session is running: the new pairing code is shown, not said")
            return
        try:
            if self._speaker is None or self._words is None:
                chosen = routine.load(self._where.routine_file)
                self._words = prompts.load(chosen.language)
                self._speaker = wiring.make_speaker(chosen, self._voice)
            key = "pairing.new_code" if new else "pairing.code"
            self._speaker.say(self._words.text(key, digits=spoken_digits(code)))
        except CompanionError as exc:
            log.warning("the pairing code could not be said: %s", exc.message)

    def close(self) -> None:
        """Let the speaker go (after what it is saying)."""
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None
