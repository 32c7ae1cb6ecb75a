"""Rate conversion and down-mixing of 16-bit PCM with numpy, chunk by chunk or all at once."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

_TAPS = 63
"""Length of the anti-aliasing low-pass filter used when the rate goes down."""


def _lowpass(cutoff: float, taps: int = _TAPS) -> npt.NDArray[np.float64]:
    """Windowed-sinc low-pass filter; ``cutoff`` in cycles per input sample (< 0.5)."""
    n = np.arange(taps) - (taps - 1) / 2
    h = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(taps)
    return np.asarray(h / h.sum(), dtype=np.float64)


class Resampler:
    """Streaming converter from ``in_rate`` to ``out_rate`` (low-pass, then linear steps).

    Feed consecutive chunks; the output is continuous across chunk boundaries, with a fixed
    delay of about ``_TAPS / 2`` input samples when the rate goes down.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        if in_rate <= 0 or out_rate <= 0:
            raise ValueError("rates must be positive")
        self.in_rate = in_rate
        self.out_rate = out_rate
        self.step = in_rate / out_rate
        self._taps = _lowpass(0.45 * out_rate / in_rate) if out_rate < in_rate else None
        self._fir_history = np.zeros(_TAPS - 1)
        self._previous = 0.0
        self._position = 1.0
        """Where the next output sample falls, in input samples after ``_previous``."""

    def process(self, samples: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
        """Convert one chunk of mono samples; returns the samples due so far."""
        if self.in_rate == self.out_rate:
            return samples.astype(np.int16, copy=True)
        x = samples.astype(np.float64)
        if self._taps is not None:
            joined = np.concatenate([self._fir_history, x])
            self._fir_history = joined[len(joined) - (_TAPS - 1) :]
            x = np.convolve(joined, self._taps, mode="valid")
        y = np.concatenate([[self._previous], x])
        last = len(y) - 1
        if self._position > last:
            out = np.empty(0)
        else:
            where = np.arange(self._position, last + 1e-9, self.step)
            out = np.interp(where, np.arange(len(y)), y)
            self._position = float(where[-1]) + self.step
        self._position -= last
        self._previous = float(y[-1])
        return np.clip(np.rint(out), -32768, 32767).astype(np.int16)

    def process_bytes(self, pcm16: bytes) -> bytes:
        """Same as ``process`` on little-endian 16-bit bytes."""
        return self.process(np.frombuffer(pcm16, dtype="<i2")).astype("<i2").tobytes()


def to_mono(samples: npt.NDArray[np.int16], channels: int) -> npt.NDArray[np.int16]:
    """Average interleaved ``channels`` into one."""
    if channels == 1:
        return samples
    frames = samples[: len(samples) - len(samples) % channels].reshape(-1, channels)
    return np.rint(frames.astype(np.float64).mean(axis=1)).astype(np.int16)


def convert(pcm16: bytes, in_rate: int, out_rate: int, channels: int = 1) -> bytes:
    """A whole recording: interleaved 16-bit PCM of any rate and channels to mono ``out_rate``."""
    mono = to_mono(np.frombuffer(pcm16, dtype="<i2"), channels)
    return Resampler(in_rate, out_rate).process(mono).astype("<i2").tobytes()
