"""PocketSphinx behind the ``Engine`` protocol. With ``pocketsphinx_model`` (which finds and
checks the model) the only modules importing pocketsphinx."""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pocketsphinx

from companion.errors import ModelError
from companion.recognisers.base import Hypothesis
from companion.recognisers.pocketsphinx_model import (
    default_model_dir,
    find_model,
    load_decoys,
    probe,
)
from companion.recognisers.pronunciations import Pronunciations

log = logging.getLogger(__name__)

MAX_UTTERANCE_S = 8.0
"""Audio beyond this in one utterance is not decoded: every decode is time-bounded."""
DECOY_COUNT = 300
"""How many common words stand beside the commands as "not a command" (the reject path)."""
DECOY_WEIGHT = 1.0
"""Prior weight of the decoy words against the commands (chosen on speaker half A)."""
CLOSED_ONLY = 0.45
"""Confidence when only the closed pass names a live phrase (accepted for safety commands)."""
FRAMES_PER_S = 100  # PocketSphinx's frames a second (its default ``frate``, kept)
NOISE_FLOOR = 20.0
"""Standard deviation (16-bit units, about -64 dBFS) of a steady hiss added to all audio.

PocketSphinx's silence model was trained on real rooms: near-digital silence (a muted or
very quiet microphone, a trimmed recording) throws its features off, and it then prefers
half-finished phrases. A fixed floor below any real room keeps what it hears in range
(measured: in-context accuracy up, false accepts unchanged; docs/benchmarks.md)."""


def _grammar(phrases: Sequence[str], decoys: Sequence[str], decoy_weight: float) -> str:
    """JSGF: one of ``phrases`` or one decoy word; no repetition, so decoding stays bounded."""
    body = " | ".join(f"( {p} )" for p in phrases)
    if not decoys:
        return f"#JSGF V1.0;\ngrammar commands;\npublic <utterance> = {body};\n"
    return (
        "#JSGF V1.0;\ngrammar commands;\n"
        f"public <utterance> = /1/ <command> | /{decoy_weight:g}/ <decoy>;\n"
        f"<command> = {body};\n<decoy> = {' | '.join(decoys)};\n"
    )


@dataclass(frozen=True)
class AdaptedState:
    """A PocketSphinx engine's adapted state (``PocketSphinxEngine.adaptation``)."""

    closed_cmn: str
    open_cmn: str
    hiss: str


class PocketSphinxEngine:
    """Grammar-limited PocketSphinx recogniser with a second, open pass that can say "no".

    Two decoders hear the same audio. The closed pass knows only the live phrases (so it
    always names one; its partial results drive the early decisions). The open pass also
    offers a few hundred common words that are not live (the other commands among them):
    speech that is no command goes there. Confidence is 1 when the open pass names a live
    phrase, ``CLOSED_ONLY`` when only the closed pass does (enough for a safety command,
    not for others: see ``ListenerSettings``), and 0 otherwise.
    """

    name = "pocketsphinx"

    def __init__(
        self,
        model_dir: str | Path | None = None,
        *,
        sample_rate: int = 16000,
        decoys: Sequence[str] = (),
        decoy_count: int | None = None,
        decoy_weight: float = DECOY_WEIGHT,
        noise_floor: float | None = None,
        fresh_each_utterance: bool = False,
    ) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        self.sample_rate = sample_rate
        self.decoy_weight = decoy_weight
        self.noise_floor = NOISE_FLOOR if noise_floor is None else noise_floor
        self.fresh_each_utterance = fresh_each_utterance
        """Start each utterance with a new front end (noise estimate, cepstral mean) instead
        of the one adapted by the utterances before. Adapting helps on the user's turns
        (measured); for what begins in the companion's own voice a fresh one is used, so that
        its voice never adapts the decoder that hears the user."""
        self._hiss = np.random.default_rng(20261130)
        count = DECOY_COUNT if decoy_count is None else decoy_count
        self._decoy_pool = tuple(dict.fromkeys([*decoys, *load_decoys()[:count]]))
        hmm, dictionary = find_model(self.model_dir)
        if self.model_dir != default_model_dir():
            probe(hmm, dictionary, self.model_dir)
        self._pronunciations = Pronunciations(dictionary)
        """The whole dictionary; the decoders hold only the words asked for (``_learn``)."""
        self._unknown: set[str] = set()
        """Words the dictionary lacks (looked up once)."""
        try:
            with tempfile.TemporaryDirectory(prefix="companion-dict-") as tmp:
                words = Path(tmp) / "words.dict"
                self._pronunciations.write(self._decoy_pool, words)
                self._closed, self._open = (
                    pocketsphinx.Decoder(
                        hmm=str(hmm),
                        dict=str(words),
                        lm=None,
                        samprate=float(sample_rate),
                        loglevel="FATAL",
                    )
                    for _ in range(2)
                )
        except (RuntimeError, ValueError, OSError, KeyError) as exc:
            raise ModelError(
                f"The PocketSphinx model in {self.model_dir} could not be loaded: it is damaged "
                "or incomplete.",
                hint="Leave out --model to use the model that comes with PocketSphinx.",
            ) from exc
        self._searches: set[str] = set()
        self._search = ""
        self._fed_bytes = 0
        self._in_utterance = False
        self._partial = ""
        self.phrases: tuple[str, ...] = ()
        """Phrases of the current utterance that the dictionary can pronounce."""
        self.dropped: tuple[str, ...] = ()
        """Phrases asked for that hold a word missing from the dictionary."""

    def adaptation(self) -> AdaptedState:
        """What the engine has adapted so far (the front ends' cepstral means) and where its
        hiss is, to be put back with ``restore``: a benchmark can then decode every clip from
        the same state, whatever came before it."""
        return AdaptedState(
            self._closed.get_cmn(False),
            self._open.get_cmn(False),
            json.dumps(self._hiss.bit_generator.state),
        )

    def restore(self, state: AdaptedState) -> None:
        """Return to a state from ``adaptation`` (between utterances)."""
        if self._in_utterance:
            raise RuntimeError("restore() during an utterance")
        self._closed.set_cmn(state.closed_cmn)
        self._open.set_cmn(state.open_cmn)
        self._hiss.bit_generator.state = json.loads(state.hiss)

    def knows(self, word: str) -> bool:
        """Whether the dictionary can pronounce ``word``."""
        self._learn([word])
        return self._closed.lookup_word(word) is not None

    def _learn(self, words: Iterable[str]) -> None:
        """Give both decoders the pronunciations of those ``words`` they lack (one read of
        the dictionary for all of them)."""
        todo = [
            w
            for w in dict.fromkeys(words)
            if w not in self._unknown and self._closed.lookup_word(w) is None
        ]
        if not todo:
            return
        found = self._pronunciations.lines(todo)
        for decoder in (self._closed, self._open):
            for i, (entry, phones) in enumerate(found):
                try:
                    decoder.add_word(entry, phones, i == len(found) - 1)
                except RuntimeError:
                    log.warning("cannot add %r (%s) to the dictionary", entry, phones)
        self._unknown.update(w for w in todo if self._closed.lookup_word(w) is None)

    def start(self, phrases: Sequence[str]) -> None:
        """Begin a new utterance, recognising only ``phrases`` (or nothing)."""
        wanted = tuple(dict.fromkeys(" ".join(p.lower().split()) for p in phrases if p.strip()))
        if not wanted:
            raise ValueError("start() needs at least one phrase")
        self._learn(w for p in wanted for w in p.split())
        usable = tuple(p for p in wanted if all(self.knows(w) for w in p.split()))
        self.dropped = tuple(p for p in wanted if p not in usable)
        if self.dropped:
            log.debug("no pronunciation for: %s", ", ".join(self.dropped))
        if not usable:
            raise ModelError(f"The speech model knows none of the words {', '.join(wanted)}.")
        if self._in_utterance:
            self._closed.end_utt()
            self._open.end_utt()
            self._in_utterance = False
        self.phrases = usable
        self._activate(usable)
        if self.fresh_each_utterance:
            self._closed.reinit_feat()
            self._open.reinit_feat()
        self._closed.start_utt()
        self._open.start_utt()
        self._in_utterance = True
        self._fed_bytes = 0
        self._partial = ""

    def _activate(self, phrases: tuple[str, ...]) -> None:
        key = "g" + hashlib.sha1("|".join(phrases).encode()).hexdigest()[:12]
        if key not in self._searches:
            try:
                self._closed.add_jsgf_string(key, _grammar(phrases, (), 1.0))
                self._open.add_jsgf_string(
                    key, _grammar(phrases, self._decoys(phrases), self.decoy_weight)
                )
            except (RuntimeError, ValueError) as exc:
                raise ModelError(
                    f"PocketSphinx could not build the command grammar: {exc}"
                ) from exc
            self._searches.add(key)
        if self._search != key:
            self._closed.activate_search(key)
            self._open.activate_search(key)
            self._search = key

    def _decoys(self, phrases: tuple[str, ...]) -> list[str]:
        """Decoys for ``phrases``: no live word, nothing that sounds like one."""
        live = {w for p in phrases for w in p.split()}
        sounds = {self._closed.lookup_word(w) for w in live}
        return [
            w
            for w in self._decoy_pool
            if w not in live and self.knows(w) and self._closed.lookup_word(w) not in sounds
        ]

    @staticmethod
    def _words(decoder: pocketsphinx.Decoder) -> str:
        """The decoder's current best path ("" for none)."""
        hyp = decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def feed(self, pcm16: bytes) -> Hypothesis | None:
        """Add 16-bit mono audio; returns the closed pass's partial result when it changes."""
        if not self._in_utterance:
            raise RuntimeError("feed() before start()")
        room = int(MAX_UTTERANCE_S * self.sample_rate) * 2 - self._fed_bytes
        if room <= 0 or not pcm16:
            return None
        pcm16 = self._with_floor(pcm16[:room])
        self._fed_bytes += len(pcm16)
        self._closed.process_raw(pcm16, False, False)
        self._open.process_raw(pcm16, False, False)
        text = self._words(self._closed)
        if text != self._partial:
            self._partial = text
            return Hypothesis(text=text)
        return None

    def _with_floor(self, pcm16: bytes) -> bytes:
        """The audio with the steady hiss of ``noise_floor`` added (see NOISE_FLOOR)."""
        if self.noise_floor <= 0:
            return pcm16
        x = np.frombuffer(pcm16[: len(pcm16) - len(pcm16) % 2], dtype="<i2").astype(np.float32)
        x += self._hiss.standard_normal(x.size).astype(np.float32) * self.noise_floor
        return np.clip(x, -32768, 32767).astype("<i2").tobytes()

    def finish(self) -> Hypothesis:
        """End the utterance: what was heard, with the confidence described above."""
        if not self._in_utterance:
            raise RuntimeError("finish() before start()")
        self._closed.end_utt()
        self._open.end_utt()
        self._in_utterance = False
        opened, closed = self._words(self._open), self._words(self._closed)
        decoder = self._open
        if opened in self.phrases:
            text, confidence = opened, 1.0
        elif closed in self.phrases:
            text, confidence, decoder = closed, CLOSED_ONLY, self._closed
        else:
            text, confidence = opened, 0.0
        return Hypothesis(
            text=text,
            confidence=confidence,
            words=((text, confidence),),
            start_s=self._first_word_s(decoder) if text else None,
        )

    @staticmethod
    def _first_word_s(decoder: pocketsphinx.Decoder) -> float | None:
        """Where the best path's first word (not a filler or silence) began, or None."""
        try:
            for seg in decoder.seg():
                if seg.word and not seg.word.startswith(("<", "[", "+")):
                    return float(seg.start_frame) / FRAMES_PER_S
        except RuntimeError:  # no best path
            return None
        return None
