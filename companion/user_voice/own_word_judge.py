"""The user's own words heard by their own recordings: the word classifier's second opinion,
with each taught word of the routine's [vocabulary] ("sore" for it hurts) added by template.

The recogniser (and the reader) know a word only as it is usually said; a user whose "sore"
they miss is still heard when the utterance sounds like the user's own recordings of it. The
utterance's pooled speech embedding (the classifier's, standardised as the classifier does) is
compared with each recording of each own word; a word matches when

- the mean cosine similarity to its recordings is at least ``match_similarity``, and
- the classifier does not name a built-in word with a meaning of its own for the utterance
  (``RESERVED``: "stop", "no", "four" ...) other than the word the own word is learnt as
  ("halt" as "stop"): the user's own word never takes the place of a word the classifier
  hears as a command or a number.

The best match is added to the classifier's probabilities as that phrase, at ``own_p``
(``OwnWordProbabilities.own`` names it); without a match the classifier's probabilities are
passed on unchanged. Measured on the shared recordings: docs/benchmarks.md, "The user's own
voice" (scripts/benchmark_own_words.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from companion.audio import wavfile
from companion.classifier.embedding import pooled
from companion.classifier.word_classifier import WordClassifier
from companion.errors import CompanionError
from companion.user_voice.voice_profile import DIGITS, TEACHABLE, VoiceProfile
from companion.user_voice.word_recording import RATE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OwnWordSettings:
    match_similarity: float = 0.7
    """Mean cosine similarity to a word's recordings needed (standardised pooled embedding;
    measured: 1 false accept in 8,774 clips, a minimal pair of the same speaker, at 0.65 4)."""
    own_p: float = 0.9
    """The probability a matched own word is given (the classifier's others share the rest)."""
    same_class: bool = False
    """Whether the classifier must also name the same class for the utterance as for one of
    the word's recordings (measured: it lost hits and no false accept, so it is off)."""


class OwnWordProbabilities(dict[str, float]):
    """The classifier's probabilities with the user's own word that matched (``own``)."""

    own: str = ""


def own_word_heard(probabilities: Mapping[str, float]) -> str:
    """The user's own word matched by their recordings in ``probabilities`` ("" if none)."""
    return probabilities.own if isinstance(probabilities, OwnWordProbabilities) else ""


RESERVED = frozenset({"yes", "no", "stop", "go", "right", *DIGITS})
"""Classes of the classifier that are built-in command or number words."""


@dataclass(frozen=True)
class Template:
    """One own word: its recordings' unit vectors, the classes the classifier gives them, and
    the reserved classes it may be heard in (the word it is learnt as: "stop" for "halt")."""

    vectors: npt.NDArray[np.float64]
    classes: frozenset[int]
    allowed: frozenset[int]


class OwnWordJudge:
    """A ``WordJudge``: the classifier's probabilities plus the user's own words by template."""

    def __init__(
        self,
        classifier: WordClassifier,
        recordings: Mapping[str, Sequence[Path]],
        settings: OwnWordSettings | None = None,
    ) -> None:
        self.classifier = classifier
        self.settings = settings or OwnWordSettings()
        self.templates: dict[str, Template] = {}
        for word, paths in recordings.items():
            features = [f for f in (self._read(p) for p in paths) if f is not None]
            if features:
                x = np.stack(features)
                learnt_as = {p.parent.name for p in paths} & set(TEACHABLE)
                self.templates[word] = Template(
                    _unit(self.classifier.standardise(x)),
                    frozenset(int(c) for c in classifier.predict(x).argmax(axis=1)),
                    frozenset(i for i, c in enumerate(classifier.classes) if c in learnt_as),
                )

    def _read(self, path: Path) -> npt.NDArray[np.float64] | None:
        try:
            return self._features(wavfile.read(path, RATE))
        except (CompanionError, OSError) as exc:
            log.warning("a recording of the user's own word is skipped: %s", exc)
            return None

    def _features(self, pcm16: bytes) -> npt.NDArray[np.float64]:
        return pooled(self.classifier.embedder.embed(pcm16))

    def probabilities(self, pcm16: bytes) -> dict[str, float]:
        """The classifier's probability of each class, and of the own word that matched."""
        x = self._features(pcm16)[None, :]
        p = self.classifier.predict(x)[0]
        out = OwnWordProbabilities(
            (c, float(v)) for c, v in zip(self.classifier.classes, p, strict=True)
        )
        word = self.match(x, int(p.argmax()))
        if word:
            share = 1.0 - self.settings.own_p
            out = OwnWordProbabilities((c, v * share) for c, v in out.items())
            out[word] = self.settings.own_p
            out.own = word
        return out

    def match(self, x: npt.NDArray[np.float64], top_class: int) -> str:
        """The own word whose recordings ``x`` (pooled features, 1 row) matches best, or ""."""
        v = _unit(self.classifier.standardise(x))[0]
        reserved = self.classifier.classes[top_class] in RESERVED
        best, best_sim = "", self.settings.match_similarity
        for word, t in self.templates.items():
            if reserved and top_class not in t.allowed:
                continue  # a built-in word the classifier heard is never the user's own word
            if self.settings.same_class and top_class not in t.classes:
                continue
            similarity = float((t.vectors @ v).mean())
            if similarity >= best_sim:
                best, best_sim = word, similarity
        if best:
            log.debug("the user's own word %r heard by its recordings (%.2f)", best, best_sim)
        return best


def with_own_words(
    classifier: WordClassifier, user_voice: Path | None
) -> WordClassifier | OwnWordJudge:
    """``classifier`` with the user's own words of ``user_voice`` (their voice folder) added,
    or ``classifier`` itself when they taught none."""
    if user_voice is None:
        return classifier
    recordings = VoiceProfile(user_voice).own_recordings()
    return OwnWordJudge(classifier, recordings) if recordings else classifier


def _unit(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    out: npt.NDArray[np.float64] = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)
    return out
