"""Combining the recogniser's phrase with the word classifier's probabilities.

Pure logic, no audio: the listener hands in what the recogniser heard and what the word
classifier (``word_classifier``) thinks, and gets back the phrase to act on, or None.

- Both name the same live word: taken, with the classifier's probability as confidence.
- The classifier names a live word it knows, surely enough: that word is taken (it may
  correct the recogniser: PocketSphinx often takes "no" for "go"). Surer still when the
  recogniser heard no live phrase at all.
- The recogniser heard a word the classifier knows, and the classifier did not agree: taken
  when both of the recogniser's passes heard it (a strong phrase) or it is "stop" (a safety
  word), unless the classifier is sure it was something else; otherwise dropped, but a rating
  is kept as unsure in the contexts that confirm.
- The recogniser heard a phrase the classifier was never taught ("pause", "it hurts"): the
  recogniser's own rejection decides, and the classifier can only veto it when it is sure the
  audio was one particular word it knows, or noise. A safety phrase of that kind is never
  swapped for another command ("it hurts" must not become "no" to "any chest pain?").
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass

OTHER = "other"
"""The word classifier's class for any other word or phrase."""
SILENCE = "_silence_"
"""Its class for noise and silence."""


@dataclass(frozen=True)
class OpinionSettings:
    """Thresholds on the classifier's probabilities (chosen on held-out speakers: each half
    judged by a classifier trained on the other; docs/benchmarks.md)."""

    accept_p: float = 0.3
    """The classifier's top live word is taken at or above this when the recogniser weakly
    heard another live phrase (corrected). Over a strong phrase it needs ``veto_p``, and the
    session confirms it."""
    alone_p: float = 0.4
    """Same, when the recogniser heard no live phrase at all."""
    veto_p: float = 0.6
    """The classifier this sure of something else drops the recogniser's phrase."""
    early_p: float = 0.4
    """A live word the classifier gives this at a short pause counts as a partial result: a
    safety word ("stop") ends the utterance there, another command settles it after the usual
    short silence, without waiting for the recogniser (then judged as usual)."""
    strong_confidence: float = 0.6
    """A recogniser's phrase this sure (PocketSphinx: both passes agree) is strong: it stands
    unless the classifier is sure of something else, and the classifier's other word counts as
    a disagreement to confirm. A weaker one the classifier simply overrules."""
    confirm_p: float = 0.2
    """In contexts that confirm, a rating the classifier gives at least this is kept, unsure."""


@dataclass(frozen=True)
class Verdict:
    """What to act on."""

    phrase: str | None
    """A live phrase, or None to act on nothing."""
    confidence: float
    unsure: bool = False
    """Ask "I heard ... Is that right?" (the listener never asks for safety commands)."""


def judge(
    probabilities: Mapping[str, float],
    heard: str,
    heard_ok: bool,
    heard_confidence: float,
    live: Mapping[str, Hashable],
    safety: Collection[str],
    confirm: bool,
    settings: OpinionSettings | None = None,
) -> Verdict:
    """Decide from the recogniser's ``heard`` (``heard_ok``: its own rejection accepts it)
    and the classifier's ``probabilities``. ``live``: the phrases live now, each with what it
    means (phrases meaning the same never count as a disagreement); ``safety``: those
    of them that must not be missed; ``confirm``: a weak result may be accepted unsure."""
    s = settings or OpinionSettings()
    if not probabilities:
        return Verdict(heard if heard_ok else None, heard_confidence)
    known = {c for c in probabilities if c not in (OTHER, SILENCE)}
    top = max(probabilities, key=lambda c: probabilities[c])
    p_top = probabilities[top]
    # a safety phrase it never learnt ("it hurts") is never swapped for another command
    keep_safety = heard_ok and heard in safety and heard not in known
    strong = heard_ok and heard in live and heard_confidence >= s.strong_confidence
    if top in known and top in live and not keep_safety:
        if top == heard and heard_ok:
            return Verdict(top, p_top)
        # a strong phrase is overruled only by a classifier sure of its word, then asked about
        weak_need = s.accept_p if heard_ok and heard in live else s.alone_p
        need = s.veto_p if strong else weak_need
        if p_top >= need:
            return Verdict(top, p_top, unsure=strong and live[heard] != live[top])
    if heard not in live or not heard_ok:
        return Verdict(None, heard_confidence)
    sure_of_else = (
        top not in heard.split()  # "go" is no veto on "go on": it learnt single words
        and p_top >= s.veto_p
        and (top != OTHER or heard in known)
    )
    if heard not in known or heard in safety or strong:
        if sure_of_else:
            return Verdict(None, heard_confidence)
        # the classifier leaning to another live command is a doubt worth a question
        leaning_else = heard in known and top in live and live[top] != live[heard]
        return Verdict(heard, heard_confidence, unsure=leaning_else)
    if confirm and probabilities.get(heard, 0.0) >= s.confirm_p:
        return Verdict(heard, heard_confidence, unsure=True)
    return Verdict(None, heard_confidence)


@dataclass(frozen=True)
class ReadingSettings:
    """How the open-vocabulary reader's probabilities (``moonshine_reader``) are weighed.
    Chosen on the recorded utterances of held-out speakers (docs/benchmarks.md); every
    threshold was stable over a range around it on both speaker halves."""

    veto_p: float = 0.001
    """A command the reader gives less than this, while it is ``else_p`` sure the audio was
    something else, is dropped."""
    safety_veto_p: float = 0.01
    """Same for a safety command that was only weakly heard."""
    else_p: float = 0.95
    switch_p: float = 0.8
    """The reader this sure of another live command (not a safety one): that one is taken,
    and confirmed."""
    rescue_p: float = 0.7
    """Nothing was taken, and the reader is this sure of a live command: taken, confirmed
    (false accepts did not change from 0.65 to 0.8; 0.8 lost a clear "go" read at 0.785)."""
    safety_rescue_p: float = 0.6
    """Same for a safety command (never confirmed, as always)."""
    number_weight: float = 0.5
    """In the number context the reader's and the word classifier's probabilities of each
    number are multiplied, the classifier's raised to this power (it is the weaker judge)."""
    number_floor: float = 1e-3
    """Added to both before multiplying, so that one judge alone cannot rule a number out."""
    backs_p: float = 0.5
    """A safety word the word classifier knows is strongly heard only when it names it first,
    at least this sure."""
    number_min: float = 0.001
    """When nothing was taken, the reader must give the numbers together at least this
    (other speech in the number context stays nothing)."""
    number_sure: float = 0.9
    """A number both judges name, with the reader this sure among the numbers, is not
    confirmed."""


def reread(
    verdict: Verdict,
    reading: Mapping[str, float],
    live: Mapping[str, Hashable],
    safety: Collection[str],
    numbers: Mapping[str, Hashable] | None = None,
    probabilities: Mapping[str, float] | None = None,
    settings: ReadingSettings | None = None,
) -> Verdict:
    """Weigh the reader's ``reading`` (probability of each live phrase; the rest is anything
    else) against ``verdict`` (what the recogniser and the classifier made of the utterance).

    ``live``: each live phrase with what it means; ``safety``: those that must never be
    missed (a safety phrase that everything heard is acted on without asking: the listener
    does not call this for it). ``numbers``: in the number context, the phrases of the
    numbers with their values; ``probabilities``: the word classifier's, for them."""
    s = settings or ReadingSettings()
    by_meaning: dict[Hashable, float] = {}
    best_phrase: dict[Hashable, tuple[float, str]] = {}
    for phrase, p in reading.items():
        if phrase not in live:
            continue
        meaning = live[phrase]
        by_meaning[meaning] = by_meaning.get(meaning, 0.0) + p
        if p > best_phrase.get(meaning, (-1.0, ""))[0]:
            best_phrase[meaning] = (p, phrase)
    if not by_meaning:
        return verdict
    other = max(0.0, 1.0 - sum(by_meaning.values()))
    top = max(by_meaning, key=lambda m: by_meaning[m])
    p_top = by_meaning[top]
    top_phrase = best_phrase[top][1]
    top_is_safety = top_phrase in safety
    base = verdict.phrase
    if base is not None and base in safety:
        if top_is_safety and top != live[base] and p_top >= s.safety_rescue_p:
            return Verdict(top_phrase, p_top)
        if by_meaning.get(live[base], 0.0) < s.safety_veto_p and other >= s.else_p:
            return Verdict(None, verdict.confidence)
        return verdict
    if numbers:
        return _number(verdict, by_meaning, best_phrase, numbers, probabilities or {}, s)
    if base is not None:
        if top != live[base] and not top_is_safety and p_top >= s.switch_p:
            return Verdict(top_phrase, p_top, unsure=True)
        if by_meaning.get(live[base], 0.0) < s.veto_p and other >= s.else_p:
            return Verdict(None, verdict.confidence)
        return verdict
    if top_is_safety and p_top >= s.safety_rescue_p:
        return Verdict(top_phrase, p_top)
    if not top_is_safety and p_top >= s.rescue_p:
        return Verdict(top_phrase, p_top, unsure=True)
    return verdict


def _number(
    verdict: Verdict,
    by_meaning: Mapping[Hashable, float],
    best_phrase: Mapping[Hashable, tuple[float, str]],
    numbers: Mapping[str, Hashable],
    probabilities: Mapping[str, float],
    s: ReadingSettings,
) -> Verdict:
    """The number both judges find likeliest (the reader's share among the numbers times the
    classifier's share among the numbers it knows)."""
    values = set(numbers.values())
    read = {m: p for m, p in by_meaning.items() if m in values}
    total = sum(read.values())
    if total <= 0.0 or (verdict.phrase is None and total < s.number_min):
        return verdict
    heard: dict[Hashable, float] = {}
    for phrase, p in probabilities.items():
        if phrase in numbers:
            heard[numbers[phrase]] = heard.get(numbers[phrase], 0.0) + p
    heard_total = sum(heard.values())
    neutral = 1.0 / len(values)
    scores = {}
    for m in values:
        mine = read.get(m, 0.0) / total
        theirs = heard.get(m, 0.0) / heard_total if heard_total > 0 and m in heard else neutral
        scores[m] = (mine + s.number_floor) * (theirs + s.number_floor) ** s.number_weight
    best = max(scores, key=lambda m: scores[m])
    if best not in best_phrase:
        return verdict
    phrase = best_phrase[best][1]
    classifier_top = max(heard, key=lambda m: heard[m]) if heard else None
    sure = classifier_top == best and read.get(best, 0.0) / total >= s.number_sure
    share = scores[best] / sum(scores.values())
    return Verdict(phrase, share, unsure=not sure)
