"""The speech embedding and the word classifier: real models on real recordings; bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from companion.audio import wavfile
from companion.classifier.embedding import MODEL_DIR, SpeechEmbedder
from companion.classifier.word_classifier import OTHER, SILENCE, WEIGHTS, WordClassifier
from companion.errors import ModelError
from tests.conftest import speech_data

RATE = 16000


@pytest.fixture(scope="module")
def classifier() -> WordClassifier:
    return WordClassifier()


def test_embeddings_come_every_80_ms_and_short_audio_is_padded() -> None:
    embedder = SpeechEmbedder()
    short = embedder.embed(b"\0\0" * (RATE // 2))
    longer = embedder.embed(
        (np.random.default_rng(0).normal(0, 300, 3 * RATE)).astype("<i2").tobytes()
    )
    assert short.shape == (11, 96)  # 1.6 s: (160 - 76) // 8 + 1 windows, less the model's edge
    assert longer.shape[0] > short.shape[0] + 15  # 1.4 s more: about 17 more embeddings
    assert np.isfinite(longer).all()


@pytest.mark.parametrize("word", ["yes", "no", "go", "stop"])
def test_real_speakers_words_are_named(classifier: WordClassifier, word: str) -> None:
    # These speakers were part of its training (held-out figures: docs/benchmarks.md); the
    # test checks the real model end to end, on the clips as the listener would see them.
    files = sorted((speech_data() / "commands" / word).glob("*.wav"))[::3]
    tops = [_top(classifier.probabilities(wavfile.read(f, RATE))) for f in files]
    assert sum(t == word for t in tops) >= 0.8 * len(files), tops


def test_digits_of_both_voices_are_named(classifier: WordClassifier) -> None:
    names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    files = sorted((speech_data() / "digits").glob("*.wav"))[::17]
    right = [
        _top(classifier.probabilities(wavfile.read(f, RATE))) == names[int(f.name[0])]
        for f in files
    ]
    assert sum(right) >= 0.8 * len(files)


def test_noise_is_never_a_command_word(classifier: WordClassifier) -> None:
    rng = np.random.default_rng(3)
    for level in (3, 100, 1000):
        noise = (rng.standard_normal(RATE) * level).astype("<i2").tobytes()
        assert _top(classifier.probabilities(noise)) in (SILENCE, OTHER)


def test_probabilities_sum_to_one_over_every_class(classifier: WordClassifier) -> None:
    p = classifier.probabilities(b"\0\0" * RATE)
    assert set(p) == set(classifier.classes) and abs(sum(p.values()) - 1) < 1e-6


def test_damaged_embedding_model_is_a_model_error(tmp_path: Path) -> None:
    shutil.copytree(MODEL_DIR, tmp_path / "m")
    target = tmp_path / "m" / "embedding_model.onnx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged"):
        SpeechEmbedder(tmp_path / "m")
    (tmp_path / "m" / "melspectrogram.onnx").unlink()
    with pytest.raises(ModelError, match="cannot be read"):
        SpeechEmbedder(tmp_path / "m")


def test_unreadable_or_mismatched_weights_are_a_model_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a numpy file")
    with pytest.raises(ModelError, match="cannot be read"):
        WordClassifier(garbage)
    with np.load(WEIGHTS) as data:
        parts = {k: data[k] for k in data.files}
    parts["bias"] = parts["bias"][:-1]
    short = tmp_path / "short.npz"
    np.savez(short, **parts)
    with pytest.raises(ModelError, match="damaged"):
        WordClassifier(short)


def _top(p: dict[str, float]) -> str:
    return max(p, key=lambda c: p[c])
