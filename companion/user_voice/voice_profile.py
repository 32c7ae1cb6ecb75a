"""The user's own voice: their recordings of command words, and the word classifier retrained
with them.

Recognition trained on general speech serves slurred, slow or accented voices worst; a few
recordings of the user's own words help most (research.md; measured with
scripts/benchmark_own_voice.py). The recordings live in the data folder, one WAV file each
(``voice/<word>/``); the retrained classifier (``voice/word-classifier.npz``) is used by the
listener instead of the shipped one. Every file is written whole or not at all.

Checking and trimming one recording: ``word_recording``; the retraining itself: ``retraining``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from companion import files
from companion.classifier import training
from companion.errors import BadInputError
from companion.user_voice.retraining import ReplaySet, adapted_model, embed
from companion.user_voice.word_recording import trimmed, wav_bytes

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
COMMAND_WORDS = ("yes", "no", "stop", "go")
TEACHABLE = (*COMMAND_WORDS, *DIGITS)
"""Words the classifier has a class for and the session listens for (numbers for ratings)."""
MODEL_NAME = "word-classifier.npz"
OWN_DIR = "own"
"""Folder (``own/<word>/``) of the user's own words whose command has no word the classifier
knows ("sore" for it hurts): used as templates (``own_word_judge``), never retrained on."""
STAGING = ".adding-"
"""Name prefix of the folder new recordings are written into before they are moved in."""


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
        return self._keep_in(self.root / word, audios, now, said)

    def _keep_in(
        self, folder: Path, audios: Sequence[bytes], now: dt.datetime, said: str
    ) -> list[Path]:
        files.private_dir(folder.parent)
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
        """Remove the recordings of ``words`` (all if None; the user's own words too, by the
        word: "sore") and the retrained classifier; returns how many recordings were removed."""
        own = self.own_recordings()
        chosen = list(TEACHABLE if words is None else words)
        for w in chosen:
            if w not in own:
                check_word(w)
        removed = 0
        for w in chosen:
            if w not in TEACHABLE:
                for f in own[w]:
                    f.unlink(missing_ok=True)
                    removed += 1
                shutil.rmtree(self.root / OWN_DIR / _slug(w), ignore_errors=True)
                continue
            folder = self.root / w
            if folder.is_dir():
                removed += len(list(folder.glob("*.wav")))
                shutil.rmtree(folder)
        if words is None and (self.root / OWN_DIR).is_dir():
            removed += len(list((self.root / OWN_DIR).glob("*/*.wav")))
            shutil.rmtree(self.root / OWN_DIR)
        self.model_file.unlink(missing_ok=True)
        return removed

    def own_recordings(self) -> dict[str, list[Path]]:
        """The recordings of each of the user's own words ("sore", "halt"), oldest first: those
        in ``own/<word>/`` and those kept with a built-in word's ("stop/halt-...wav")."""
        out: dict[str, list[Path]] = {}
        own = self.root / OWN_DIR
        if own.is_dir():
            for folder in sorted(own.iterdir()):
                found = sorted(folder.glob("[!.]*.wav")) if folder.is_dir() else []
                if found:
                    out.setdefault(_said(folder.name), []).extend(found)
        for files_of_word in self.recordings().values():
            for f in files_of_word:
                head = f.name.split("-", 1)[0]
                if not head.isdigit():
                    out.setdefault(_said(head), []).append(f)
        return out

    def count_own(self, said: str) -> int:
        """How many recordings there are of ``said``, one of the user's own words kept alone."""
        return len(sorted((self.root / OWN_DIR / _slug(said)).glob("[!.]*.wav")))

    def add_own(self, said: str, pcm16: bytes, now: dt.datetime) -> Path:
        """Keep one recording of the user's own word ``said`` (no built-in word of its command
        is a class of the classifier: "sore"), trimmed to the spoken part."""
        slug = _slug(said)
        if not slug:
            raise BadInputError(f"{said!r} cannot be taught: it has no letters")
        return self._keep_in(self.root / OWN_DIR / slug, [trimmed(pcm16)], now, "")[0]

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


def _slug(said: str) -> str:
    """ "say it again" -> "say_it_again", "I'm sore" -> "i'm_sore" (``_said`` undoes it)."""
    return "_".join("".join(c for c in said.lower() if c.isalnum() or c in " '").split())


def _said(slug: str) -> str:
    return slug.replace("_", " ")


def _file_prefix(said: str) -> str:
    """ "halt" -> "halt-", "say it again" -> "say_it_again-" ("" for the word itself)."""
    slug = _slug(said)
    return f"{slug}-" if slug else ""


def check_word(word: str) -> None:
    """BadInputError unless ``word`` can be taught."""
    if word not in TEACHABLE:
        raise BadInputError(
            f"{word!r} cannot be taught", hint=f"Choose from: {', '.join(TEACHABLE)}."
        )
