"""Reading WAV recordings of any rate and channel count as 16-bit mono PCM at a given rate."""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np

from companion.errors import BadInputError
from companion.listen import resample


def _to_int16(raw: bytes, width: int) -> np.ndarray:
    """Samples of ``width`` bytes (PCM) as int16."""
    if width == 1:
        return ((np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) << 8).astype(np.int16)
    if width == 2:
        return np.frombuffer(raw, dtype="<i2").astype(np.int16)
    if width == 3:
        b = np.frombuffer(raw[: len(raw) - len(raw) % 3], dtype=np.uint8).reshape(-1, 3)
        return (b[:, 2].astype(np.int8).astype(np.int16) << 8 | b[:, 1]).astype(np.int16)
    if width == 4:
        return (np.frombuffer(raw, dtype="<i4") >> 16).astype(np.int16)
    raise BadInputError(f"unsupported sample size: {width * 8} bits")


def read(path: str | Path, rate: int) -> bytes:
    """The recording at ``path`` as 16-bit mono PCM at ``rate``; BadInputError if unusable."""
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{p}: no such file")
    try:
        with wave.open(str(p), "rb") as w:
            channels, width, in_rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.getnframes()
            raw = w.readframes(frames)
    except (wave.Error, EOFError, OSError, ValueError, RuntimeError, struct.error) as exc:
        raise BadInputError(
            f"{p}: not a readable WAV file ({exc})",
            hint="Use uncompressed PCM WAV (16-bit is best), any rate, any number of channels.",
        ) from exc
    if channels < 1 or in_rate <= 0:
        raise BadInputError(f"{p}: the WAV header is damaged")
    if not raw or frames == 0:
        raise BadInputError(f"{p}: the recording is empty")
    whole = len(raw) - len(raw) % (width * channels)
    samples = _to_int16(raw[:whole], width)
    mono = resample.to_mono(samples, channels)
    if in_rate == rate:
        return mono.astype("<i2").tobytes()
    return resample.Resampler(in_rate, rate).process(mono).astype("<i2").tobytes()
