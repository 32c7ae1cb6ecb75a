"""End-of-speech detection by arithmetic on chunk lengths and speech flags; no clock inside."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

MIN_END_SILENCE_S = 0.3
MAX_END_SILENCE_S = 2.5


class Edge(str, Enum):
    """What a chunk changed."""

    NONE = "none"
    START = "start"
    END = "end"


@dataclass
class Segmenter:
    """Finds where an utterance starts and ends from (chunk length, is speech) pairs.

    Speech starts after ``start_speech_s`` of speech; it ends after ``end_silence_s`` of
    silence, or when the utterance has lasted ``max_utterance_s`` (so a decode is always
    bounded). Short silences and short noises are absorbed by the two thresholds.
    """

    end_silence_s: float = 1.5
    """Silence that ends an utterance (0.3-2.5 s; slow speakers need more)."""
    start_speech_s: float = 0.06
    """Speech needed before an utterance starts."""
    max_utterance_s: float = 6.0
    """Longest utterance; it is ended here whatever follows."""

    def __post_init__(self) -> None:
        if not MIN_END_SILENCE_S <= self.end_silence_s <= MAX_END_SILENCE_S:
            raise ValueError(
                f"end silence must be {MIN_END_SILENCE_S}-{MAX_END_SILENCE_S} s, "
                f"not {self.end_silence_s}"
            )
        self.in_speech = False
        self.speech_s = 0.0
        """Speech run before the start (while waiting) or total speech (in an utterance)."""
        self.silence_s = 0.0
        """Silence since the last speech chunk."""
        self.utterance_s = 0.0
        """Length of the current utterance."""

    def reset(self) -> None:
        """Forget everything: wait for a new utterance."""
        self.in_speech = False
        self.speech_s = self.silence_s = self.utterance_s = 0.0

    def process(self, chunk_s: float, is_speech: bool) -> Edge:
        """Account for one chunk; returns the edge it caused, if any."""
        if not self.in_speech:
            if is_speech:
                self.speech_s += chunk_s
                if self.speech_s >= self.start_speech_s - 1e-9:
                    self.in_speech = True
                    self.utterance_s = self.speech_s
                    self.silence_s = 0.0
                    return Edge.START
            else:
                self.speech_s = 0.0
            return Edge.NONE
        self.utterance_s += chunk_s
        if is_speech:
            self.speech_s += chunk_s
            self.silence_s = 0.0
        else:
            self.silence_s += chunk_s
        if self.silence_s >= self.end_silence_s - 1e-9 or self.utterance_s >= self.max_utterance_s:
            self.reset()
            return Edge.END
        return Edge.NONE
