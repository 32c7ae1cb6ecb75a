"""Cutting the user's utterances from a stream of audio chunks, for ``companion voice teach``.

``UtteranceCapture`` cuts utterances with the listener's energy detector and end-of-speech
silence, keeping a little audio from before the start of speech; ``MicCapture`` feeds it from
the microphone. ``drain(heard_from)`` drops what arrived while the companion spoke (see
``teach.heard_from``) and keeps what arrived since.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterator

import numpy as np

from companion.audio.microphone import Microphone
from companion.errors import DeviceError
from companion.listen.endpoint import Edge, Segmenter
from companion.listen.vad import EnergyVad, level_db

log = logging.getLogger(__name__)


class UtteranceCapture:
    """Utterances from a stream of 16 kHz chunks (handed to ``put`` by a microphone, which
    stamps each with ``clock()`` as it arrives): the listener's energy detector and segmenter,
    with a little audio kept from before the start of speech.

    ``drain(heard_from)`` (called once the companion has finished speaking) drops the chunks
    that arrived before ``heard_from`` (its voice) and keeps the rest for the next utterance:
    a user who answers at once must not lose the start of the word."""

    def __init__(
        self,
        end_silence_s: float,
        chunk_ms: int = 20,
        pre_roll_s: float = 0.3,
        stall_s: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.chunk_s = chunk_ms / 1000
        self.pre_roll = max(1, round(pre_roll_s / self.chunk_s))
        self.stall_s = stall_s
        self.end_silence_s = end_silence_s
        self.clock = clock
        self.chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()
        """(arrival time, chunk)."""
        self.problems: list[str] = []
        """What the microphone reported (its first problem names a stall)."""
        self.vad = EnergyVad()
        self._kept: list[tuple[bytes, bool]] = []
        """What ``drain`` kept: heard after the companion's voice, not yet listened to."""
        self._interrupt: Exception | None = None

    def put(self, chunk: bytes, at: float | None = None) -> None:
        """One chunk of audio that arrived at ``at`` (default: ``clock()`` now); from the
        microphone's thread."""
        self.chunks.put((self.clock() if at is None else at, chunk))

    def interrupt(self, what: Exception) -> None:
        """Make the wait for an utterance raise ``what`` (SkipWord, StopTeaching): from a key
        reader's thread."""
        self._interrupt = what

    def calibrate(self, seconds: float) -> None:
        """Learn the room's noise from the next ``seconds`` of audio (the energy detector's
        floor otherwise starts far below a noisy room, and takes seconds to rise to it)."""
        n = max(1, round(seconds / self.chunk_s))
        levels = [level_db(self._next_chunk()[1]) for _ in range(n)]
        self.vad.floor_db = float(np.percentile(levels, 20))

    def drain(self, heard_from: float) -> None:
        """Drop what arrived before ``heard_from``; keep what arrived since (in order)."""
        self._kept.clear()
        dropped = 0
        while True:
            try:
                at, chunk = self.chunks.get_nowait()
            except queue.Empty:
                break
            speech = self.vad.is_speech(chunk, self.chunk_s)  # the noise floor goes on learning
            if at < heard_from:
                dropped += 1
            else:
                self._kept.append((chunk, speech))
        log.debug("drained %d chunks of the companion's voice, kept %d", dropped, len(self._kept))

    def _next_chunk(self) -> tuple[float, bytes]:
        if self._interrupt is not None:
            what, self._interrupt = self._interrupt, None
            raise what
        try:
            return self.chunks.get(timeout=self.stall_s)
        except queue.Empty:
            detail = self.problems[0] if self.problems else "no audio from the microphone"
            raise DeviceError(f"The microphone stopped: {detail}") from None

    def _stream(self) -> Iterator[tuple[bytes, bool]]:
        kept, self._kept = self._kept, []
        yield from kept
        while True:
            _at, chunk = self._next_chunk()
            yield chunk, self.vad.is_speech(chunk, self.chunk_s)

    def next_utterance(self, timeout_s: float) -> bytes | None:
        seg = Segmenter(end_silence_s=self.end_silence_s)
        before: list[bytes] = []
        kept: list[bytes] = []
        waited = 0.0
        for chunk, speech in self._stream():
            edge = seg.process(self.chunk_s, speech)
            if edge is Edge.START:
                kept = [*before, chunk]
            elif kept:
                kept.append(chunk)
                if edge is Edge.END:
                    return b"".join(kept)
            else:
                before = [*before, chunk][-self.pre_roll :]
                waited += self.chunk_s
                if waited >= timeout_s:
                    return None
        return None  # pragma: no cover - the stream only ends by raising


class MicCapture(UtteranceCapture):
    """``UtteranceCapture`` on a microphone (opened on enter: DeviceError if it cannot be)."""

    def __init__(
        self, device: str | int | None, end_silence_s: float, rate: int = 16000, chunk_ms: int = 20
    ) -> None:
        super().__init__(end_silence_s, chunk_ms)
        self.mic = Microphone(
            self.put,
            device=device,
            rate=rate,
            chunk_ms=chunk_ms,
            on_problem=self.problems.append,
        )

    def __enter__(self) -> MicCapture:
        self.mic.start()
        try:
            self.calibrate(0.5)
        except DeviceError:
            self.mic.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.mic.stop()
