"""Saying the pairing code aloud on this computer (``companion screen --lan``), so that a person
who cannot read the screen well can still pair a tablet. The captions show the same words.
While a session runs, a new code is said by the session's own voice when its current line ends
(``screen/session_voice.py``): never over the session, and never dropped; a code made while a
session is starting waits for its voice (or for its end)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from companion import prompts, routine, wiring
from companion.errors import CompanionError
from companion.paths import Paths
from companion.screen.live import Live
from companion.speech.base import Speaker

log = logging.getLogger(__name__)
LOOK_EVERY_S = 0.2
"""While a code waits for a session starting to speak: how often it looks again."""


def spoken_digits(code: str) -> str:
    """A code as it is said: one digit at a time, in two groups ("123456" -> "1, 2, 3. 4, 5, 6")."""
    half = len(code) // 2
    return ". ".join(", ".join(group) for group in (code[:half], code[half:]) if group)


class PairingVoice:
    """Says a pairing code with the routine's voice (captions only with ``voice`` off), or
    through the running session's voice."""

    def __init__(self, where: Paths, live: Live, voice: bool, busy: Callable[[], bool]) -> None:
        self._where = where
        self._live = live
        self._voice = voice
        self._busy = busy
        """Whether a session started on the page is running (or starting)."""
        self._speaker: Speaker | None = None
        self._words: prompts.Prompts | None = None
        self._lock = threading.Lock()
        self._waiting: str | None = None
        """A line waiting for a session that is starting to speak (the newest code only)."""
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def say(self, code: str, *, new: bool) -> None:
        """Say ``code``; ``new``: it replaces an earlier one. Problems are logged, never raised:
        the code is on the screen and in the terminal anyway."""
        try:
            words = self._prompts()
        except CompanionError as exc:
            log.warning("the pairing code could not be said: %s", exc.message)
            return
        key = "pairing.new_code" if new else "pairing.code"
        with self._lock:
            self._waiting = words.text(key, digits=spoken_digits(code))
            if self._thread is None:
                self._thread = threading.Thread(target=self._wait, name="pairing", daemon=True)
                self._thread.start()
        self._deliver()

    def _prompts(self) -> prompts.Prompts:
        if self._words is None:
            self._words = prompts.load(routine.load(self._where.routine_file).language)
        return self._words

    def _session_running(self) -> bool:
        return self._busy() or bool(self._live.snapshot()["running"])

    def _deliver(self) -> None:
        """Hand the waiting line to the session's voice, or say it here when no session runs;
        while a session starts (no voice yet) it keeps waiting."""
        with self._lock:
            text = self._waiting
            if text is None:
                return
            session_voice = self._live.session_voice()
            if session_voice is None and self._session_running():
                return
            self._waiting = None
        if session_voice is not None:
            log.info("a session is running: the new pairing code is said after its line")
            session_voice(text)
            return
        try:
            if self._speaker is None:
                self._speaker = wiring.make_speaker(
                    routine.load(self._where.routine_file), self._voice
                )
            self._speaker.say(text)
        except CompanionError as exc:
            log.warning("the pairing code could not be said: %s", exc.message)

    def _wait(self) -> None:
        while not self._closed.wait(LOOK_EVERY_S):
            try:
                self._deliver()
            except Exception:  # noqa: BLE001 - the code is on the screen anyway
                log.exception("the pairing code could not be said")

    def close(self) -> None:
        """Let the speaker go (after what it is saying)."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._speaker is not None:
            self._speaker.close()
            self._speaker = None
