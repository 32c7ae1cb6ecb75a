"""Reading WAV recordings (any rate, channels and sample format) as 16-bit mono PCM at a given
rate, through libsndfile (soundfile), with the header checked against limits before any audio
is decoded, so a file whose header lies cannot take the machine's time or memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from companion.audio import resample
from companion.errors import BadInputError

MIN_RATE, MAX_RATE = 8_000, 192_000
"""Sample rates accepted (Hz): telephone quality up to studio recorders."""
MAX_CHANNELS = 8
MAX_SECONDS = 600.0
"""Longest recording ``read`` accepts by default (``companion recognize``: ten minutes)."""
FORMATS = frozenset({"WAV", "WAVEX", "RF64"})
"""Container formats accepted (WAVEX is WAVE_FORMAT_EXTENSIBLE, RF64 a WAV over 4 GB)."""
SUBTYPES = frozenset(
    {
        "PCM_U8",
        "PCM_S8",
        "PCM_16",
        "PCM_24",
        "PCM_32",
        "FLOAT",
        "DOUBLE",
        "ULAW",
        "ALAW",
        "IMA_ADPCM",
        "MS_ADPCM",
        "GSM610",
    }
)
"""Sample formats accepted: every integer width, float, and the common telephone codings."""
_BLOCK_SECONDS = 1.0
"""Audio is decoded, mixed down and resampled this much at a time (bounded memory)."""


@dataclass(frozen=True)
class WavInfo:
    """What a WAV header says, once checked against the limits."""

    rate: int
    channels: int
    frames: int
    subtype: str

    @property
    def seconds(self) -> float:
        return self.frames / self.rate


def _unreadable(p: Path, why: str) -> BadInputError:
    return BadInputError(f"{p}: not a readable WAV file ({why.rstrip('.')}).")


def _why(exc: Exception) -> str:
    """libsndfile's own reason, without the file name it repeats."""
    text = str(getattr(exc, "error_string", "") or exc or type(exc).__name__)
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def check(path: str | Path, max_seconds: float = MAX_SECONDS) -> WavInfo:
    """Read and check the header of ``path`` only; BadInputError (one plain line) if the file is
    missing, not a WAV file, or outside the limits of rate, channels, format or length."""
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{p}: no such file.")
    try:
        info = sf.info(str(p))
    except (RuntimeError, ValueError, TypeError, OSError) as exc:  # LibsndfileError et al.
        raise _unreadable(p, _why(exc)) from exc
    if info.format not in FORMATS:
        raise BadInputError(f"{p}: this is {info.format_info or info.format}, not a WAV file.")
    if info.subtype not in SUBTYPES:
        raise BadInputError(
            f"{p}: its sample format ({info.subtype_info or info.subtype}) cannot be used; "
            "save it as 16-bit PCM WAV."
        )
    if not MIN_RATE <= info.samplerate <= MAX_RATE:
        raise BadInputError(
            f"{p}: the sample rate is {info.samplerate} Hz; recordings of {MIN_RATE} to "
            f"{MAX_RATE} Hz can be used."
        )
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise BadInputError(
            f"{p}: it has {info.channels} channels; recordings of 1 to {MAX_CHANNELS} can be used."
        )
    if info.frames <= 0:
        raise BadInputError(f"{p}: the recording is empty.")
    out = WavInfo(int(info.samplerate), int(info.channels), int(info.frames), str(info.subtype))
    if out.seconds > max_seconds:
        raise BadInputError(
            f"{p}: the recording is {out.seconds:.0f} s long; at most {max_seconds:.0f} s "
            "can be used."
        )
    return out


def read(path: str | Path, rate: int, max_seconds: float = MAX_SECONDS) -> bytes:
    """The recording at ``path`` as 16-bit mono PCM at ``rate``; BadInputError if unusable.

    The header is checked first (``check``); the audio is then decoded a block at a time, so
    memory stays within a few blocks plus the result, whatever the file claims."""
    p = Path(path)
    info = check(p, max_seconds)
    block = max(1, int(info.rate * _BLOCK_SECONDS))
    limit = int(info.rate * max_seconds) + block  # never more than the header allowed
    converter = resample.Resampler(info.rate, rate)
    parts: list[bytes] = []
    done = 0
    try:
        with sf.SoundFile(str(p)) as f:
            for chunk in f.blocks(blocksize=block, dtype="float32", always_2d=True):
                done += len(chunk)
                if done > limit:
                    raise BadInputError(f"{p}: the recording is longer than its header says.")
                mono = np.clip(chunk.mean(axis=1) * 32768.0, -32768, 32767)
                samples = np.nan_to_num(np.rint(mono)).astype(np.int16)
                parts.append(converter.process(samples).astype("<i2").tobytes())
    except (RuntimeError, ValueError, TypeError, OSError) as exc:
        raise _unreadable(p, _why(exc)) from exc
    pcm = b"".join(parts)
    if not pcm:
        raise BadInputError(f"{p}: the recording is empty.")
    return pcm
