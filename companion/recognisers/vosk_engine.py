"""The Vosk (Kaldi) recogniser behind the ``Engine`` protocol; the only module importing vosk."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import vosk

from companion.errors import ModelError
from companion.listen import models
from companion.recognisers.base import Hypothesis

log = logging.getLogger(__name__)

UNKNOWN = "[unk]"
"""The word Vosk gives for speech outside the grammar (when the model has it)."""

_CACHED_RECOGNISERS = 8

vosk.SetLogLevel(-1)


class VoskEngine:
    """Streaming Vosk recogniser limited to the phrases of the current context.

    ``Hypothesis.text`` holds the recognised grammar words, with ``[unk]`` where the model
    heard speech outside the grammar (models that have an ``[unk]`` word, such as the English
    ones); ``confidence`` is the lowest word confidence (0 when nothing was heard).
    """

    name = "vosk"

    def __init__(self, model_dir: str | Path, sample_rate: int = 16000) -> None:
        self.model_dir = Path(model_dir)
        self.sample_rate = sample_rate
        models.check_vosk_dir(self.model_dir)
        try:
            self._model = vosk.Model(str(self.model_dir))
        except Exception as exc:  # vosk raises a bare Exception for any load failure
            raise ModelError(
                f"The speech model in {self.model_dir} could not be loaded; it is damaged or "
                "not a Vosk model.",
                hint="Download it again: companion models download en-us",
            ) from exc
        self.has_unknown = self.knows(UNKNOWN)
        self.takes_grammar = (self.model_dir / "graph" / "HCLr.fst").is_file()
        """Small (lookahead) models take a grammar; big ones with a fixed graph ignore it."""
        if not self.takes_grammar:
            log.warning(
                "model %s cannot be limited to a grammar; words outside the live "
                "phrases are reported as %s",
                self.model_dir,
                UNKNOWN,
            )
        self._allowed: frozenset[str] = frozenset()
        self._recognisers: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._rec: Any = None
        self._segments: list[dict[str, Any]] = []
        self._last_partial = ""
        self.phrases: tuple[str, ...] = ()
        """The phrases of the current utterance that the model can recognise."""
        self.dropped: tuple[str, ...] = ()
        """Phrases asked for that hold a word missing from the model's vocabulary."""

    def knows(self, word: str) -> bool:
        """Whether ``word`` is in the model's vocabulary."""
        return int(self._model.vosk_model_find_word(word)) >= 0

    def start(self, phrases: Sequence[str]) -> None:
        """Begin a new utterance, recognising only ``phrases`` (plus ``[unk]``)."""
        wanted = tuple(dict.fromkeys(" ".join(p.lower().split()) for p in phrases if p.strip()))
        if not wanted:
            raise ValueError("start() needs at least one phrase")
        usable = tuple(p for p in wanted if all(self.knows(w) for w in p.split()))
        self.dropped = tuple(p for p in wanted if p not in usable)
        if not usable:
            raise ModelError(
                f"The speech model in {self.model_dir} knows none of the words "
                f"{_some(wanted)}; it may be for another language."
            )
        if self.dropped:
            log.warning("model %s lacks words of: %s", self.model_dir, _some(self.dropped))
        self.phrases = usable
        self._allowed = frozenset(w for p in usable for w in p.split()) | {UNKNOWN}
        self._rec = self._recogniser(usable)
        self._rec.Reset()
        self._segments = []
        self._last_partial = ""

    def _recogniser(self, phrases: tuple[str, ...]) -> Any:
        rec = self._recognisers.get(phrases)
        if rec is not None:
            self._recognisers.move_to_end(phrases)
            return rec
        grammar = list(phrases) + ([UNKNOWN] if self.has_unknown else [])
        try:
            rec = vosk.KaldiRecognizer(
                self._model, float(self.sample_rate), json.dumps(grammar, ensure_ascii=False)
            )
        except Exception as exc:
            raise ModelError(f"Vosk could not build a recogniser: {exc}") from exc
        rec.SetWords(True)
        self._recognisers[phrases] = rec
        if len(self._recognisers) > _CACHED_RECOGNISERS:
            self._recognisers.popitem(last=False)
        return rec

    def feed(self, pcm16: bytes) -> Hypothesis | None:
        """Add 16-bit mono audio; returns a partial hypothesis when the words heard change."""
        if self._rec is None:
            raise RuntimeError("feed() before start()")
        try:
            ended = self._rec.AcceptWaveform(pcm16)
        except Exception as exc:
            raise ModelError(f"Vosk failed on the audio: {exc}") from exc
        if ended:
            self._segments.append(json.loads(self._rec.Result()))
            text = self._joined_text()
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
            text = " ".join(filter(None, [self._joined_text(), partial]))
        text = self._restrict(text)
        if text and text != self._last_partial:
            self._last_partial = text
            return Hypothesis(text=text)
        return None

    def finish(self) -> Hypothesis:
        """End the utterance; returns everything heard since ``start`` with word confidences."""
        if self._rec is None:
            raise RuntimeError("finish() before start()")
        self._segments.append(json.loads(self._rec.FinalResult()))
        words = tuple(
            (self._restrict(str(w["word"])), float(w.get("conf", 0.0)))
            for seg in self._segments
            for w in seg.get("result", ())
        )
        self._segments = []
        self._last_partial = ""
        text = " ".join(w for w, _ in words)
        confidence = min((c for _, c in words), default=0.0)
        return Hypothesis(text=text, confidence=confidence, words=words)

    def _restrict(self, text: str) -> str:
        """Words outside the live phrases as ``[unk]`` (only big fixed-graph models make them)."""
        return " ".join(w if w in self._allowed else UNKNOWN for w in text.split())

    def _joined_text(self) -> str:
        return " ".join(s.get("text", "") for s in self._segments if s.get("text"))


def _some(phrases: Sequence[str], shown: int = 5) -> str:
    """The first few phrases, and how many more, for a message of readable length."""
    more = len(phrases) - shown
    return ", ".join(phrases[:shown]) + (f" and {more} more" if more > 0 else "")
