"""Input overflows: a warning once per stream, then at most once a minute (issue 19)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from companion.audio.microphone import Microphone
from companion.audio.overflow import OverflowWarnings
from companion.audio.resample import Resampler


@pytest.mark.parametrize(
    ("times", "warned"),
    [
        ([0.0], [1]),
        ([0.0, 1.0, 2.0], [1, None, None]),  # the first only
        ([0.0, 1.0, 60.0], [1, None, 2]),  # a minute later: with the one not warned about
        ([0.0, 59.9, 61.0, 62.0], [1, None, 2, None]),
    ],
)
def test_warned_once_then_rate_limited(times: list[float], warned: list[int | None]) -> None:
    log = OverflowWarnings(every_s=60.0)
    assert [log.note(t) for t in times] == warned
    assert log.total == len(times)


@dataclass
class Status:
    """The part of sounddevice's CallbackFlags the callback reads."""

    input_overflow: bool


@dataclass
class Timing:
    """The part of sounddevice's callback time info the callback reads (0: not known)."""

    inputBufferAdcTime: float = 0.0  # noqa: N815 (sounddevice's name)
    currentTime: float = 0.0  # noqa: N815


def test_microphone_warns_once_per_stream(caplog: pytest.LogCaptureFixture) -> None:
    chunks: list[bytes] = []
    mic = Microphone(chunks.append)
    mic._resampler = Resampler(16000, 16000)  # as start() leaves it, without a device
    caplog.set_level(logging.DEBUG, logger="companion.audio.microphone")
    for _ in range(3):
        mic._callback(b"\0\0" * 320, 320, Timing(), Status(input_overflow=True))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "audio lost 1 time" in warnings[0].getMessage()
    assert sum(r.getMessage() == "input overflow" for r in caplog.records) == 2
    assert len(chunks) == 3  # the audio that did arrive is still delivered
