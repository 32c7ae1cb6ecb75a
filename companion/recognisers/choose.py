"""Choosing a recogniser by name: PocketSphinx (built in) or Vosk (when a model is installed)."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from companion import paths
from companion.commands import Command, vocabulary
from companion.errors import BadInputError, ModelError
from companion.listen import models
from companion.recognisers.base import Engine, Reader
from companion.recognisers.moonshine_reader import MoonshineReader

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
        # native, slow to load: only when this engine is chosen
        from companion.recognisers.pocketsphinx_engine import PocketSphinxEngine

        # every command word is a decoy wherever it is not live
        words = {w for p in vocabulary().phrases_for(frozenset(Command)) for w in p.split()}
        return PocketSphinxEngine(model_dir, decoys=sorted(words), fresh_each_utterance=fresh)
    if name == "vosk":
        try:
            vosk_engine = importlib.import_module("companion.recognisers.vosk_engine")
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
    found = models.find_vosk(paths.models_dir())
    if found is None:
        raise ModelError(
            "No Vosk model is installed.",
            hint="Run: companion models download en-us   (or give --model DIR)",
        )
    return found


def make_reader(engine: Engine, enabled: bool = True) -> Reader | None:
    """The open-vocabulary reader (Moonshine's English model) that gives ``engine``'s
    listener a third opinion, or None: not enabled, not English (only with PocketSphinx, as
    the word classifier), or not installed or damaged (logged; voice works without it, less
    accurately; `companion doctor` shows it)."""
    if not enabled or engine.name != "pocketsphinx":
        return None
    try:
        return MoonshineReader()
    except ModelError as exc:
        log.warning("listening without the Moonshine reader: %s", exc)
        return None
