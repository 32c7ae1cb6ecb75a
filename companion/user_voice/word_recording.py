"""One recording of a word: checked for a usable word, trimmed to its sound, written as WAV.

A recording is refused when it is empty, too quiet, a click or talk (``RecordingProblem``, whose
``reason`` names which, for the prompts); what is kept is the spoken part with a little room
before and after (see docs/recognition.md for the figures).
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from companion.audio import wavfile
from companion.errors import BadInputError

RATE = 16000

MAX_FILE_SECONDS = 30.0
"""Longest WAV file ``voice add`` takes: one word, with room around it (checked before decoding)."""

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
