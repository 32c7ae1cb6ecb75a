"""Deciding: from what the recogniser heard and the other opinions, whether an utterance has
ended and what it said. Pure functions of their arguments: the opinions are asked lazily
through ``Opinions`` (each is a model run), and the listener applies every result."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from companion.classifier.combine_opinions import Verdict, judge, reread
from companion.commands import SAFETY, Command, Parsed
from companion.listen import confirm
from companion.listen.live import Live
from companion.listen.settings import ListenerSettings
from companion.listen.turn import Opinions
from companion.user_voice.own_word_judge import own_word_heard

log = logging.getLogger(__name__)


def settled_on(
    words: str, table: Mapping[str, Parsed], silence_s: float, s: ListenerSettings
) -> bool:
    """``words`` are a whole live command followed by enough silence to act on it now
    (``safety_settle_s`` for a safety command; ``prefix_settle_s`` when a longer live phrase
    starts with them, "go" / "go back"; else ``settle_s``)."""
    parsed = table.get(words)
    if parsed is None:
        return False
    if parsed.command in SAFETY:
        return silence_s >= s.safety_settle_s - 1e-9
    longer = any(p != words and p.startswith(words + " ") for p in table)
    return silence_s >= (s.prefix_settle_s if longer else s.settle_s) - 1e-9


def at_pause(silence_s: float, pause_s: float, frame_s: float) -> bool:
    """This frame is the one at which the silence reaches ``pause_s`` (once per pause)."""
    return pause_s - 1e-9 <= silence_s < pause_s + frame_s - 1e-9


@dataclass(frozen=True)
class AtPause:
    """What the opinions made of a pause in an utterance."""

    ends: bool
    """The utterance ends here."""
    heard_at_pause: str
    """The classifier's live word at this pause, settled on as a partial result would be."""
    stop_read: Verdict | None = None
    """"Stop" as the reader heard it here (None: not heard, or not asked)."""


def hear_at_pause(
    live: Live,
    opinions: Opinions,
    heard_before: str,
    own_candidates: frozenset[str] | None,
    heard_over_own_voice: Callable[[], Verdict | None],
    s: ListenerSettings,
) -> AtPause:
    """At each pause of ``pause_s`` the word classifier is asked what was said: the
    recogniser's partial result may be something else, and a command must not wait for the
    full end silence. "Stop" ends the utterance there; another live word settles it as a
    partial result would (then judged as usual). ``own_candidates``: over the companion's
    voice, what may be heard there (then only "stop" or "it hurts", backed by the reader);
    None when it is quiet. ``heard_before``: the word of the turn's last pause."""
    if own_candidates is not None:
        if heard_over_own_voice() is not None:
            return AtPause(True, heard_before)
        stop = reader_hears_stop(live, opinions, heard_before, own_candidates, s)
        return AtPause(stop is not None, heard_before, stop)
    probabilities = opinions.probabilities()
    top = max(probabilities, key=lambda c: probabilities[c], default="")
    heard = heard_before
    if top in live.table and probabilities[top] >= s.opinion.early_p:
        if top in live.safety:
            log.debug("at a pause, the classifier: %r (%.2f)", top, probabilities[top])
            return AtPause(True, heard_before)
        heard = top
        if opinions.has_reader:  # read now, while the settling silence is counted
            opinions.reading()
    stop = reader_hears_stop(live, opinions, heard, None, s)
    return AtPause(stop is not None, heard, stop)


def reader_hears_stop(
    live: Live,
    opinions: Opinions,
    heard_at_pause: str,
    own_candidates: frozenset[str] | None,
    s: ListenerSettings,
) -> Verdict | None:
    """While something runs (``quick_stop_contexts``), the reader is asked at the pause
    too: "stop" it is sure of ends the utterance there, whatever the others made of it
    (a "stop" they missed must not wait for the end silence; stopping is the safe side)."""
    if not live.quick_stop or not opinions.has_reader or not opinions.has_audio:
        return None
    if heard_at_pause:  # read for that word already (and reused at the end)
        reading = opinions.reading()
    else:  # only "stop" is asked about (a third of the time), and the reading is not
        # kept: with its end silence the utterance may read otherwise (measured)
        asked = live.forms_of(Command.STOP)
        if own_candidates is not None:  # not while it says anything like "stop"
            asked = {p: f for p, f in asked.items() if p in own_candidates}
            if not asked:
                return None
        reading = opinions.read(asked)
    stops = [p for p in reading if p in live.table and live.table[p].command is Command.STOP]
    sure = sum(reading[p] for p in stops)
    if not stops or sure < s.reading.safety_rescue_p:
        return None
    return Verdict(max(stops, key=lambda p: reading[p]), sure)


def judge_turn(
    text: str,
    confidence: float,
    live: Live,
    opinions: Opinions,
    stop_read: Verdict | None,
    s: ListenerSettings,
) -> Verdict | None:
    """The user's utterance: the recogniser heard ``text`` (normalised) at ``confidence``;
    the classifier's second opinion, then the reader's third (or "stop" it read at a pause:
    ``stop_read``) decide. The phrase to act on, with its confidence and whether it is to be
    confirmed; None to act on nothing."""
    parsed = live.table.get(text)
    heard_ok = parsed is not None and confidence >= confirm.min_confidence(parsed, live.context, s)
    verdict: Verdict | None = None
    if opinions.has_classifier:
        verdict = judge(
            opinions.probabilities(),
            text,
            heard_ok,
            confidence,
            live=live.table,
            safety=live.safety,
            confirm=confirm.confirms(live.context, s),
            settings=s.opinion,
        )
        log.debug(
            "recogniser %r (%.2f), classifier: %r (%.2f)",
            text,
            confidence,
            verdict.phrase,
            verdict.confidence,
        )
    elif opinions.has_reader:
        verdict = Verdict(text if heard_ok else None, confidence)
    if stop_read is not None:  # the reader heard "stop" at the pause
        verdict = stop_read
    elif verdict is not None:
        before = verdict
        verdict = reread_turn(verdict, confidence, live, opinions, s)
        if verdict != before:
            log.debug("the reader: %r (%.2f)", verdict.phrase, verdict.confidence)
    phrase, doubt, taken = text, False, confidence
    if verdict is not None:
        if verdict.phrase is not None:
            phrase, taken, doubt = verdict.phrase, verdict.confidence, verdict.unsure
            parsed, heard_ok = live.table[phrase], True
        else:
            heard_ok = False
    if parsed is None or not heard_ok:
        log.debug("rejected %r (confidence %.2f)", text, confidence)
        return None
    return Verdict(phrase, taken, confirm.is_unsure(parsed, doubt, taken, s))


def reread_turn(
    verdict: Verdict, confidence: float, live: Live, opinions: Opinions, s: ListenerSettings
) -> Verdict:
    """The reader's opinion on ``verdict`` (unchanged without a reader or audio, or when it is
    the user's own word their recordings matched: the reader misses it as the recogniser did;
    ``own_word_judge``). A safety phrase that everything heard (the recogniser at
    ``confidence``), or "stop" while something runs, is acted on at once, without it."""
    if not opinions.has_reader or not opinions.has_audio:
        return verdict
    phrase = verdict.phrase
    mine = opinions.has_classifier and own_word_heard(opinions.probabilities()) == phrase
    if phrase is not None and mine:  # the user's own recordings heard it
        return verdict
    if phrase is not None and phrase in live.safety:
        quick = live.quick_stop and live.table[phrase].command is Command.STOP
        heard_by_all = confidence >= s.opinion.strong_confidence and classifier_backs(
            phrase, opinions, s
        )
        if quick or heard_by_all:
            return verdict
    numbers = None
    if Command.NUMBER in live.commands:
        numbers = {p: v for p, v in live.table.items() if v.command is Command.NUMBER}
    return reread(
        verdict,
        opinions.reading(),
        live=live.table,
        safety=live.safety,
        numbers=numbers,
        probabilities=opinions.probabilities() if opinions.has_classifier else None,
        settings=s.reading,
    )


def classifier_backs(phrase: str, opinions: Opinions, s: ListenerSettings) -> bool:
    """The word classifier, when it knows ``phrase``, names it first (surely enough)."""
    if not opinions.has_classifier:
        return True
    probabilities = opinions.probabilities()
    if phrase not in probabilities:
        return True
    top = max(probabilities, key=lambda c: probabilities[c])
    return top == phrase and probabilities[phrase] >= s.reading.backs_p
