"""Choosing a recogniser by name: PocketSphinx (built in) or Vosk (when a model is installed)."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from companion.errors import BadInputError, ModelError
from companion.listen.base import Engine
from companion.listen.phrase_scorer import PhraseJudge
from companion.listen.word_classifier import WordJudge

log = logging.getLogger(__name__)

ENGINES = ("pocketsphinx", "vosk")
"""Engine names accepted by ``make_engine``."""


def make_engine(name: str, model_dir: str | Path | None = None, *, fresh: bool = False) -> Engine:
    """A ready engine; BadInputError for an unknown name, ModelError for a bad model.

    ``fresh``: the engine adapts to nothing from one utterance to the next (used for what
    begins while the companion speaks; Vosk starts every utterance afresh anyway)."""
    if model_dir is not None and not Path(model_dir).is_dir():
        raise ModelError(f"The model folder {model_dir} does not exist.")
    if name == "pocketsphinx":
        from companion.commands import Command, vocabulary
        from companion.listen.pocketsphinx_engine import PocketSphinxEngine

        # every command word is a decoy wherever it is not live
        words = {w for p in vocabulary().phrases_for(frozenset(Command)) for w in p.split()}
        return PocketSphinxEngine(model_dir, decoys=sorted(words), fresh_each_utterance=fresh)
    if name == "vosk":
        try:
            vosk_engine = importlib.import_module("companion.listen.vosk_engine")
        except ImportError as exc:
            raise ModelError(f"The Vosk engine is not available: {exc}") from exc
        if model_dir is None:
            model_dir = _default_vosk_dir()
        engine: Engine = vosk_engine.VoskEngine(model_dir)
        return engine
    raise BadInputError(
        f"unknown speech engine {name!r}", hint=f"Choose one of: {', '.join(ENGINES)}."
    )


def _default_vosk_dir() -> Path:
    from companion import paths
    from companion.listen import models

    found = models.find_vosk(paths.models_dir())
    if found is None:
        raise ModelError(
            "No Vosk model is installed.",
            hint="Run: companion models download en-us   (or give --model DIR)",
        )
    return found


def make_classifier(
    engine: Engine, weights: str | Path | None = None, user_voice: Path | None = None
) -> WordJudge | None:
    """The word classifier that gives ``engine``'s listener a second opinion, or None.

    Used with PocketSphinx (US English; measured in docs/benchmarks.md). Vosk keeps its own
    confidences: its models may be of another language (the tests use a Korean one).
    ``weights``: another trained classifier file (the benchmark's held-out halves).
    ``user_voice``: the user's voice folder (``companion voice``); the classifier retrained
    with their recordings is used when there is one (a damaged one is logged and skipped)."""
    if engine.name != "pocketsphinx":
        return None
    from companion.listen.voice_profile import VoiceProfile
    from companion.listen.word_classifier import WEIGHTS, WordClassifier

    if weights:
        return WordClassifier(Path(weights))
    mine = VoiceProfile(user_voice).model_file if user_voice is not None else None
    if mine is not None and mine.is_file():
        try:
            return WordClassifier(mine)
        except ModelError as exc:
            log.warning("%s Using the built-in word classifier instead.", exc)
    return WordClassifier(WEIGHTS)


def make_reader(engine: Engine, enabled: bool = True) -> PhraseJudge | None:
    """The open-vocabulary reader (Moonshine's English model) that gives ``engine``'s
    listener a third opinion, or None: not enabled, not English (only with PocketSphinx, as
    the word classifier), or not installed or damaged (logged; voice works without it, less
    accurately; `companion doctor` shows it)."""
    if not enabled or engine.name != "pocketsphinx":
        return None
    from companion.listen.phrase_scorer import MoonshineScorer

    try:
        return MoonshineScorer()
    except ModelError as exc:
        log.warning("listening without the Moonshine reader: %s", exc)
        return None
