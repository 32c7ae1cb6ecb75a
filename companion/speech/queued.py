"""A speaker that synthesises each line to a file and plays it, in order, on a worker thread."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from companion.audio.playback_tap import SHARED, PlaybackTap
from companion.audio.stream_line import StreamLine
from companion.errors import CompanionError
from companion.speech.base import checked_voice
from companion.speech.line_output import LineOutput, StreamParts
from companion.speech.player import Playback, wav_seconds
from companion.speech.synthesis_cache import SynthesisCache, Synthesizer

log = logging.getLogger(__name__)

ProblemCallback = Callable[[str], None]


@dataclass(frozen=True)
class _Line:
    text: str
    rate: int
    volume: float
    generation: int


class QueuedSpeaker:
    """Speaks lines one after another on a worker thread; ``beat`` lines and ``stop`` cut in.

    Each line is synthesised to a WAV file (kept in a small cache, so counting words are ready
    at once) and played on the process's own output stream (``in_process``: every sample's
    time known, for the echo canceller; a line not synthesised yet is played part by part as
    it renders) or by a child process; ``stop()`` and beat lines cut it at once. While a line
    plays, the next one waiting is synthesised, so lines follow each other after the set pause
    rather than after the pause plus the synthesis. A beat line also drops the lines still
    waiting before it: they are already stale (and captioned).
    ``on_problem`` is called once, from whichever thread notices, the first time a line cannot
    be heard (no player, no audio device, synthesis failed, a player still running ``grace``
    seconds after its line should have ended, a synthesis still running after
    ``synth_timeout`` seconds); speaking goes on being tried. No wait here is unbounded: a
    synthesis or player that hangs is left behind, and ``close`` returns in bounded time.
    """

    def __init__(
        self,
        synth: Synthesizer,
        player: Sequence[str] | None,
        on_problem: ProblemCallback,
        *,
        rate: int = 160,
        volume: float = 1.0,
        pause: float = 0.3,
        cache_size: int = 64,
        grace: float = 5.0,
        synth_timeout: float = 30.0,
        missing_player: str = "no audio player found",
        tap: PlaybackTap | None = SHARED,
        in_process: bool = False,
    ) -> None:
        self._wavs = SynthesisCache(synth, cache_size, synth_timeout)
        self._on_problem = on_problem
        self._out = LineOutput(player, tap, in_process, missing_player, self._problem)
        self._pause = pause
        self._grace = grace
        self._cond = threading.Condition()
        self._queue: deque[_Line] = deque()
        self._generation = 0
        self._active = False
        self._closing = False
        self._playback: Playback | StreamLine | StreamParts | None = None
        self._played_at = time.monotonic()
        """When (time.monotonic) the last player ended: nothing of ours was heard after it."""
        self._reported = False
        self.on_lost: Callable[[str], None] | None = None
        """Called with the text of each line that could not be spoken (its synthesis failed,
        or its player failed or was cut off twice), e.g. to say so in the captions."""
        self._rate, self._volume = checked_voice(rate, volume)
        if self._out.none:
            self._problem(missing_player)
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    # ---- the Speaker protocol -------------------------------------------------------------

    def say(self, text: str, *, beat: bool = False) -> None:
        """Queue ``text``; with ``beat`` cut short what is being said and say it now."""
        if not text.strip():
            return
        with self._cond:
            if self._closing:
                log.warning("speaker closed; not speaking %r", text)
                return
            if beat:
                self._interrupt_locked()
            self._queue.append(_Line(text, self._rate, self._volume, self._generation))
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop speaking at once and drop what is queued."""
        with self._cond:
            self._interrupt_locked()

    def set_voice(self, rate: int, volume: float) -> None:
        """Rate in words per minute and volume 0-1 for lines handed over from now on."""
        checked = checked_voice(rate, volume)
        with self._cond:
            self._rate, self._volume = checked

    def busy(self) -> bool:
        """Whether anything is being said or queued."""
        with self._cond:
            return self._active or bool(self._queue)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything queued has been said; False when ``timeout`` ran out."""
        with self._cond:
            return self._cond.wait_for(lambda: not (self._active or self._queue), timeout)

    def wait_played(self, timeout: float) -> float | None:
        """Block until everything queued has been said (at most ``timeout`` seconds); then the
        ``time.monotonic()`` at which the last player ended (its sound had drained: nothing
        said was heard after it), or None when ``timeout`` ran out."""
        with self._cond:
            if not self._cond.wait_for(lambda: not (self._active or self._queue), timeout):
                return None
            return self._played_at

    def close(self, timeout: float = 30.0) -> None:
        """Say what is still queued (at most ``timeout`` seconds), then release everything."""
        self.wait(timeout)
        with self._cond:
            self._closing = True
            self._interrupt_locked()
        self._thread.join(timeout=5)
        if self._thread.is_alive():
            log.warning("the speaker did not stop within 5 s; left behind")
        self._out.close()
        self._wavs.cleanup()

    # ---- the worker -----------------------------------------------------------------------

    def _interrupt_locked(self) -> None:
        self._generation += 1
        dropped = len(self._queue)
        self._queue.clear()
        if dropped:
            log.debug("dropped %d queued line(s)", dropped)
        if self._playback is not None:
            self._playback.kill()
            self._out.cut(self._playback)
        self._cond.notify_all()

    def _run(self) -> None:
        self._out.stream()  # opened before the first line, so that it is not late
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or bool(self._queue))
                if self._closing:
                    self._active = False
                    self._cond.notify_all()
                    return
                line = self._queue.popleft()
                self._active = True
            try:
                self._speak(line)
            except Exception as exc:  # the worker must survive anything one line does
                log.exception("speaking %r failed", line.text)
                self._problem(f"speech failed: {exc}")
            finally:
                with self._cond:
                    self._active = bool(self._queue)
                    self._cond.notify_all()

    def _speak(self, line: _Line) -> None:
        if self._out.none or self._speak_in_parts(line):
            return
        try:
            wav = self._audio(line)
        except CompanionError as exc:
            self._problem(exc.message)
            self._lost(line.text)
            return
        if wav is None:  # cut short while it was being synthesised
            return
        problem: str | None = None
        for attempt in (1, 2):  # a player that fails or is cut off is given a second try
            playback: Playback | StreamLine | None = None
            problem = None
            stream = self._out.stream()
            with self._cond:
                if line.generation != self._generation:
                    return
                try:
                    playback = self._out.start(wav, stream, line.text)
                except OSError as exc:
                    problem = f"the audio player could not start: {exc}"
                self._playback = playback
            if playback is None and problem is None:
                problem = self._out.missing_player
            if playback is not None:
                log.debug("playing %r (pid %d)", line.text, playback.pid)
                if isinstance(playback, Playback):
                    self._out.tell_tap(wav, playback.started, line.text)
                if attempt == 1:
                    self._prepare_next()
                seconds = wav_seconds(wav)
                problem = playback.wait(timeout=seconds + self._grace, expected=seconds)
                with self._cond:
                    self._playback = None
                    self._played_at = time.monotonic()
            if not problem:
                break
            log.warning("line %r not played (attempt %d): %s", line.text, attempt, problem)
        if problem:
            self._problem(problem)
            self._lost(line.text)
            return
        self._pause_after(line)

    def _pause_after(self, line: _Line) -> None:
        with self._cond:  # a pause between lines; a beat line or stop() ends it early
            self._cond.wait_for(lambda: self._generation != line.generation, self._pause)

    def _speak_in_parts(self, line: _Line) -> bool:
        """A line not synthesised yet, played on the stream part by part as it renders; False
        when not (synthesised already, no stream or no parts, or a part failed: then whole)."""
        stream = self._out.stream()
        key = (line.text, line.rate, line.volume)
        if stream is None or (parts := self._wavs.stream(key, lambda: self._closing)) is None:
            return False
        played, stale = StreamParts(), lambda: line.generation != self._generation
        try:
            while (part := parts.next(stale, self._wavs.synth_timeout)) is not None:
                with self._cond:
                    if stale():
                        break
                    played.add(stream.play(*part, label=line.text))
                    self._playback = played
                if len(played.lines) == 1:
                    self._prepare_next()
        except CompanionError as exc:
            log.warning("line %r not rendered in parts: %s", line.text, exc)
            played.kill()
        problem = played.wait(self._grace)  # (at once when it was cut)
        with self._cond:
            self._playback = None
            self._played_at = time.monotonic()
        if stale():
            return True
        if problem or played.killed:
            log.warning("line %r not played in parts: %s", line.text, problem or "failed")
            return False
        self._pause_after(line)
        return True

    def _prepare_next(self) -> None:
        """Start synthesising the next line waiting, if any (while this one plays)."""
        with self._cond:
            following = self._queue[0] if self._queue else None
        if following is not None:
            key = (following.text, following.rate, following.volume)
            self._wavs.future(key, closing=lambda: self._closing)

    def _audio(self, line: _Line) -> Path | None:
        """The line's WAV file, synthesised now or already; None when a beat line or ``stop``
        makes it stale first; CompanionError if it cannot be made within ``synth_timeout``."""
        return self._wavs.wav(
            (line.text, line.rate, line.volume),
            stale=lambda: line.generation != self._generation,
            closing=lambda: self._closing,
        )

    def _lost(self, text: str) -> None:
        if self.on_lost is None:
            return
        try:
            self.on_lost(text)
        except Exception:
            log.exception("on_lost callback failed")

    def _problem(self, detail: str) -> None:
        with self._cond:
            first = not self._reported
            self._reported = True
        if not first:
            log.debug("speech still cannot be heard: %s", detail)
            return
        log.warning("speech cannot be heard: %s", detail)
        try:
            self._on_problem(detail)
        except Exception:
            log.exception("on_problem callback failed")
