"""Choosing the word classifier for a recogniser: the built-in one, another trained file, or
the one retrained with the user's recordings."""

from __future__ import annotations

import logging
from pathlib import Path

from companion.classifier.word_classifier import WEIGHTS, WordClassifier, WordJudge
from companion.errors import ModelError
from companion.recognisers.base import Engine
from companion.user_voice.own_word_judge import with_own_words
from companion.user_voice.voice_profile import VoiceProfile

log = logging.getLogger(__name__)


def make_classifier(
    engine: Engine, weights: str | Path | None = None, user_voice: Path | None = None
) -> WordJudge | None:
    """The word classifier that gives ``engine``'s listener a second opinion, or None.

    Used with PocketSphinx (US English; measured in docs/benchmarks.md). Vosk keeps its own
    confidences: its models may be of another language (the tests use a Korean one).
    ``weights``: another trained classifier file (the benchmark's held-out halves).
    ``user_voice``: the user's voice folder (``companion voice``); the classifier retrained
    with their recordings is used when there is one (a damaged one is logged and skipped), and
    the user's own words they taught are heard by their recordings (``own_word_judge``)."""
    if engine.name != "pocketsphinx":
        return None
    if weights:
        return WordClassifier(Path(weights))
    mine = VoiceProfile(user_voice).model_file if user_voice is not None else None
    if mine is not None and mine.is_file():
        try:
            return with_own_words(WordClassifier(mine), user_voice)
        except ModelError as exc:
            log.warning("%s Using the built-in word classifier instead.", exc)
    return with_own_words(WordClassifier(WEIGHTS), user_voice)
