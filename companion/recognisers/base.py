"""The small interfaces the recognisers sit behind, and what they return: a closed-list
recogniser (``Engine``: PocketSphinx, Vosk) and the reader (``Reader``: Moonshine, how likely
each live phrase is)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Hypothesis:
    """What a recogniser thinks was said."""

    text: str
    """Recognised words ("" for nothing)."""
    confidence: float = 0.0
    """0-1, engine specific."""
    words: tuple[tuple[str, float], ...] = field(default=())
    """(word, confidence) pairs where the engine gives them."""
    start_s: float | None = None
    """Where the first word of ``text`` began in the audio fed since ``start`` (seconds),
    where the engine tells (None: not told)."""


class Engine(Protocol):
    """A streaming recogniser limited to a list of phrases."""

    name: str
    sample_rate: int
    """Rate of the 16-bit mono PCM that ``feed`` expects."""

    def start(self, phrases: Sequence[str]) -> None:
        """Begin a new utterance, recognising only ``phrases``."""

    def feed(self, pcm16: bytes) -> Hypothesis | None:
        """Add audio; returns a partial hypothesis when one is available."""

    def finish(self) -> Hypothesis:
        """End the utterance and return the final hypothesis."""


class Reader(Protocol):
    """The reader: anything that scores live phrases for an utterance (``MoonshineReader``; a
    fake in unit tests)."""

    def phrase_probabilities(
        self, pcm16: bytes, forms: Mapping[str, Sequence[str]]
    ) -> dict[str, float]:
        """For each key of ``forms`` (a phrase), the probability that the audio says one of
        its written forms; they sum to at most 1 (the rest is anything else)."""
