"""The residual gate: what the canceller leaves of the companion's voice is quietened, a voice
over it is passed whole (its tail too), and nothing changes while nothing is played."""

from __future__ import annotations

import numpy as np

from companion.audio.residual_gate import ResidualGate

FRAME = 160


def frames(seconds: float, level: float, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(seconds * 100) * FRAME) * level
    return [f.astype(np.int16) for f in x.reshape(-1, FRAME)]


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))


def test_the_residual_is_quietened_and_a_voice_over_it_is_kept_whole() -> None:
    gate = ResidualGate()
    played = frames(3.0, 3000, seed=1)
    residual = [(f * 0.03).astype(np.int16) for f in played]  # the canceller took 30 dB out
    out = [gate.process(r, p) for r, p in zip(residual[:200], played[:200], strict=True)]
    assert gate.residual < 0.01  # learnt
    late = np.concatenate(out[150:])
    assert rms(late) < rms(np.concatenate(residual[150:])) / 5  # quietened (20 dB)
    # someone says a word over it, at the companion's level, then stops
    word = frames(0.5, 3000, seed=2)
    mixed = [(r + w).astype(np.int16) for r, w in zip(residual[200:250], word, strict=True)]
    kept = [gate.process(m, p) for m, p in zip(mixed, played[200:250], strict=True)]
    assert all(np.array_equal(k, m) for k, m in zip(kept, mixed, strict=True))
    tail = [gate.process(r, p) for r, p in zip(residual[250:300], played[250:300], strict=True)]
    assert all(np.array_equal(t, r) for t, r in zip(tail[:25], residual[250:275], strict=True))
    assert rms(np.concatenate(tail[35:])) < rms(np.concatenate(residual[285:300])) / 5


def test_nothing_changes_while_nothing_is_played() -> None:
    gate = ResidualGate()
    silence = np.zeros(FRAME, dtype=np.int16)
    for f in frames(1.0, 500, seed=3):
        assert np.array_equal(gate.process(f, silence), f)
