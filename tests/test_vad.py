"""The energy detector can settle on the room it starts in (issue 21; an option, not the
default): a fresh listener in a steady noisy room does not take the room for speech for
seconds, and a word said at once is heard as before. Real recordings: household noise cuts and
FSDD digits."""

from __future__ import annotations

import numpy as np
import pytest

from companion.audio import wavfile
from companion.listen.vad import SETTLE_S, EnergyVad, level_db
from tests.conftest import speech_data

RATE = 16000
CHUNK = int(0.03 * RATE)


def chunks(x: np.ndarray) -> list[bytes]:
    pcm = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
    return [pcm[i : i + 2 * CHUNK] for i in range(0, len(pcm) - 2 * CHUNK + 1, 2 * CHUNK)]


def read(path: object) -> np.ndarray:
    return np.frombuffer(wavfile.read(path, RATE), dtype="<i2").astype(np.float64)  # type: ignore[arg-type]


def room(seconds: float, level_dbfs: float) -> np.ndarray:
    """Household noise (Speech Commands' background cuts, one after another, each brought to
    ``level_dbfs``): a steady room."""
    cuts = sorted((speech_data() / "commands" / "_silence_").glob("*.wav"))[1:24:2]
    parts = [read(c) - read(c).mean() for c in cuts]
    x = np.concatenate(
        [p * 32768 * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(p**2)) for p in parts]
    )
    return x[: int(seconds * RATE)]


def speech_flags(vad: EnergyVad, x: np.ndarray) -> list[bool]:
    return [vad.is_speech(c, 0.03) for c in chunks(x)]


def test_a_detector_started_in_a_noisy_room_settles_on_it_within_a_second() -> None:
    noise = room(4.0, -35.0)
    settled = speech_flags(EnergyVad(settle_s=SETTLE_S), noise)
    creeping = speech_flags(EnergyVad(), noise)  # the default: from -70 dB, 4 dB/s
    after = slice(int(1.0 / 0.03), int(3.0 / 0.03))  # from 1 s to 3 s
    assert sum(settled[after]) <= 0.2 * len(settled[after])
    assert sum(creeping[after]) >= 0.8 * len(creeping[after])


def test_a_word_said_at_once_is_heard_as_by_the_detector_that_never_settles() -> None:
    """FSDD digits begin with the word: the floor may not settle on the word itself."""
    files = sorted((speech_data() / "digits").glob("*.wav"))[::97][:8]
    for f in files:
        x = np.concatenate([read(f), np.random.default_rng(0).standard_normal(2 * RATE) * 2])
        assert speech_flags(EnergyVad(settle_s=SETTLE_S), x) == speech_flags(EnergyVad(), x), f.name
    # settling on the first chunk would lose most of such a word
    lost = 0
    for f in files:
        x = read(f)
        lost += sum(speech_flags(EnergyVad(settle_s=None), x)) - sum(
            speech_flags(EnergyVad(settle_s=0.0), x)
        )
    assert lost > 0


def test_digital_silence_before_the_room_is_not_settled_on() -> None:
    x = np.concatenate([np.zeros(RATE), room(3.0, -35.0)])
    flags = speech_flags(EnergyVad(settle_s=SETTLE_S), x)
    assert sum(flags[int(2.0 / 0.03) :]) <= 0.2 * len(flags[int(2.0 / 0.03) :])


def test_a_calibrated_floor_is_kept_and_reset_forgets_the_room() -> None:
    vad = EnergyVad(settle_s=SETTLE_S)
    vad.floor_db = -40.0  # as user_voice.utterance_capture calibrates it
    loud = room(0.03, -20.0)
    assert vad.is_speech(chunks(loud)[0], 0.03)
    vad.reset()
    assert vad.floor_db == -70.0
    for c in chunks(room(1.0, -35.0)):
        vad.is_speech(c, 0.03)
    assert vad.floor_db == pytest.approx(level_db(chunks(room(1.0, -35.0))[0]), abs=15)
    assert vad.floor_db > -50
