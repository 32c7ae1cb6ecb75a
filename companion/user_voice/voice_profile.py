"""The user's own voice: their recordings of command words, and the word classifier retrained
with them.

Recognition trained on general speech serves slurred, slow or accented voices worst; a few
recordings of the user's own words help most (research.md; measured with
scripts/benchmark_own_voice.py). The recordings live in the data folder, one WAV file each
(``voice/<word>/``); the retrained classifier (``voice/word-classifier.npz``) is used by the
listener instead of the shipped one. Retraining adds them to a shipped sample of the
classifier's training features (``data/replay.npz``, from scripts/train_word_classifier.py),
so the words they did not record stay as they were. Every file is written whole or not at all.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
import tempfile
import wave
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from companion import files
from companion.audio import wavfile
from companion.classifier import training
from companion.classifier.embedding import SpeechEmbedder, pooled
from companion.classifier.word_classifier import WEIGHTS
from companion.errors import BadInputError, ModelError

REPLAY = WEIGHTS.parent / "replay.npz"
RATE = 16000
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COMMAND_WORDS = ("yes", "no", "stop", "go")
TEACHABLE = (*COMMAND_WORDS, *DIGITS)
"""Words the classifier has a class for and the session listens for (numbers for ratings)."""
MODEL_NAME = "word-classifier.npz"
MAX_FILE_SECONDS = 30.0
"""Longest WAV file ``voice add`` takes: one word, with room around it (checked before decoding)."""
STAGING = ".adding-"
"""Name prefix of the folder new recordings are written into before they are moved in."""

MIN_SPEECH_S = 0.04
"""A recording with less sound than this (within ``SPEECH_WITHIN_DB`` of its loudest moment)
is a click. (The shortest real word in ../shared has 0.05 s.)"""
MAX_SPEECH_S = 3.0
"""One word, however slowly said, has less strong sound (within ``CORE_DB`` of its loudest
moment) than this; more is talk, or a television."""
QUIET_DB = -45.0
"""A recording whose loudest moment is below this (dBFS) did not catch the voice."""
SPEECH_WITHIN_DB = 30.0
"""Frames within this of the loudest count as sound; the recording is trimmed to them..."""
CORE_DB = 20.0
"""... or, in a noisy room (the sound reaching more than ``NOISY_EXTRA_S`` beyond the frames
within this of the loudest), to those."""
NOISY_EXTRA_S = 0.8
KEEP_BEFORE_S = 0.15
KEEP_AFTER_S = 0.25


class RecordingProblem(BadInputError):
    """A recording that cannot teach anything; ``reason`` names which problem (for prompts)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, hint="Record the word again, close to the microphone.")
        self.reason = reason


def trimmed(pcm16: bytes, rate: int = RATE) -> bytes:
    """The spoken part of a recording, with a little room before and after.

    RecordingProblem (reason ``empty``, ``quiet``, ``short`` or ``long``) when it holds no
    usable word."""
    x = np.frombuffer(pcm16[: len(pcm16) - len(pcm16) % 2], dtype="<i2").astype(np.float64)
    frame = rate // 100
    n = x.size // frame
    if n == 0:
        raise RecordingProblem("empty", "The recording is empty.")
    rms = np.sqrt((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)) + 1e-9
    db = 20 * np.log10(rms / 32768)
    loudest = float(db.max())
    if loudest < QUIET_DB:
        raise RecordingProblem("quiet", f"The recording is too quiet ({loudest:.0f} dBFS).")
    sound = np.flatnonzero(db >= loudest - SPEECH_WITHIN_DB)
    core = np.flatnonzero(db >= loudest - CORE_DB)
    if sound.size / 100 < MIN_SPEECH_S:
        raise RecordingProblem("short", f"Only {sound.size / 100:.2f} s of sound: not a word.")
    if core.size / 100 > MAX_SPEECH_S:
        raise RecordingProblem(
            "long", f"{core.size / 100:.1f} s of sound: more than one word, or other noise."
        )
    first, last = int(sound[0]), int(sound[-1]) + 1
    if (last - first) - (core[-1] + 1 - core[0]) > NOISY_EXTRA_S * 100:
        first, last = int(core[0]), int(core[-1]) + 1
    start = max(0, first - int(KEEP_BEFORE_S * 100)) * frame
    end = min(x.size, (last + int(KEEP_AFTER_S * 100)) * frame)
    return pcm16[start * 2 : end * 2]


def wav_bytes(audio: bytes) -> bytes:
    """16 kHz mono 16-bit PCM as a whole WAV file."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(audio)
    return buf.getvalue()


def read_word(path: Path) -> bytes:
    """A WAV file of one word, checked (header first, then the sound) and trimmed.

    BadInputError naming the file (RecordingProblem's reason and hint kept) if unusable."""
    pcm = wavfile.read(path, RATE, MAX_FILE_SECONDS)
    try:
        return trimmed(pcm)
    except RecordingProblem as problem:
        raise BadInputError(f"{path}: {problem.message}", hint=problem.hint) from None


@dataclass(frozen=True)
class ReplaySet:
    """A sample of the classifier's training features, with who said each clip."""

    classes: tuple[str, ...]
    features: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64]
    real: npt.NDArray[np.bool_]
    half: npt.NDArray[np.str_]
    """``A`` or ``B`` (the benchmark's speaker halves) for real speech, ``tts`` otherwise."""
    speaker: npt.NDArray[np.str_]
    take: npt.NDArray[np.int64]
    """Which recording of that speaker (-1 when not known)."""

    @classmethod
    def load(cls, path: Path = REPLAY) -> ReplaySet:
        try:
            with np.load(path, allow_pickle=False) as d:
                out = cls(
                    classes=tuple(str(c) for c in d["classes"]),
                    features=d["features"].astype(np.float64),
                    labels=d["labels"].astype(np.int64),
                    real=d["real"].astype(bool),
                    half=d["half"].astype(str),
                    speaker=d["speaker"].astype(str),
                    take=d["take"].astype(np.int64),
                )
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelError(
                f"The classifier's training sample {path} cannot be read: {exc}"
            ) from exc
        n = out.labels.size
        if any(a.shape[0] != n for a in (out.features, out.real, out.half, out.speaker)) or (
            n and int(out.labels.max()) >= len(out.classes)
        ):
            raise ModelError(f"The classifier's training sample {path} is damaged.")
        return out


class VoiceProfile:
    """One user's recordings (``root/<word>/*.wav``) and their retrained classifier."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def model_file(self) -> Path:
        return self.root / MODEL_NAME

    def recordings(self) -> dict[str, list[Path]]:
        """Each taught word's recordings, oldest first (words without any are left out)."""
        out: dict[str, list[Path]] = {}
        for word in TEACHABLE:
            found = sorted((self.root / word).glob("[!.]*.wav"))
            if found:
                out[word] = found
        return out

    def add(self, word: str, pcm16: bytes, now: dt.datetime, said: str = "") -> Path:
        """Keep one recording of ``word`` (16 kHz mono), trimmed to the spoken part; ``said``:
        the user's own word for the same command, said instead of ``word`` ("halt" for stop).

        BadInputError for a word that cannot be taught, RecordingProblem for unusable audio."""
        check_word(word)
        return self.keep(word, trimmed(pcm16), now, said)

    def keep(self, word: str, audio: bytes, now: dt.datetime, said: str = "") -> Path:
        """Write one recording of ``word`` already checked and trimmed by ``trimmed``."""
        return self.keep_all(word, [audio], now, said)[0]

    def count(self, word: str, said: str = "") -> int:
        """How many recordings of ``word`` there are (``said``: of the user's own word for it,
        kept with ``word``'s and learnt as ``word``)."""
        prefix = _file_prefix(said)
        return sum(
            1
            for f in self.recordings().get(word, [])
            if f.name.startswith(prefix) and f.name[len(prefix) : len(prefix) + 1].isdigit()
        )

    def keep_all(
        self, word: str, audios: Sequence[bytes], now: dt.datetime, said: str = ""
    ) -> list[Path]:
        """Write every recording of ``word`` (checked and trimmed by ``trimmed``), or none; each
        file's name begins with ``said`` (the user's own word for it, if that is what was said).

        They are written and flushed in a staging folder first, then moved in; on any failure
        those already moved are removed again. Raises ``OSError`` (a full disk ...)."""
        check_word(word)
        folder = self.root / word
        files.private_dir(folder)
        for stale in self.root.glob(STAGING + "*"):  # left by a run that was killed
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.root))
        stamp = _file_prefix(said) + now.strftime("%Y%m%d-%H%M%S")
        kept: list[Path] = []
        try:
            staged = []
            for i, audio in enumerate(audios):
                files.write_atomic(staging / f"{i}.wav", wav_bytes(audio))
                staged.append(staging / f"{i}.wav")
            n = 1
            for one in staged:
                while (path := folder / f"{stamp}-{n}.wav").exists():
                    n += 1
                os.rename(one, path)
                kept.append(path)
            files.fsync_dir(folder)
        except BaseException:
            self.discard(kept)
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return kept

    def discard(self, recordings: Iterable[Path]) -> None:
        """Remove recordings just kept (undoing ``keep_all``)."""
        for path in recordings:
            with contextlib.suppress(OSError):
                path.unlink()

    def forget(self, words: Iterable[str] | None = None) -> int:
        """Remove the recordings of ``words`` (all if None) and the retrained classifier;
        returns how many recordings were removed."""
        chosen = list(TEACHABLE if words is None else words)
        for w in chosen:
            check_word(w)
        removed = 0
        for w in chosen:
            folder = self.root / w
            if folder.is_dir():
                removed += len(list(folder.glob("*.wav")))
                shutil.rmtree(folder)
        self.model_file.unlink(missing_ok=True)
        return removed

    def trained_on(self) -> list[str] | None:
        """The recordings (``word/file``) the saved classifier learnt from; None if none saved
        or it cannot be read."""
        try:
            with np.load(self.model_file, allow_pickle=False) as d:
                return [str(s) for s in d["sources"]]
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
            return None

    def up_to_date(self) -> bool:
        """Whether the saved classifier learnt from exactly the recordings there are now."""
        return self.trained_on() == self._sources()

    def _sources(self) -> list[str]:
        return [f"{w}/{f.name}" for w, fs in self.recordings().items() for f in fs]

    def retrain(self, replay: ReplaySet | None = None) -> Path | None:
        """Retrain the classifier with the recordings and save it; with none, remove it.

        Returns the saved file (None when there are no recordings)."""
        recs = self.recordings()
        if not recs:
            self.model_file.unlink(missing_ok=True)
            return None
        data = replay or ReplaySet.load()
        clips = [(w, f) for w, fs in recs.items() for f in fs]
        model = adapted_model(data, [w for w, _ in clips], embed([f for _, f in clips]))
        sources = np.array(self._sources())

        buf = io.BytesIO()
        training.save(buf, data.classes, model, sources=sources)
        files.private_dir(self.root)
        files.write_atomic(self.model_file, buf.getvalue())
        return self.model_file


def _file_prefix(said: str) -> str:
    """ "halt" -> "halt-", "say it again" -> "say_it_again-" ("" for the word itself)."""
    slug = "_".join("".join(c for c in said.lower() if c.isalnum() or c == " ").split())
    return f"{slug}-" if slug else ""


def check_word(word: str) -> None:
    """BadInputError unless ``word`` can be taught."""
    if word not in TEACHABLE:
        raise BadInputError(
            f"{word!r} cannot be taught", hint=f"Choose from: {', '.join(TEACHABLE)}."
        )


def embed(files: Sequence[Path]) -> npt.NDArray[np.float64]:
    """Pooled speech embeddings of WAV files (n, dims)."""
    embedder = SpeechEmbedder()
    return np.stack([pooled(embedder.embed(wavfile.read(f, RATE))) for f in files])


def adapted_model(
    replay: ReplaySet,
    words: Sequence[str],
    features: npt.NDArray[np.float64],
    use: npt.NDArray[np.bool_] | None = None,
) -> training.Model:
    """The classifier trained on the replay set (rows ``use``, default all) plus the user's
    recordings (``words[i]`` said in ``features[i]``), which weigh as much as all other clips
    of their word together."""
    rows = np.ones(replay.labels.size, dtype=bool) if use is None else use
    labels = np.concatenate(
        [replay.labels[rows], np.array([replay.classes.index(w) for w in words], dtype=np.int64)]
    )
    own_x = features.reshape(len(words), replay.features.shape[1])
    x = np.concatenate([replay.features[rows], own_x])
    real = np.concatenate([replay.real[rows], np.ones(len(words), dtype=bool)])
    own = np.arange(labels.size) >= int(rows.sum())
    base = np.zeros(labels.size)
    base[~own] = training.sample_weights(labels[~own], real[~own])
    weights = training.own_voice_weights(base, labels, own) if own.any() else base
    return training.train(x, labels, weights, len(replay.classes))


__all__ = [
    "REPLAY",
    "TEACHABLE",
    "RecordingProblem",
    "ReplaySet",
    "VoiceProfile",
    "adapted_model",
    "check_word",
    "read_word",
    "trimmed",
]
