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
