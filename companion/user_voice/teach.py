"""Teaching the companion the user's voice: ask for each word, record it, keep it, retrain.

``teach`` is the conversation (no audio of its own: it takes a ``Capture`` that returns one
utterance at a time; ``utterance_capture.MicCapture`` is the one on the microphone).
Wording: prompts/<language>/voice.toml.

Before each recording the companion's own voice must be over: ``heard_from`` waits (bounded)
until the speaker has played everything queued and takes the time its last player ended; the
capture then drops every chunk that arrived before that time (plus ``settle_s`` for the
microphone's latency and the room's echo) and keeps those after it, so an answer that comes at
once keeps its start and no part of the prompt is ever taken for the user's word.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from companion.commands import Command, normalise
from companion.errors import DeviceError, ModelError
from companion.prompts import Prompts
from companion.speech.base import Speaker
from companion.user_voice.voice_profile import COMMAND_WORDS, VoiceProfile
from companion.user_voice.word_recording import RecordingProblem

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
    is learnt as: "halt" -> "stop", or "" when it is kept as a template only: "sore"; from
    ``own_words``), until it has ``settings.times`` recordings, then retrain.

    A KeyboardInterrupt (Ctrl+C) or a failing microphone (DeviceError, told in
    ``problem``) stops the asking; what was recorded is kept and learnt."""
    s = settings or TeachSettings()
    result = TeachResult()
    own = dict(own or {})
    asked = [*words, *(w for w in own if w not in words)]
    have = {w: _count(profile, w, own) for w in asked}
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
    learnt = any(own.get(w, w) for w in result.saved)  # a template only needs no retraining
    if learnt or (not profile.up_to_date() and profile.recordings()):
        speaker.say(prompts.text("voice.learning"))
        try:
            retrain(profile)
        except ModelError as exc:
            result.not_learnt = str(exc)
            speaker.say(prompts.text("voice.not_learnt"))
        else:
            result.retrained = True
            speaker.say(prompts.text("voice.done"))
    elif result.saved:
        speaker.say(prompts.text("voice.done"))
    elif not todo:
        speaker.say(prompts.text("voice.nothing_to_do", times=s.times))
    return result


def _count(profile: VoiceProfile, word: str, own: Mapping[str, str]) -> int:
    """Recordings kept of ``word`` (one of the user's ``own`` words, or a built-in one)."""
    if word not in own:
        return profile.count(word)
    return profile.count(own[word], word) if own[word] else profile.count_own(word)


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
            if word in own and not own[word]:
                profile.add_own(word, audio, now())
            else:
                profile.add(own.get(word, word), audio, now(), word if word in own else "")
        except RecordingProblem as problem:
            speaker.say(prompts.text(f"voice.problem.{problem.reason}"))
            continue
        speaker.say(prompts.text("voice.got_it", variant=take))
        return True
    return False


def own_words(
    phrases: Mapping[Command, Sequence[str]], extra: Mapping[Command, Sequence[str]]
) -> dict[str, str]:
    """The user's own words (the routine's [vocabulary], ``extra``) to be taught, each with
    the word the classifier learns it as (that of its command: "halt" -> "stop"), or "" when
    its command has none ("sore" for it hurts): then its recordings are templates
    (``own_word_judge``)."""
    taught: dict[str, str] = {}
    for cmd, words in extra.items():
        known = next((w for w in COMMAND_WORDS if w in phrases.get(cmd, ())), None)
        for word in (normalise(w) for w in words):
            if word and word != known:
                taught[word] = known or ""
    return taught
