"""A stream restarted per line (``COMPANION_STREAM_RESTART=1``) writes more ahead than a steady
one; a line killed on it is cut as soon as on a steady stream (its tail is dropped)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import pytest

from companion.audio import output_stream
from companion.audio.output_stream import OutputStream
from companion.audio.playback_tap import PlaybackTap
from tests.pulse import PulseServer

pytestmark = [pytest.mark.audio]
RATE = 22050


@pytest.fixture
def restarting(pulse_server: PulseServer) -> Iterator[OutputStream]:
    out = OutputStream(PlaybackTap(), restart=True)
    out.open(RATE)
    try:
        yield out
    finally:
        out.close()


def gaps_inside(samples: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(length s, inner silence s) of each sound in ``samples`` (5 ms frames; sounds are apart
    by 0.2 s of silence or more)."""
    n = rate // 200
    frames = np.abs(samples[: len(samples) // n * n].astype(np.int32)).reshape(-1, n).max(axis=1)
    loud = np.flatnonzero(frames > 1000)
    sounds: list[list[int]] = []
    for i in loud:
        if sounds and i - sounds[-1][-1] <= 40:
            sounds[-1].append(int(i))
        else:
            sounds.append([int(i)])
    return [((s[-1] - s[0] + 1) * 0.005, ((s[-1] - s[0] + 1) - len(s)) * 0.005) for s in sounds]


def test_a_killed_line_on_a_restarting_stream_stops_at_once(
    restarting: OutputStream, pulse_server: PulseServer
) -> None:
    """Its stream writes ``RESTART_LATENCY_S`` ahead; a killed line's tail is dropped by a
    restart with nothing, so it stops as soon as on a steady stream (``LATENCY_S``)."""
    assert restarting.tap is not None
    t = np.arange(int(3.0 * RATE)) / RATE
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    start = pulse_server.mark()
    line = restarting.play(tone, RATE)
    time.sleep(0.5)
    line.kill()
    cut_at = time.monotonic()
    assert line.wait(timeout=5) is None
    time.sleep(0.6)
    sounds = gaps_inside(pulse_server.samples(start).samples, pulse_server.rate)
    assert len(sounds) == 1, sounds
    heard_s = sounds[0][0]
    assert heard_s < 0.5 + output_stream.LATENCY_S + 0.05, sounds
    assert restarting.drops == 1
    assert not restarting.tap.playing(cut_at + 0.15, cut_at + 3)  # the reference cut as well
    assert restarting.playing  # and the stream plays on: the next line is heard whole
    start = pulse_server.mark()
    assert restarting.play(tone[: int(0.5 * RATE)], RATE).wait(timeout=5) is None
    sounds = gaps_inside(pulse_server.samples(start).samples, pulse_server.rate)
    assert len(sounds) == 1 and abs(sounds[0][0] - 0.5) < 0.02, sounds
