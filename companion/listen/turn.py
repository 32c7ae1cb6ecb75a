"""One utterance (a turn) as the listener holds it: its audio, its timing, what was heard at
its pauses, and the classifier's and the reader's views of it, each asked once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from companion.classifier.combine_opinions import Verdict
from companion.classifier.word_classifier import WordJudge
from companion.recognisers.base import Engine, Reader


class Turn:
    """The utterance under way (or the last one, until the next begins)."""

    def __init__(self, start_s: float, decoder: Engine, keep_audio: bool, max_audio_bytes: int):
        self.start_s = start_s
        """Where its speech began in the audio fed so far (the pre-roll before it is fed to
        the engine but is not part of what was said)."""
        self.decoder = decoder
        """The engine decoding it (the own-voice engine when it began in the companion's)."""
        self._keep_audio = keep_audio
        self._max_audio_bytes = max_audio_bytes
        self.audio = bytearray()
        """The utterance as fed to the engine (for the classifier and the reader)."""
        self.partial = ""
        """The recogniser's latest partial result (normalised)."""
        self.heard_at_pause = ""
        """The classifier's live word at the utterance's last short pause ("" if none)."""
        self.speech_frames = 0
        """Speech frames in the utterance so far."""
        self.checked_at = 0
        """Audio length (bytes) at the last check over the companion's voice."""
        self.own_word: tuple[int, Verdict | None] = (-1, None)
        """(audio length, the word heard over the companion's voice then)."""
        self.stop_read: Verdict | None = None
        """"Stop" as the reader heard it at a pause of this utterance."""
        self._judged: tuple[int, Mapping[str, float]] = (-1, {})
        """(audio length, the classifier's probabilities for it)."""
        self._read: tuple[int, Mapping[str, float]] = (-1, {})
        """(speech frames, the reader's probabilities for the utterance then)."""

    def keep(self, frame: bytes) -> None:
        """Keep ``frame`` for the opinions (when there are any, up to the longest utterance)."""
        if self._keep_audio and len(self.audio) < self._max_audio_bytes:
            self.audio += frame

    def heard_audio(self, window_bytes: int | None) -> bytes:
        """The utterance as the classifier and the reader hear it: only its last
        ``window_bytes`` when given (over the companion's voice: the user's word, not the
        line said before it)."""
        if window_bytes is None:
            return bytes(self.audio)
        return bytes(self.audio[-window_bytes:])

    def probabilities(self, classifier: WordJudge, window_bytes: int | None) -> Mapping[str, float]:
        """The classifier's view of the utterance so far (asked once per length of audio:
        deciding right after the early "stop" check needs no second pass)."""
        audio = self.heard_audio(window_bytes)
        key = len(self.audio) * (-1 if len(audio) < len(self.audio) else 1)
        if self._judged[0] != key:
            self._judged = (key, classifier.probabilities(audio))
        return self._judged[1]

    def reading(self, reader: Reader, forms: Mapping[str, list[str]]) -> Mapping[str, float]:
        """The reader's view of the whole utterance (read again only after more speech: what
        a pause read is still the utterance when it ends in silence)."""
        if self._read[0] != self.speech_frames:
            self._read = (self.speech_frames, reader.phrase_probabilities(bytes(self.audio), forms))
        return self._read[1]


class Opinions(Protocol):
    """The other opinions on a turn, each asked only when a rule needs it (a model run)."""

    @property
    def has_classifier(self) -> bool:
        """The word classifier is there."""

    @property
    def has_reader(self) -> bool:
        """The reader is there."""

    @property
    def has_audio(self) -> bool:
        """The turn has audio kept for the classifier and the reader."""

    def probabilities(self) -> Mapping[str, float]:
        """The word classifier's probability of each word it knows."""

    def reading(self) -> Mapping[str, float]:
        """The reader's probability of each live phrase for the whole utterance."""

    def read(self, asked: Mapping[str, list[str]]) -> Mapping[str, float]:
        """The reader's probability of each phrase in ``asked`` for the audio heard."""

    def read_from(self, asked: Mapping[str, list[str]], start_s: float) -> Mapping[str, float]:
        """Same, for the utterance from ``start_s`` (less ``READ_LEAD_S``) to its end."""


READ_LEAD_S = 0.1
"""The reader hears this much before where the recogniser heard a phrase begin (its word
boundaries are rough)."""


class TurnOpinions:
    """``Opinions`` on a turn from the real classifier and reader (absent ones say so)."""

    def __init__(
        self,
        turn: Turn,
        classifier: WordJudge | None,
        reader: Reader | None,
        forms: Mapping[str, list[str]],
        window_bytes: int | None,
        rate: int = 16000,
    ) -> None:
        self.turn = turn
        self.classifier = classifier
        self.reader = reader
        self.forms = forms
        self.window_bytes = window_bytes
        self.rate = rate

    @property
    def has_classifier(self) -> bool:
        """The word classifier is there."""
        return self.classifier is not None

    @property
    def has_reader(self) -> bool:
        """The reader is there."""
        return self.reader is not None

    @property
    def has_audio(self) -> bool:
        """The turn has audio kept for the classifier and the reader."""
        return bool(self.turn.audio)

    def probabilities(self) -> Mapping[str, float]:
        """The word classifier's view (cached on the turn)."""
        assert self.classifier is not None
        return self.turn.probabilities(self.classifier, self.window_bytes)

    def reading(self) -> Mapping[str, float]:
        """The reader's view of the whole utterance (cached on the turn)."""
        assert self.reader is not None
        return self.turn.reading(self.reader, self.forms)

    def read(self, asked: Mapping[str, list[str]]) -> Mapping[str, float]:
        """The reader asked about ``asked`` only (never cached)."""
        assert self.reader is not None
        return self.reader.phrase_probabilities(self.turn.heard_audio(self.window_bytes), asked)

    def read_from(self, asked: Mapping[str, list[str]], start_s: float) -> Mapping[str, float]:
        """The reader asked about ``asked`` on the utterance from ``start_s`` (where the
        recogniser heard the phrase begin) less ``READ_LEAD_S``: a transcript must begin
        with the phrase, and over the companion's voice the last second may begin with its
        words (never cached)."""
        assert self.reader is not None
        at = 2 * max(0, round((start_s - READ_LEAD_S) * self.rate))
        return self.reader.phrase_probabilities(bytes(self.turn.audio[at:]), asked)
