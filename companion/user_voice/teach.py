"""Teaching the companion the user's voice: ask for each word, record it, keep it, retrain.

``teach`` is the conversation (no audio of its own: it takes a ``Capture`` that returns one
utterance at a time); ``UtteranceCapture`` cuts utterances from a stream of audio chunks with
the listener's energy detector and end-of-speech silence, and ``MicCapture`` feeds it from the
microphone. Wording: prompts/<language>/voice.toml.

Before each recording the companion's own voice must be over: ``heard_from`` waits (bounded)
until the speaker has played everything queued and takes the time its last player ended; the
capture then drops every chunk that arrived before that time (plus ``settle_s`` for the
microphone's latency and the room's echo) and keeps those after it, so an answer that comes at
once keeps its start and no part of the prompt is ever taken for the user's word.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from companion.audio.microphone import Microphone
from companion.commands import Command, normalise
from companion.errors import DeviceError, ModelError
from companion.listen.endpoint import Edge, Segmenter
from companion.listen.vad import EnergyVad, level_db
from companion.prompts import Prompts
from companion.speech.base import Speaker
from companion.user_voice.voice_profile import COMMAND_WORDS, RecordingProblem, VoiceProfile

log = logging.getLogger(__name__)


class SkipWord(Exception):
    """The user asked (by key) to leave the current word."""


class StopTeaching(Exception):
    """The user asked (by key) to stop; what was recorded is kept."""


class Capture(Protocol):
    """Where the user's words come from."""

    def drain(self, heard_from: float) -> None:
        """The companion has stopped speaking: what arrived before ``heard_from`` (a
        ``time.monotonic()``) is its own voice and is dropped; what arrived since is kept (an
        answer that began at once)."""

    def next_utterance(self, timeout_s: float) -> bytes | None:
        """The next utterance (16 kHz mono 16-bit), or None when nobody spoke for
        ``timeout_s`` seconds. May raise SkipWord or StopTeaching (keys)."""


@dataclass
class TeachResult:
    """What one teaching run did."""

    saved: dict[str, int] = field(default_factory=dict)
    """New recordings of each word."""
    skipped: list[str] = field(default_factory=list)
    """Words given up on (nothing usable heard after the allowed attempts)."""
    retrained: bool = False
    problem: str = ""
    """Why it stopped early (the microphone failed), else empty."""
    not_learnt: str = ""
    """Why retraining failed (a damaged installation), else empty."""


@dataclass(frozen=True)
class TeachSettings:
    times: int = 2
    """Recordings wanted of each word (those already kept count)."""
    attempts: int = 3
    """Tries for one recording before that word is skipped."""
    wait_s: float = 10.0
    """How long to wait for the user to begin speaking (no hurry: then asked again)."""
    settle_s: float = 0.3
    """After the companion's last player ended, what the microphone still delivers is its
    voice (the microphone's latency, the room's echo); the user's word is heard from then."""
    speech_limit_s: float = 60.0
    """Longest wait for the companion to finish speaking; past it, it is stopped."""


@runtime_checkable
class TellsPlayed(Protocol):
    """A speaker that can tell when its sound really ended (``QueuedSpeaker.wait_played``)."""

    def wait_played(self, timeout: float) -> float | None:
        """Once all queued is played, the monotonic time the last player ended; None when
        ``timeout`` ran out (or the speaker cannot tell)."""


def heard_from(
    speaker: Speaker,
    settle_s: float,
    limit_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Wait until ``speaker`` has played everything queued (at most ``limit_s``: then it is
    stopped) and return the ``clock()`` time from which the microphone hears the user, not
    the companion: its last player's end plus ``settle_s``.

    A speaker that cannot tell when its sound ended (captions only) is waited for until it is
    no longer busy, and that moment is taken."""
    ended = speaker.wait_played(limit_s) if isinstance(speaker, TellsPlayed) else None
    if ended is None:
        deadline = clock() + limit_s
        while speaker.busy():
            if clock() >= deadline:
                log.warning("the companion still speaks after %.0f s: stopped", limit_s)
                speaker.stop()
                break
            sleep(0.05)
        ended = clock()
    return ended + settle_s


def teach(
    profile: VoiceProfile,
    words: Sequence[str],
    speaker: Speaker,
    capture: Capture,
    prompts: Prompts,
    now: Callable[[], dt.datetime],
    settings: TeachSettings | None = None,
    sleep: Callable[[float], None] = time.sleep,
    retrain: Callable[[VoiceProfile], object] = lambda p: p.retrain(),
    clock: Callable[[], float] = time.monotonic,
    own: Mapping[str, str] | None = None,
) -> TeachResult:
    """Ask for each of ``words``, then each of the user's ``own`` words (each with the word it
    is learnt as: "halt" -> "stop", from ``own_words``), until it has ``settings.times``
    recordings, then retrain.

    A KeyboardInterrupt (Ctrl+C) or a failing microphone (DeviceError, told in
    ``problem``) stops the asking; what was recorded is kept and learnt."""
    s = settings or TeachSettings()
    result = TeachResult()
    own = dict(own or {})
    asked = [*words, *(w for w in own if w not in words)]
    have = {w: profile.count(own.get(w, w), w if w in own else "") for w in asked}
    todo = [w for w in asked if have.get(w, 0) < s.times]
    try:
        if todo:
            speaker.say(prompts.text("voice.intro"))
        for word in todo:
            for take in range(have.get(word, 0), s.times):
                if not _record_one(
                    profile, word, take, speaker, capture, prompts, now, s, sleep, clock, own
                ):
                    result.skipped.append(word)
                    speaker.say(prompts.text("voice.skipped", word=word))
                    break
                result.saved[word] = result.saved.get(word, 0) + 1
    except (KeyboardInterrupt, StopTeaching):
        speaker.say(prompts.text("voice.stopped"))
    except DeviceError as exc:
        result.problem = str(exc)
        speaker.say(prompts.text("voice.microphone_lost"))
    if result.saved or (not profile.up_to_date() and profile.recordings()):
        speaker.say(prompts.text("voice.learning"))
        try:
            retrain(profile)
        except ModelError as exc:
            result.not_learnt = str(exc)
            speaker.say(prompts.text("voice.not_learnt"))
        else:
            result.retrained = True
            speaker.say(prompts.text("voice.done"))
    elif not todo:
        speaker.say(prompts.text("voice.nothing_to_do", times=s.times))
    return result


def _record_one(
    profile: VoiceProfile,
    word: str,
    take: int,
    speaker: Speaker,
    capture: Capture,
    prompts: Prompts,
    now: Callable[[], dt.datetime],
    s: TeachSettings,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    own: Mapping[str, str],
) -> bool:
    """One recording of ``word`` (kept as the word it is learnt as, if it is one of the user's
    ``own``); False after ``s.attempts`` tries without a usable one, or when the user skips
    the word."""
    ask = "voice.say_word" if take == 0 else "voice.say_again"
    for attempt in range(s.attempts):
        speaker.say(prompts.text(ask if attempt == 0 else "voice.try_again", word=word))
        capture.drain(heard_from(speaker, s.settle_s, s.speech_limit_s, clock, sleep))
        try:
            audio = capture.next_utterance(s.wait_s)
        except SkipWord:
            return False
        if audio is None:
            speaker.say(prompts.text("voice.heard_nothing"))
            continue
        try:
            profile.add(own.get(word, word), audio, now(), word if word in own else "")
        except RecordingProblem as problem:
            speaker.say(prompts.text(f"voice.problem.{problem.reason}"))
            continue
        speaker.say(prompts.text("voice.got_it", variant=take))
        return True
    return False


def own_words(
    phrases: Mapping[Command, Sequence[str]], extra: Mapping[Command, Sequence[str]]
) -> tuple[dict[str, str], list[str]]:
    """The user's own words (the routine's [vocabulary], ``extra``) that can be taught, each
    with the word the classifier learns it as (that of its command: "halt" -> "stop"), and
    those that cannot be (their command has no word the classifier knows: "ouch")."""
    taught: dict[str, str] = {}
    left: list[str] = []
    for cmd, words in extra.items():
        known = next((w for w in COMMAND_WORDS if w in phrases.get(cmd, ())), None)
        for word in (normalise(w) for w in words):
            if known is None:
                left.append(word)
            elif word and word != known:
                taught[word] = known
    return taught, left


class UtteranceCapture:
    """Utterances from a stream of 16 kHz chunks (handed to ``put`` by a microphone, which
    stamps each with ``clock()`` as it arrives): the listener's energy detector and segmenter,
    with a little audio kept from before the start of speech.

    ``drain(heard_from)`` (called once the companion has finished speaking) drops the chunks
    that arrived before ``heard_from`` (its voice) and keeps the rest for the next utterance:
    a user who answers at once must not lose the start of the word."""

    def __init__(
        self,
        end_silence_s: float,
        chunk_ms: int = 20,
        pre_roll_s: float = 0.3,
        stall_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chunk_s = chunk_ms / 1000
        self.pre_roll = max(1, round(pre_roll_s / self.chunk_s))
        self.stall_s = stall_s
        self.end_silence_s = end_silence_s
        self.clock = clock
        self.chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()
        """(arrival time, chunk)."""
        self.problems: list[str] = []
        """What the microphone reported (its first problem names a stall)."""
        self.vad = EnergyVad()
        self._kept: list[tuple[bytes, bool]] = []
        """What ``drain`` kept: heard after the companion's voice, not yet listened to."""
        self._interrupt: Exception | None = None

    def put(self, chunk: bytes, at: float | None = None) -> None:
        """One chunk of audio that arrived at ``at`` (default: ``clock()`` now); from the
        microphone's thread."""
        self.chunks.put((self.clock() if at is None else at, chunk))

    def interrupt(self, what: Exception) -> None:
        """Make the wait for an utterance raise ``what`` (SkipWord, StopTeaching): from a key
        reader's thread."""
        self._interrupt = what

    def calibrate(self, seconds: float) -> None:
        """Learn the room's noise from the next ``seconds`` of audio (the energy detector's
        floor otherwise starts far below a noisy room, and takes seconds to rise to it)."""
        n = max(1, round(seconds / self.chunk_s))
        levels = [level_db(self._next_chunk()[1]) for _ in range(n)]
        self.vad.floor_db = float(np.percentile(levels, 20))

    def drain(self, heard_from: float) -> None:
        """Drop what arrived before ``heard_from``; keep what arrived since (in order)."""
        self._kept.clear()
        dropped = 0
        while True:
            try:
                at, chunk = self.chunks.get_nowait()
            except queue.Empty:
                break
            speech = self.vad.is_speech(chunk, self.chunk_s)  # the noise floor goes on learning
            if at < heard_from:
                dropped += 1
            else:
                self._kept.append((chunk, speech))
        log.debug("drained %d chunks of the companion's voice, kept %d", dropped, len(self._kept))

    def _next_chunk(self) -> tuple[float, bytes]:
        if self._interrupt is not None:
            what, self._interrupt = self._interrupt, None
            raise what
        try:
            return self.chunks.get(timeout=self.stall_s)
        except queue.Empty:
            detail = self.problems[0] if self.problems else "no audio from the microphone"
            raise DeviceError(f"The microphone stopped: {detail}") from None

    def _stream(self) -> Iterator[tuple[bytes, bool]]:
        kept, self._kept = self._kept, []
        yield from kept
        while True:
            _at, chunk = self._next_chunk()
            yield chunk, self.vad.is_speech(chunk, self.chunk_s)

    def next_utterance(self, timeout_s: float) -> bytes | None:
        seg = Segmenter(end_silence_s=self.end_silence_s)
        before: list[bytes] = []
        kept: list[bytes] = []
        waited = 0.0
        for chunk, speech in self._stream():
            edge = seg.process(self.chunk_s, speech)
            if edge is Edge.START:
                kept = [*before, chunk]
            elif kept:
                kept.append(chunk)
                if edge is Edge.END:
                    return b"".join(kept)
            else:
                before = [*before, chunk][-self.pre_roll :]
                waited += self.chunk_s
                if waited >= timeout_s:
                    return None
        return None  # pragma: no cover - the stream only ends by raising


class MicCapture(UtteranceCapture):
    """``UtteranceCapture`` on a microphone (opened on enter: DeviceError if it cannot be)."""

    def __init__(
        self, device: str | int | None, end_silence_s: float, rate: int = 16000, chunk_ms: int = 20
    ) -> None:
        super().__init__(end_silence_s, chunk_ms)
        self.mic = Microphone(
            self.put,
            device=device,
            rate=rate,
            chunk_ms=chunk_ms,
            on_problem=self.problems.append,
        )

    def __enter__(self) -> MicCapture:
        self.mic.start()
        try:
            self.calibrate(0.5)
        except DeviceError:
            self.mic.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.mic.stop()
