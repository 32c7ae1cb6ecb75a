"""The segmenter and the energy detector: plain arithmetic, no clock."""

from __future__ import annotations

import numpy as np
import pytest

from companion.listen.endpoint import Edge, Segmenter
from companion.listen.vad import EnergyVad, level_db


def feed(
    seg: Segmenter, pattern: list[tuple[float, bool]], step: float = 0.03
) -> list[tuple[float, Edge]]:
    """Run (seconds, is_speech) runs through ``seg``; returns the edges and when they came."""
    t = 0.0
    edges: list[tuple[float, Edge]] = []
    for seconds, speech in pattern:
        for _ in range(round(seconds / step)):
            t += step
            edge = seg.process(step, speech)
            if edge is not Edge.NONE:
                edges.append((round(t, 2), edge))
    return edges


def test_utterance_ends_after_the_end_silence() -> None:
    edges = feed(Segmenter(end_silence_s=1.5), [(0.3, False), (0.6, True), (3.0, False)])
    assert edges[0] == (pytest.approx(0.36, abs=0.031), Edge.START)
    assert edges[1][1] is Edge.END
    assert edges[1][0] == pytest.approx(0.9 + 1.5, abs=0.031)


def test_slow_speaker_pause_shorter_than_end_silence_keeps_one_utterance() -> None:
    pattern = [(0.6, True), (2.0, False), (0.6, True), (3.0, False)]
    assert [e for _, e in feed(Segmenter(end_silence_s=2.5), pattern)] == [Edge.START, Edge.END]
    assert [e for _, e in feed(Segmenter(end_silence_s=1.5), pattern)] == [
        Edge.START,
        Edge.END,
        Edge.START,
        Edge.END,
    ]


def test_a_click_shorter_than_start_speech_starts_nothing() -> None:
    assert feed(Segmenter(start_speech_s=0.09), [(0.06, True), (1.0, False)]) == []


def test_endless_speech_is_cut_at_max_utterance() -> None:
    edges = feed(Segmenter(max_utterance_s=2.0), [(5.0, True)])
    assert [e for _, e in edges][:3] == [Edge.START, Edge.END, Edge.START]
    assert edges[1][0] == pytest.approx(2.03, abs=0.07)


@pytest.mark.parametrize("bad", [0.1, 2.6, -1.0])
def test_end_silence_outside_range_is_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        Segmenter(end_silence_s=bad)


def tone(db: float, seconds: float = 0.03, rate: int = 16000) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    amp = 32768 * 10 ** (db / 20) * np.sqrt(2)
    return (amp * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def test_level_db_of_a_known_tone() -> None:
    assert level_db(tone(-20)) == pytest.approx(-20, abs=0.3)
    assert level_db(b"\0\0" * 100) == -100.0


def test_vad_hears_speech_over_quiet_and_adapts_to_steady_noise() -> None:
    vad = EnergyVad()
    assert not vad.is_speech(tone(-75), 0.03)
    assert vad.is_speech(tone(-30), 0.03)
    # a steady loud hum stops being speech once the floor has crept up to it
    results = [vad.is_speech(tone(-40), 0.03) for _ in range(400)]
    assert results[0] and not results[-1]
