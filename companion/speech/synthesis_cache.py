"""The WAV file of each line a speaker says: synthesised on a thread of its own, one at a time,
and kept in a small cache (so counting words are ready at once). A synthesiser that renders a
line in parts (Piper: sentence by sentence) can also hand them over as they are rendered
(``stream``), so that the first is heard while the rest renders.

A synthesis that hangs is left behind: waiting for it is bounded by ``synth_timeout``, and the
line is tried afresh when it is asked for again.
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from companion.errors import CompanionError

Key = tuple[str, int, float]
"""A line's text, rate (words per minute) and volume (0-1)."""


class Synthesizer(Protocol):
    """Turns one line into a WAV file."""

    def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
        """Write ``text`` spoken at ``rate`` words per minute and ``volume`` 0-1 to ``wav``."""


Part = tuple[npt.NDArray[np.int16], int]
"""Mono 16-bit samples of part of a line, and their rate."""


class PartSynthesizer(Protocol):
    """A synthesiser that can hand a line over part by part (``PiperSynth``)."""

    def synthesize_parts(
        self, text: str, rate: int, volume: float, wav: Path, on_part: Callable[[Part], None]
    ) -> None:
        """As ``synthesize``, handing each part to ``on_part`` as soon as it is rendered."""


class Parts:
    """The parts of a line, in order, as its synthesis renders them (``SynthesisCache.stream``)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Part | BaseException | None] = queue.Queue()

    def put(self, part: Part) -> None:
        """One more part (from the synthesis thread)."""
        self._queue.put(part)

    def end(self, error: BaseException | None) -> None:
        """The synthesis ended: every part was handed over, or ``error``."""
        self._queue.put(error)

    def next(self, stale: Callable[[], bool], timeout: float) -> Part | None:
        """The next part; None when there are no more (or ``stale()`` became true first);
        CompanionError when the synthesis failed or handed nothing over for ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                if stale():
                    return None
                if time.monotonic() >= deadline:
                    raise CompanionError(
                        f"speech synthesis did not finish within {timeout:g} s"
                    ) from None
                continue
            if isinstance(item, CompanionError):
                raise item
            if isinstance(item, BaseException):
                raise CompanionError(f"speech synthesis failed: {item}") from item
            return item


class SynthesisCache:
    """Lines' WAV files in a private temporary folder (removed by ``cleanup``), at most
    ``cache_size`` of them kept."""

    def __init__(self, synth: Synthesizer, cache_size: int, synth_timeout: float) -> None:
        self._synth = synth
        self.synth_timeout = synth_timeout
        self._cache_size = cache_size
        self._cache: OrderedDict[Key, Path] = OrderedDict()
        self._pending: dict[Key, Future[Path]] = {}
        self._files = threading.Lock()
        """Guards ``_cache``, ``_pending`` and ``_count`` (the speaker and synthesis threads)."""
        self._synth_turn = threading.Lock()
        """One synthesis at a time (each on a daemon thread of its own, so a hung one can be
        left behind: an executor's threads would be waited for at exit)."""
        self._dir = Path(tempfile.mkdtemp(prefix="companion-speech-"))
        self.cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        """Removes the folder and every file in it (at the latest when this is collected)."""
        self._count = 0

    def wav(self, key: Key, stale: Callable[[], bool], closing: Callable[[], bool]) -> Path | None:
        """The line's WAV file, synthesised now or already; None when ``stale()`` becomes true
        first; CompanionError if it cannot be made within ``synth_timeout``."""
        pending = self.future(key, closing)
        deadline = time.monotonic() + self.synth_timeout
        while True:
            try:
                return pending.result(timeout=0.05)
            except TimeoutError:
                if stale():
                    return None
                if time.monotonic() >= deadline:
                    with self._files:  # asked again later, the line is tried afresh
                        if self._pending.get(key) is pending:
                            del self._pending[key]
                    raise CompanionError(
                        f"speech synthesis did not finish within {self.synth_timeout:g} s"
                    ) from None

    def future(self, key: Key, closing: Callable[[], bool]) -> Future[Path]:
        """The line's WAV file when it is ready: from the cache, from a synthesis already
        running, or from one started now (not once ``closing()``)."""
        with self._files:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                done: Future[Path] = Future()
                done.set_result(cached)
                return done
            pending = self._pending.get(key)
            if pending is None:
                pending = Future()
                if closing():
                    pending.set_exception(CompanionError("the speaker is closing"))
                    return pending
                self._start_locked(key, pending, None)
            return pending

    def stream(self, key: Key, closing: Callable[[], bool]) -> Parts | None:
        """The line's parts as a synthesis started now renders them (its WAV file is kept as
        usual); None when it is cached or being synthesised already, or when the synthesiser
        cannot hand over parts: then ``wav``."""
        if not hasattr(self._synth, "synthesize_parts"):
            return None
        with self._files:
            if key in self._cache or key in self._pending or closing():
                return None
            parts = Parts()
            self._start_locked(key, Future(), parts)
        return parts

    def _start_locked(self, key: Key, pending: Future[Path], parts: Parts | None) -> None:
        self._count += 1
        wav = self._dir / f"line-{self._count}.wav"
        self._pending[key] = pending
        threading.Thread(
            target=self._synthesise, args=(key, wav, pending, parts), name="synthesis", daemon=True
        ).start()

    def _synthesise(self, key: Key, wav: Path, done: Future[Path], parts: Parts | None) -> None:
        """On a synthesis thread: write the line, keep it in the cache, set ``done``."""
        try:
            self._synthesise_now(key, wav, parts)
        except BaseException as exc:
            with self._files:
                self._pending.pop(key, None)
            done.set_exception(exc)
            if parts is not None:
                parts.end(exc)
        else:
            done.set_result(wav)
            if parts is not None:
                parts.end(None)

    def _synthesise_now(self, key: Key, wav: Path, parts: Parts | None) -> None:
        if not self._synth_turn.acquire(timeout=self.synth_timeout):
            raise CompanionError("speech synthesis is stuck on an earlier line")
        try:
            if parts is not None:
                synth: PartSynthesizer = self._synth  # type: ignore[assignment]
                synth.synthesize_parts(key[0], key[1], key[2], wav, parts.put)
            else:
                self._synth.synthesize(key[0], key[1], key[2], wav)
        finally:
            self._synth_turn.release()
        with self._files:
            self._pending.pop(key, None)
            self._cache[key] = wav
            while len(self._cache) > self._cache_size:
                _, old = self._cache.popitem(last=False)
                old.unlink(missing_ok=True)
