"""The pyttsx3 adapter (the only module importing pyttsx3), working around its 2.99 defects.

pyttsx3 2.99 on Linux (espeak driver) keeps only the last text queued before ``runAndWait()``,
may return from the first ``runAndWait()`` without output, never forgets a ``save_to_file()``
target (later ``say()`` calls go to that file), can apply a rate set just before speaking too
late, plays through ``os.system("aplay ...")`` (silently nothing without alsa-utils, and it cannot
be interrupted) and prints "Audio saved to ..." on standard output. So the adapter never uses
``say()``: it has pyttsx3 synthesise one line per ``runAndWait()`` into a WAV file, with rate,
volume and voice set in the same batch, checks the file and the rate afterwards (retrying once),
and plays the file with a child process it can kill (see ``QueuedSpeaker``).
"""

from __future__ import annotations

import logging
import sys
import threading
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from companion.errors import BadInputError, ModelError
from companion.speech.player import default_player, missing_player_hint
from companion.speech.queued import ProblemCallback, QueuedSpeaker

log = logging.getLogger(__name__)

# pyttsx3.init() hands out one engine per driver and espeak can only be initialised once per
# process, so every synthesis in the process goes through this lock.
_ENGINE_LOCK = threading.Lock()


def _quiet_driver_print(*args: object, **_: object) -> None:
    log.debug("pyttsx3: %s", " ".join(str(a) for a in args))


class Pyttsx3Synth:
    """Synthesises one line at a time to a WAV file through pyttsx3."""

    def __init__(self, voice_id: str = "") -> None:
        try:
            import pyttsx3
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ModelError("The speech engine pyttsx3 is not installed.") from exc
        with _ENGINE_LOCK:
            try:
                self._engine: Any = pyttsx3.init()
            except Exception as exc:
                raise ModelError(
                    f"The speech engine could not start: {exc}",
                    hint="On Debian/Ubuntu install espeak-ng: 'apt-get install espeak-ng'.",
                ) from exc
            self._silence_driver_print()
            self._errors: list[BaseException] = []
            self._token = self._engine.connect("error", self._on_error)
            voices = self._engine.getProperty("voices") or []
        self._voices = {str(v.id).lower(): str(v.name) for v in voices}
        self.voice_id = self._voice(voice_id) if voice_id else ""

    @property
    def voices(self) -> dict[str, str]:
        """The voices this engine offers: id to name."""
        return dict(self._voices)

    def close(self) -> None:
        """Stop listening to the shared engine's errors."""
        with _ENGINE_LOCK:
            self._engine.disconnect(self._token)

    def _voice(self, wanted: str) -> str:
        key = wanted.strip().lower()
        for vid, name in self._voices.items():
            if key in (vid, name.lower()) or vid.endswith("/" + key):
                return vid
        some = ", ".join(v for v in self._voices if "/en" in v)
        raise BadInputError(
            f"The voice {wanted!r} is not available.", hint=f"English voices here: {some}"
        )

    def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
        """Write ``text`` at ``rate`` words per minute and ``volume`` 0-1 to ``wav``."""
        target = wav
        with _ENGINE_LOCK:
            for attempt in (1, 2):
                self._errors.clear()
                if self.voice_id:
                    self._engine.setProperty("voice", self.voice_id)
                self._engine.setProperty("rate", rate)
                self._engine.setProperty("volume", volume)
                target.unlink(missing_ok=True)
                self._engine.save_to_file(text, str(target))
                self._engine.runAndWait()
                if self._errors:
                    raise ModelError(f"The speech engine failed: {self._errors[0]}")
                used = self._engine.getProperty("rate")
                frames = _frames(target)
                if frames > 0 and used == rate:
                    return
                log.info(
                    "pyttsx3 attempt %d gave %d frames at rate %s (wanted %d)",
                    attempt,
                    frames,
                    used,
                    rate,
                )
        raise ModelError(f"The speech engine produced no usable audio for {text!r}.")

    def _on_error(self, exception: BaseException | None = None, **_: object) -> None:
        if exception is not None:
            self._errors.append(exception)

    @staticmethod
    def _silence_driver_print() -> None:
        # The espeak driver prints "Audio saved to <file>" for every file; send it to the log.
        driver = sys.modules.get("pyttsx3.drivers.espeak")
        if driver is not None:
            driver.print = _quiet_driver_print  # type: ignore[attr-defined]


def _frames(wav: Path) -> int:
    try:
        with wave.open(str(wav), "rb") as w:
            return w.getnframes()
    except (OSError, EOFError, wave.Error):
        return 0


class Pyttsx3Speaker(QueuedSpeaker):
    """The real voice: pyttsx3 synthesis, played line by line by a process that can be cut."""

    def __init__(
        self,
        on_problem: ProblemCallback,
        *,
        rate: int = 160,
        volume: float = 1.0,
        voice_id: str = "",
        player: Sequence[str] | None = None,
        pause: float = 0.3,
    ) -> None:
        chosen = tuple(player) if player is not None else default_player()
        self._pyttsx3 = Pyttsx3Synth(voice_id)
        super().__init__(
            self._pyttsx3,
            chosen,
            on_problem,
            rate=rate,
            volume=volume,
            pause=pause,
            missing_player=missing_player_hint(),
        )

    def close(self, timeout: float = 30.0) -> None:
        """Say what is still queued (at most ``timeout`` seconds), then release everything."""
        super().close(timeout)
        self._pyttsx3.close()
