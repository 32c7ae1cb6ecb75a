"""Rendered lines kept for reuse (by voice, rate and text): in memory, and optionally on disk.

Counting words and fixed lines are said many times a session and every day; rendering them
once means a count starts on its beat instead of after a synthesis. The memory part is a small
LRU; the disk part (a folder under the data folder, files 0600 written all or nothing) keeps
them across sessions and is pruned to a bounded number of files.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import wave
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from companion.files import write_atomic

log = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Part of every key: bump it when the rendering changes so old files are not reused."""


@dataclass(frozen=True)
class Audio:
    """Mono 16-bit samples and their rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        """How long the audio plays."""
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0

    def scaled(self, volume: float) -> Audio:
        """The same audio at ``volume`` 0-1 (samples scaled, never clipped above the original)."""
        if volume >= 1.0:
            return self
        out = np.round(self.samples.astype(np.float32) * max(0.0, volume)).astype(np.int16)
        return Audio(out, self.sample_rate)

    def wav_bytes(self) -> bytes:
        """A 16-bit mono WAV file of the audio."""
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(np.ascontiguousarray(self.samples, dtype="<i2").tobytes())
        return buf.getvalue()

    @classmethod
    def from_wav_bytes(cls, raw: bytes) -> Audio:
        """Read audio written by ``wav_bytes`` (wave.Error/EOFError on anything else)."""
        with wave.open(io.BytesIO(raw), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise wave.Error("not 16-bit mono")
            frames = w.readframes(w.getnframes())
            return cls(np.frombuffer(frames, dtype="<i2").astype(np.int16), w.getframerate())


def cache_key(voice: str, rate: int, text: str) -> str:
    """The file name stem of one rendered line."""
    raw = f"{CACHE_VERSION}\0{voice}\0{rate}\0{text}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


class VoiceCache:
    """Rendered lines by (voice, rate, text); thread-safe.

    ``folder`` (optional) keeps them across sessions; at most ``max_files`` files are kept
    there, the least recently used removed first. A file that cannot be written or read is
    only logged: the line is rendered again.
    """

    def __init__(
        self, *, size: int = 256, folder: Path | None = None, max_files: int = 500
    ) -> None:
        self._size = size
        self._folder = folder
        self._max_files = max_files
        self._memory: OrderedDict[str, Audio] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def folder(self) -> Path | None:
        """Where lines are kept on disk, if anywhere."""
        return self._folder

    def get(self, voice: str, rate: int, text: str) -> Audio | None:
        """The line rendered earlier, or None."""
        key = cache_key(voice, rate, text)
        with self._lock:
            found = self._memory.get(key)
            if found is not None:
                self._memory.move_to_end(key)
                self.hits += 1
                return found
        found = self._read(key)
        with self._lock:
            if found is None:
                self.misses += 1
                return None
            self.hits += 1
            self._remember(key, found)
        return found

    def put(self, voice: str, rate: int, text: str, audio: Audio) -> None:
        """Keep a rendered line."""
        key = cache_key(voice, rate, text)
        with self._lock:
            self._remember(key, audio)
        self._write(key, audio)

    def _remember(self, key: str, audio: Audio) -> None:
        self._memory[key] = audio
        self._memory.move_to_end(key)
        while len(self._memory) > self._size:
            self._memory.popitem(last=False)

    def _path(self, key: str) -> Path | None:
        return None if self._folder is None else self._folder / f"{key}.wav"

    def _read(self, key: str) -> Audio | None:
        path = self._path(key)
        if path is None:
            return None
        try:
            audio = Audio.from_wav_bytes(path.read_bytes())
            path.touch()  # most recently used: kept longest
        except FileNotFoundError:
            return None
        except (OSError, EOFError, wave.Error) as exc:
            log.warning("speech cache file %s cannot be read (%s); rendering again", path, exc)
            return None
        return audio

    def _write(self, key: str, audio: Audio) -> None:
        path = self._path(key)
        if path is None or self._folder is None:
            return
        try:
            self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(path, audio.wav_bytes())
            self._prune()
        except OSError as exc:
            log.warning("speech cache %s cannot be written (%s); not kept", self._folder, exc)

    def _prune(self) -> None:
        if self._folder is None:
            return
        files = list(self._folder.glob("*.wav"))
        if len(files) <= self._max_files:
            return
        files.sort(key=lambda p: p.stat().st_mtime)
        for old in files[: len(files) - self._max_files]:
            old.unlink(missing_ok=True)
