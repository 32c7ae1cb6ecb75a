"""The pyttsx3 adapter (the only module importing pyttsx3), working around its 2.99 defects.

pyttsx3 2.99 on Linux (espeak driver) keeps only the last text queued before ``runAndWait()``;
its espeak runs asynchronously, so ``runAndWait()`` can return before anything was produced
(the first call after ``init()`` seems to say nothing) and a rate set just before a line is
sometimes not the one used; it never forgets a ``save_to_file()`` target (later ``say()`` calls
go to that file); it plays through ``os.system("aplay ...")`` (silently nothing without
alsa-utils, and it cannot be interrupted); and it prints "Audio saved to ..." on standard output.

So the adapter never uses ``say()``: pyttsx3 synthesises one line per ``runAndWait()`` into a
WAV file, with voice, rate and volume set in the same batch and also embedded in the text for
espeak; it waits for pyttsx3's "finished-utterance", checks the file (retrying once), and the
file is played by a child process that can be killed (see ``QueuedSpeaker``).

Nothing waits for good: ``runAndWait()`` (whose espeak loop spins until espeak reports the
line done) runs with a deadline and its loop is ended past it, and the engine lock is taken
with one too.
"""

from __future__ import annotations

import logging
import sys
import threading
import wave
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from companion.audio import output_stream
from companion.bounded import Call, Overdue
from companion.errors import BadInputError, ModelError
from companion.speech.player import default_player, missing_player_hint
from companion.speech.queued import ProblemCallback, QueuedSpeaker

log = logging.getLogger(__name__)

# pyttsx3.init() hands out one engine per driver and espeak can only be initialised once per
# process, so every synthesis in the process goes through this lock.
_ENGINE_LOCK = threading.Lock()
_DEFAULT_VOICE: list[str] = []  # the engine's voice before anyone changed it
_SYNTH_TIMEOUT = 10.0
"""Longest wait for one line (``runAndWait`` and then its "finished-utterance")."""
_END_LOOP_S = 2.0
"""How long pyttsx3's loop may take to end once told to."""
_LOCK_TIMEOUT = 30.0
"""Longest wait for the engine while another line is being synthesised."""


@contextmanager
def _engine(timeout: float = _LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the shared engine, or a ModelError when it stays busy (a synthesis is stuck)."""
    if not _ENGINE_LOCK.acquire(timeout=timeout):
        raise ModelError("The speech engine is not answering (stuck on an earlier line).")
    try:
        yield
    finally:
        _ENGINE_LOCK.release()


def _quiet_driver_print(*args: object, **_: object) -> None:
    log.debug("pyttsx3: %s", " ".join(str(a) for a in args))


class Pyttsx3Synth:
    """Synthesises one line at a time to a WAV file through pyttsx3."""

    def __init__(self, voice_id: str = "") -> None:
        # Imported here, not at the top: only a session that speaks loads the speech engine
        # (captions only, --no-voice, must not; test_no_voice_never_loads_the_speech_engine).
        import pyttsx3

        with _engine():
            try:
                self._engine: Any = pyttsx3.init()
            except Exception as exc:
                raise ModelError(
                    f"The speech engine could not start: {exc}",
                    hint="On Debian/Ubuntu install espeak-ng: 'apt-get install espeak-ng'.",
                ) from exc
            self._silence_driver_print()
            self._errors: list[BaseException] = []
            self._stuck = False
            self._espeak = getattr(self._engine, "driver_name", "") == "espeak"
            self._finished = threading.Event()
            self._tokens = [
                self._engine.connect("error", self._on_error),
                self._engine.connect("finished-utterance", self._on_finished),
            ]
            if not _DEFAULT_VOICE:
                _DEFAULT_VOICE.append(str(self._engine.getProperty("voice") or ""))
            voices = self._engine.getProperty("voices") or []
        self._voices = {str(v.id).lower(): str(v.name) for v in voices}
        try:
            self.voice_id = self._voice(voice_id) if voice_id else ""
        except BadInputError:
            self.close()
            raise

    @property
    def voices(self) -> dict[str, str]:
        """The voices this engine offers: id to name."""
        return dict(self._voices)

    def close(self) -> None:
        """Stop listening to the shared engine's notifications (not waiting long for an
        engine stuck on a line: then they stay connected, to an engine no one uses)."""
        try:
            with _engine(timeout=2.0):
                for token in self._tokens:
                    self._engine.disconnect(token)
        except ModelError:
            log.warning("the speech engine is stuck; closing without it")

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
        with _engine():
            for attempt in (1, 2):
                frames = self._attempt(text, rate, volume, wav)
                if frames > 0:
                    return
                log.info("pyttsx3 attempt %d gave no audio for %r", attempt, text)
        raise ModelError(f"The speech engine produced no usable audio for {text!r}.")

    def _attempt(self, text: str, rate: int, volume: float, wav: Path) -> int:
        # espeak runs pyttsx3's commands on its own thread: runAndWait() returns as soon as the
        # line is handed over (so the first one after init() seems to say nothing), and the
        # rate read back with getProperty() is not the one in use. Properties are set in the
        # same batch as the line, which espeak applies in order; then wait for
        # "finished-utterance" (sent once the file is written) and check the file.
        self._errors.clear()
        self._finished.clear()
        wav.unlink(missing_ok=True)
        voice = self.voice_id or _DEFAULT_VOICE[0]
        if voice:
            self._engine.setProperty("voice", voice)
        self._engine.setProperty("rate", rate)
        self._engine.setProperty("volume", volume)
        self._engine.save_to_file(self._with_settings(text, rate, volume), str(wav))
        self._run_and_wait(text)
        if not self._finished.wait(_SYNTH_TIMEOUT):
            log.warning("pyttsx3 did not finish %r within %s s", text, _SYNTH_TIMEOUT)
        if self._errors:
            raise ModelError(f"The speech engine failed: {self._errors[0]}")
        return _frames(wav)

    def _run_and_wait(self, text: str) -> None:
        """``runAndWait()`` within ``_SYNTH_TIMEOUT``; past it, end pyttsx3's loop (so the engine
        can be used again) and raise ModelError. An engine whose loop cannot be ended is
        stuck: every later line is refused at once."""
        if self._stuck:
            raise ModelError("The speech engine is stuck.")
        call = Call(self._engine.runAndWait).start("speech synthesis")
        try:
            call.wait(_SYNTH_TIMEOUT, "speech synthesis")
        except Overdue:
            log.warning(
                "pyttsx3 did not finish %r within %s s; ending its loop", text, _SYNTH_TIMEOUT
            )
            # The driver's own loop is ended (the engine may already count itself out of it).
            self._engine.proxy.endLoop(True)
            if not call.ended(_END_LOOP_S):
                log.warning("pyttsx3's loop did not end; no more speech from this engine")
                self._stuck = True
            raise ModelError(
                f"The speech engine did not finish within {_SYNTH_TIMEOUT:g} s."
            ) from None

    def _with_settings(self, text: str, rate: int, volume: float) -> str:
        # espeak can start a line with the rate of an earlier one (seen in about one line in six
        # when the rate changes), so the espeak driver also gets rate and volume as embedded
        # commands at the start of the text (Ctrl-A, value, S = speed, A = amplitude).
        clean = "".join(ch if ch.isprintable() else " " for ch in text)
        if self._espeak:
            return f"\x01{rate}S\x01{round(volume * 100)}A{clean}"
        return clean

    def _on_finished(self, **_: object) -> None:
        self._finished.set()

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
    """Audio frames in ``wav`` (other drivers may write other formats: then bytes past 1 KiB)."""
    try:
        with wave.open(str(wav), "rb") as w:
            return w.getnframes()
    except (EOFError, wave.Error):
        return max(0, wav.stat().st_size - 1024)
    except OSError:
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
            in_process=player is None and output_stream.wanted(),
        )

    def close(self, timeout: float = 30.0) -> None:
        """Say what is still queued (at most ``timeout`` seconds), then release everything."""
        super().close(timeout)
        self._pyttsx3.close()
