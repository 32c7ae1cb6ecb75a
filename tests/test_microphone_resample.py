"""The streaming resampler: right rate, continuous across chunks, aliasing suppressed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.audio.resample import Resampler, convert, to_mono


def tone(hz: float, rate: int, seconds: float = 1.0, amp: float = 10000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def peak_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spectrum) * rate / len(x))


@pytest.mark.parametrize("rate_in", [8000, 11025, 22050, 44100, 48000, 96000])
def test_a_tone_keeps_its_pitch_and_the_length_scales(rate_in: int) -> None:
    out = Resampler(rate_in, 16000).process(tone(440, rate_in))
    assert abs(len(out) - 16000) <= 1
    assert abs(peak_hz(out, 16000) - 440) < 2
    rms = np.sqrt(np.mean(out[200:].astype(np.float64) ** 2))
    assert 6500 < rms < 7600  # 10000 / sqrt(2), give or take the filter edge


@pytest.mark.parametrize("rate_in", [44100, 48000])
def test_frequencies_above_the_new_nyquist_are_removed(rate_in: int) -> None:
    out = Resampler(rate_in, 16000).process(tone(12000, rate_in))
    assert np.sqrt(np.mean(out[200:].astype(np.float64) ** 2)) < 100


@settings(max_examples=40, deadline=None)
@given(
    rate_in=st.sampled_from([8000, 16000, 22050, 44100, 48000]),
    sizes=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=30),
)
def test_chunking_never_changes_the_result(rate_in: int, sizes: list[int]) -> None:
    x = np.random.default_rng(sum(sizes)).integers(-20000, 20000, sum(sizes)).astype(np.int16)
    whole = Resampler(rate_in, 16000).process(x)
    r = Resampler(rate_in, 16000)
    parts, i = [], 0
    for n in sizes:
        parts.append(r.process(x[i : i + n]))
        i += n
    assert np.array_equal(np.concatenate(parts), whole)


def test_loud_input_saturates_instead_of_wrapping() -> None:
    square = np.tile(np.r_[np.full(20, 32767), np.full(20, -32768)], 200).astype(np.int16)
    out = Resampler(48000, 16000).process(square)
    assert out.max() == 32767 and out.min() == -32768  # clipped overshoot, not wrapped round


def test_stereo_is_averaged_and_bytes_round_trip() -> None:
    stereo = np.array([100, 300, -50, 50, 7, 8], dtype=np.int16)
    assert to_mono(stereo, 2).tolist() == [200, 0, 8]
    pcm = tone(1000, 16000).tobytes()
    assert convert(pcm, 16000, 16000) == pcm
    with pytest.raises(ValueError):
        Resampler(0, 16000)
