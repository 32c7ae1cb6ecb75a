"""Recognising a whole recording with the live listener, as fast as the engine allows."""

from __future__ import annotations

import time
from dataclasses import dataclass

from companion.audio.frontend import FrontEnd
from companion.classifier.word_classifier import WordJudge
from companion.commands import CONTEXTS, Context, Vocabulary
from companion.listen.listener import Listener
from companion.recognisers.base import Engine, Reader


@dataclass(frozen=True)
class Result:
    """What the listener made of one recording."""

    heard: str
    """Words of the first decision, else of the last utterance ("" if nothing)."""
    command: str | None
    value: int | None
    confidence: float
    decided_at_s: float | None
    decode_ms: float
    unsure: bool = False
    """The listener would ask for confirmation (not part of the JSON line)."""

    def as_dict(self, file: str) -> dict[str, object]:
        """The JSON line of ``companion recognize``."""
        return {
            "file": file,
            "heard": self.heard,
            "command": self.command,
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "decided_at_s": self.decided_at_s,
            "decode_ms": round(self.decode_ms, 1),
        }


def recognise(
    engine: Engine,
    vocabulary: Vocabulary,
    context: Context,
    pcm16: bytes,
    end_silence_s: float = 1.5,
    classifier: WordJudge | None = None,
    reader: Reader | None = None,
    front_end: FrontEnd | None = None,
) -> Result:
    """Run ``pcm16`` (mono, ``engine.sample_rate``) through ``front_end`` (fresh; None: as
    it is) and then a fresh listener in ``context``."""
    listener = Listener(
        engine, vocabulary, end_silence_s=end_silence_s, classifier=classifier, reader=reader
    )
    if front_end is not None:
        pcm16 = front_end.process(pcm16) + front_end.flush()
    return run(listener, context, pcm16)


def run(listener: Listener, context: Context, pcm16: bytes) -> Result:
    """Run ``pcm16`` through ``listener`` (fresh, not yet given a context) in ``context``."""
    began = time.perf_counter()
    listener.set_context(context, CONTEXTS[context])
    decisions = listener.process(pcm16) + listener.flush()
    decode_ms = (time.perf_counter() - began) * 1000
    if not decisions:
        return Result(listener.heard, None, None, listener.last_confidence, None, decode_ms)
    d = decisions[0]
    return Result(
        d.text, d.command.value, d.value, d.confidence, d.decided_at_s, decode_ms, d.unsure
    )
