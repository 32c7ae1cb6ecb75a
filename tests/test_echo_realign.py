"""Each restart of the output stream lands its sound a few samples away from where its told
times put it; the echo filter measures where (companion/audio/realign.py) so that the linear
canceller keeps one echo path (issue 22: the per-line restart cost live "stop" over its voice)."""

from __future__ import annotations

import numpy as np

from companion.audio.cancellers import make_canceller
from companion.audio.echo_cancel import EchoFilter
from companion.audio.playback_tap import RATE, PlaybackTap
from tests.conftest import speech_data
from tests.pulse import read_wav

T0 = 500.0
"""The monotonic time of the first microphone sample."""
DELAY = 37
"""Samples from the tap's time to the microphone (a sound server's bulk delay)."""


def _words() -> list[np.ndarray]:
    out = []
    for name in ("left", "down", "right", "up"):
        for path in sorted((speech_data() / "commands" / name).glob("*.wav"))[:2]:
            out.append(read_wav(path).samples.astype(np.float64))
    return out


def _counting(offsets: list[int], restarts: bool) -> tuple[PlaybackTap, np.ndarray, list]:
    """Words every 1.5 s, as a session counts; line k is heard ``offsets[k]`` samples later than
    its told time (its stream was started again for it: a new timeline, when ``restarts``)."""
    words = _words()
    n = int((len(offsets) * 1.5 + 1.0) * RATE)
    tap = PlaybackTap()
    played = np.zeros(n)
    spans = []
    for k, off in enumerate(offsets):
        x = words[k % len(words)] * 0.5
        at = int((0.3 + 1.5 * k) * RATE)
        if restarts:
            tap.new_timeline()
        tap.played(x.astype(np.int16), RATE, T0 + at / RATE)  # where its told times put it
        played[at + off : at + off + len(x)] += x  # where it really was
        spans.append((at + DELAY + off, at + DELAY + off + len(x)))
    ir = np.zeros(int(0.03 * RATE))
    ir[0], ir[29], ir[170] = 0.7, 0.25, -0.1  # a short room
    echo = np.convolve(played, ir)[:n]
    echo = np.concatenate([np.zeros(DELAY), echo[: n - DELAY]])
    noise = np.random.default_rng(3).normal(0, 2, n)
    return tap, np.clip(np.rint(echo + noise), -32768, 32767).astype(np.int16), spans


def _cut_per_line(filt: EchoFilter, mic: np.ndarray, spans: list) -> list[float]:
    out = []
    for s in range(0, len(mic), 320):  # 20 ms blocks, stamped with their capture time
        out.append(np.frombuffer(filt(mic[s : s + 320].tobytes(), T0 + (s + 320) / RATE), "<i2"))
    got = np.concatenate(out).astype(np.float64)
    got = np.concatenate([got, np.zeros(len(mic) - len(got))])
    mic64 = mic.astype(np.float64)
    return [
        float(10 * np.log10(np.sum(mic64[a:b] ** 2) / max(np.sum(got[a:b] ** 2), 1.0)))
        for a, b in spans
    ]


def test_lines_of_a_restarted_stream_are_cancelled_as_if_it_never_restarted() -> None:
    """Measured through the null sink, each restart put the line 1-5 samples from the last,
    drifting; the canceller then cut 12 dB instead of 37. Moved where the microphone hears it,
    the lines are cut as those of a stream that never restarted (the same echo, no offsets)."""
    rng = np.random.default_rng(5)
    offsets = [int(k * 0.8 + rng.integers(0, 5)) for k in range(14)]  # drift and jitter
    tap, mic, spans = _counting(offsets, restarts=True)
    realigned = EchoFilter(tap, make_canceller("speex-linear"))
    cut = _cut_per_line(realigned, mic, spans)
    assert realigned.realign.given_up == 0
    shifts = realigned.realign.shifts  # timeline k + 1 is line k; from line 4 on, all measured
    moved = [shifts[k + 1] - shifts[5] for k in range(4, 14)]
    missed = [m - (x - offsets[4]) for m, x in zip(moved, offsets[4:], strict=True)]
    assert max(map(abs, missed)) <= 1 and missed.count(0) >= 7, (moved, offsets)  # to a sample

    steady_tap, steady_mic, steady_spans = _counting([0] * 14, restarts=False)
    steady = _cut_per_line(EchoFilter(steady_tap, make_canceller("speex-linear")), steady_mic,
                           steady_spans)  # fmt: skip
    assert np.median(steady[4:]) > 15, steady  # the canceller has converged
    assert np.median(cut[4:]) > np.median(steady[4:]) - 3, (cut, steady)


def test_the_microphone_waits_for_a_new_timeline_and_none_of_it_is_lost() -> None:
    offsets = [0, 3, 1, 4]
    tap, mic, _ = _counting(offsets, restarts=True)
    filt = EchoFilter(tap, make_canceller("speex-linear"))
    longest_wait, returned = 0, 0
    for s in range(0, len(mic), 320):
        returned += len(filt(mic[s : s + 320].tobytes(), T0 + (s + 320) / RATE)) // 2
        longest_wait = max(longest_wait, s + 320 - returned)
    assert len(mic) - returned < 160  # all of it came out, in the end
    assert filt.realign.measured == 4
    assert 0.08 * RATE < longest_wait < 0.3 * RATE  # held while a timeline was measured


def test_a_timeline_that_cannot_be_measured_keeps_the_last_shift() -> None:
    offsets = [0, 4, 4, 4]
    tap, mic, spans = _counting(offsets, restarts=True)
    a, b = spans[3]
    mic[a - 2000 : b + 2000] = np.random.default_rng(1).normal(0, 3000, b - a + 4000)  # a noise
    filt = EchoFilter(tap, make_canceller("speex-linear"))
    returned = 0
    for s in range(0, len(mic), 320):
        returned += len(filt(mic[s : s + 320].tobytes(), T0 + (s + 320) / RATE)) // 2
        assert s + 320 - returned < 0.35 * RATE  # never held past its measuring time
    assert filt.realign.given_up == 1
    assert filt.realign.shifts[4] == filt.realign.shifts[3] == 4
