"""The WAV file of each line a speaker says: synthesised on a thread of its own, one at a time,
and kept in a small cache (so counting words are ready at once).

A synthesis that hangs is left behind: waiting for it is bounded by ``synth_timeout``, and the
line is tried afresh when it is asked for again.
"""

from __future__ import annotations

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

from companion.errors import CompanionError

Key = tuple[str, int, float]
"""A line's text, rate (words per minute) and volume (0-1)."""


class Synthesizer(Protocol):
    """Turns one line into a WAV file."""

    def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
        """Write ``text`` spoken at ``rate`` words per minute and ``volume`` 0-1 to ``wav``."""


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
                self._count += 1
                wav = self._dir / f"line-{self._count}.wav"
                pending = Future()
                if closing():
                    pending.set_exception(CompanionError("the speaker is closing"))
                    return pending
                self._pending[key] = pending
                threading.Thread(
                    target=self._synthesise, args=(key, wav, pending), name="synthesis", daemon=True
                ).start()
            return pending

    def _synthesise(self, key: Key, wav: Path, done: Future[Path]) -> None:
        """On a synthesis thread: write the line, keep it in the cache, set ``done``."""
        try:
            self._synthesise_now(key, wav)
        except BaseException as exc:
            with self._files:
                self._pending.pop(key, None)
            done.set_exception(exc)
        else:
            done.set_result(wav)

    def _synthesise_now(self, key: Key, wav: Path) -> None:
        if not self._synth_turn.acquire(timeout=self.synth_timeout):
            raise CompanionError("speech synthesis is stuck on an earlier line")
        try:
            self._synth.synthesize(key[0], key[1], key[2], wav)
        finally:
            self._synth_turn.release()
        with self._files:
            self._pending.pop(key, None)
            self._cache[key] = wav
            while len(self._cache) > self._cache_size:
                _, old = self._cache.popitem(last=False)
                old.unlink(missing_ok=True)
