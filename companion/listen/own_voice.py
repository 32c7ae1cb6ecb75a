"""The companion's own voice: what may be heard over it, and when an utterance begun in it
ends. Pure rules; the listener keeps what is being said and calls them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from difflib import SequenceMatcher

from companion.classifier.combine_opinions import Verdict
from companion.commands import Command, Parsed
from companion.listen.live import Live
from companion.listen.settings import ListenerSettings
from companion.listen.turn import Opinions

log = logging.getLogger(__name__)

OWN_VOICE_LIVE = frozenset({Command.STOP, Command.HURTS})
"""What can be heard in an utterance begun while the companion speaks. Not the longer
emergency phrases: a decoder listening to long sentences finds "call for help" in them
(measured: "How hard was that? Say a number" heard so, with full confidence). The user says
it again, heard, once the companion is quiet; "stop" first quietens it."""

FUNCTION_WORDS = frozenset({"a", "an", "and", "i", "it", "my", "that", "the"})
"""Words of a phrase that say nothing about whether it was heard ("it" of "it hurts")."""


def sounds_like(heard: str, spoken: str, threshold: float = 0.75) -> bool:
    """Whether a word of ``heard`` (other than ``FUNCTION_WORDS``) is, or spells much like, a
    word of ``spoken``: "stop" in "and stop", "stopped" or "step"; "hurts" in "hurt". Not
    "set", "rest" or "two": whole words compared, so counting and resting do not hide a
    "stop"."""
    said = set(spoken.split())
    for word in heard.split():
        if word in FUNCTION_WORDS:
            continue
        for other in said:
            if word == other or (len(word) >= 3 and other.startswith(word)):
                return True
            if SequenceMatcher(None, word, other).ratio() >= threshold:
                return True
    return False


def is_active(speaking: bool, turn_start_s: float, own_until_s: float) -> bool:
    """The companion spoke during the utterance or less than the tail before it began."""
    return speaking or turn_start_s < own_until_s


def live_phrases(table: Mapping[str, Parsed]) -> list[str]:
    """The phrases the own-voice engine listens for (``OWN_VOICE_LIVE``)."""
    return [p for p, parsed in table.items() if parsed.command in OWN_VOICE_LIVE]


def candidates(table: Mapping[str, Parsed], own_text: str) -> frozenset[str]:
    """The live phrases that may be heard over the companion's voice now: "stop" and "it
    hurts" (``OWN_VOICE_LIVE``) unless what it is saying has a word like theirs."""
    return frozenset(
        p
        for p, parsed in table.items()
        if parsed.command in OWN_VOICE_LIVE and not sounds_like(p, own_text)
    )


def ends_at_pause(
    speaking: bool,
    turn_start_s: float,
    own_until_s: float,
    position_s: float,
    silence_s: float,
    pause_s: float,
) -> bool:
    """An utterance begun in the companion's voice or its tail ends at its first pause once
    the tail is over, so that what the user says next is heard on its own. Only "stop" or "it
    hurts" is taken from it (``OWN_VOICE_LIVE``), settled after that same pause; one still
    being said when the tail ends is heard to its end."""
    if speaking or not turn_start_s < own_until_s <= position_s:
        return False
    return silence_s >= pause_s - 1e-9


def check_due(audio_bytes: int, checked_at: int, step_bytes: int) -> bool:
    """While the companion speaks, a word said over it may have no pause after it: the
    classifier hears the utterance's last window every ``step_bytes`` of audio."""
    return audio_bytes - checked_at >= step_bytes


def word_over_own_voice(
    live: Live, candidates: frozenset[str], opinions: Opinions, s: ListenerSettings
) -> Verdict | None:
    """ "Stop" or "it hurts" in the last second of an utterance over the companion's voice:
    the word classifier names it first (``early_p``), and the reader, asked about that
    command only, gives it ``own_voice_read_p`` (without the reader, the classifier must
    give ``own_voice_alone_p``). Its voice alone made the classifier say "stop" at up to
    0.96 ("Palm up"), the reader never above 0.01 (measured live). With its voice taken out
    of the microphone (``echo_cancelled``), "stop" at ``own_voice_cancelled_p`` from the
    classifier alone is enough."""
    probabilities = opinions.probabilities()
    top = max(probabilities, key=lambda c: probabilities[c], default="")
    p_top = probabilities.get(top, 0.0)
    if top not in candidates or p_top < s.opinion.early_p:
        return None
    if not opinions.has_reader:
        return Verdict(top, p_top) if p_top >= s.own_voice_alone_p else None
    meaning = live.table[top].command
    sure = sum(opinions.read(live.forms_of(meaning)).values())
    log.debug("over its voice, %r: classifier %.2f, reader %.2f", top, p_top, sure)
    bar = s.own_voice_read_p if meaning is Command.STOP else s.reading.safety_rescue_p
    if sure >= bar:
        return Verdict(top, p_top)
    if s.echo_cancelled and meaning is Command.STOP and p_top >= s.own_voice_cancelled_p:
        # its voice taken out of the microphone, the reader still hears the word damaged
        log.debug("over its voice (echo cancelled), %r: classifier %.2f", top, p_top)
        return Verdict(top, p_top)
    return None


def judge_over_own_voice(
    text: str,
    confidence: float,
    live: Live,
    candidates: frozenset[str],
    opinions: Opinions,
    stop_read: Verdict | None,
    heard_over_it: Callable[[], Verdict | None],
    s: ListenerSettings,
    start_s: float | None = None,
) -> Verdict | None:
    """An utterance begun while the companion spoke (or in its tail): only "stop" or "it
    hurts" (``OWN_VOICE_LIVE``), and only one that nothing the companion is saying sounds
    like ("Stop before it hurts", "Any pain?"). The recogniser there knows only those
    phrases, so it names one for any sound; it counts when its open pass agrees (as
    always; only "stop" while the reader runs: "it hurts" then needs the reader's usual
    bar), when the reader heard "stop" at a pause (``stop_read``), when the classifier and
    the reader agree on it (``heard_over_it``: ``word_over_own_voice``), when the reader
    alone is sure of it, or when both recogniser passes named it and the reader gives it
    ``own_voice_named_read_p``. The reader hears the utterance from where the recogniser heard
    the phrase begin (``start_s``), else its last second. None: nothing taken."""
    if (
        text in candidates
        and confidence >= s.min_confidence
        # not "it hurts" while the reader runs: its own counting was heard so at 1.0
        and (not opinions.has_reader or live.table[text].command is Command.STOP)
    ):
        return _taken(Verdict(text, confidence), "recogniser")
    if stop_read is not None and stop_read.phrase in candidates:
        return _taken(Verdict(stop_read.phrase, stop_read.confidence), "reader")
    if candidates and (heard := heard_over_it()) is not None and heard.phrase:
        return _taken(Verdict(heard.phrase, heard.confidence), "classifier and reader")
    if candidates and opinions.has_reader and opinions.has_audio:
        # asked about what the recogniser named (a third of the time of every phrase)
        named = live.table[text].command if text in candidates else None
        asked = {p: live.forms[p] for p in candidates if live.table[p].command is named}
        asked = asked or {p: live.forms[p] for p in candidates}
        if start_s is not None and named is not None:
            reading = opinions.read_from(asked, start_s)
        else:
            reading = opinions.read(asked)
        best = max(reading, key=lambda p: reading[p], default="")
        meaning = live.table[best].command if best in live.table else None
        sure = sum(v for p, v in reading.items() if live.table[p].command is meaning)
        log.debug("over its voice, the reader: %r (%.2f)", best, sure)
        # alone, as anywhere (at 0.1 its intro lines once read 0.16 as "hurts")
        if best in candidates and sure >= s.reading.safety_rescue_p:
            return _taken(Verdict(best, sure), "reader")
        # both recogniser passes named it and the reader hears it too: for "it hurts" what
        # the classifier's "stop" is for "stop" (it has no class of its own to trigger it)
        if (
            best in candidates
            and live.table[best].command is named
            and confidence >= s.opinion.strong_confidence
            and sure >= s.own_voice_named_read_p
        ):
            return _taken(Verdict(best, sure), "recogniser and reader")
    return None


def _taken(verdict: Verdict, by: str) -> Verdict:
    log.debug("heard %r over the companion's voice (%s)", verdict.phrase, by)
    return verdict
