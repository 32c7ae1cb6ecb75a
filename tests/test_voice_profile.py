"""The user's own voice: recordings kept whole, trimmed, checked; the classifier retrained with
them, used by the listener, and better on a voice it had never heard (real recordings)."""

from __future__ import annotations

import datetime as dt
import logging
import stat
import wave
from pathlib import Path

import numpy as np
import pytest

from companion.audio import wavfile
from companion.classifier import training
from companion.classifier.choose import make_classifier
from companion.classifier.word_classifier import WordClassifier
from companion.errors import BadInputError, ModelError
from companion.recognisers.choose import make_engine
from companion.user_voice import voice_profile
from companion.user_voice.retraining import REPLAY, ReplaySet, adapted_model
from companion.user_voice.voice_profile import DIGITS, VoiceProfile
from companion.user_voice.word_recording import RecordingProblem, trimmed
from tests.conftest import speech_data

RATE = 16000
NOW = dt.datetime(2026, 11, 30, 9, 15, 0)


def digit_clip(digit: int, take: int, speaker: str = "nicolas") -> bytes:
    return wavfile.read(speech_data() / "digits" / f"{digit}_{speaker}_{take}.wav", RATE)


def tone(seconds: float, db: float) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    amp = 32768 * 10 ** (db / 20) * np.sqrt(2)
    return (amp * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()


def silence(seconds: float) -> bytes:
    return bytes(2 * int(seconds * RATE))


@pytest.mark.parametrize(
    ("audio", "reason"),
    [
        (b"", "empty"),
        (silence(1.0), "quiet"),
        (tone(1.0, -60), "quiet"),
        (silence(0.5) + tone(0.02, -20) + silence(0.5), "short"),
        (tone(4.0, -20), "long"),
    ],
    ids=["empty", "silence", "faint tone", "short blip", "4 s tone"],  # not 400 KB of audio
)
def test_unusable_recordings_are_refused_with_the_reason(audio: bytes, reason: str) -> None:
    with pytest.raises(RecordingProblem) as caught:
        trimmed(audio)
    assert caught.value.reason == reason


def test_a_word_is_trimmed_to_its_spoken_part_with_a_little_room() -> None:
    word = digit_clip(7, 3)
    padded = silence(1.0) + word + silence(1.5)
    out = trimmed(padded)
    assert len(out) < len(word) + 2 * int(0.5 * RATE)
    x = np.frombuffer(out, dtype="<i2")
    w = np.frombuffer(word, dtype="<i2")
    assert np.abs(x).max() == np.abs(w).max()  # the loudest part is kept


def test_a_word_in_a_noisy_room_with_a_long_silence_after_it_is_kept() -> None:
    """What the microphone delivers for a slow speaker: the word, then 2.5 s of end silence in
    a room whose noise is only 20 dB below the voice."""
    rng = np.random.default_rng(1)
    word = np.frombuffer(digit_clip(7, 3), dtype="<i2").astype(np.float64)
    noise_rms = np.sqrt((word**2).mean()) * 10 ** (-20 / 20)
    room = rng.standard_normal(word.size + int(2.8 * RATE)) * noise_rms
    room[int(0.3 * RATE) : int(0.3 * RATE) + word.size] += word
    out = trimmed(np.clip(room, -32768, 32767).astype("<i2").tobytes())
    assert len(out) / 2 / RATE < word.size / RATE + 0.6


def test_every_real_recording_in_the_shared_data_is_accepted() -> None:
    """No real word of ../shared (Speech Commands, FSDD) is refused, and trimming keeps at
    least its loudest part."""
    files = sorted((speech_data() / "digits").glob("*_0.wav")) + [
        f
        for f in sorted((speech_data() / "commands").glob("*/*.wav"))
        if f.parent.name != "_silence_"
    ]
    assert len(files) > 400
    for f in files:
        pcm = wavfile.read(f, RATE)
        out = np.frombuffer(trimmed(pcm), dtype="<i2")
        assert np.abs(out).max() == np.abs(np.frombuffer(pcm, dtype="<i2")).max(), f


def test_recordings_are_kept_as_16k_mono_files_with_distinct_names(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path / "voice")
    first = profile.add("nine", digit_clip(9, 0), NOW)
    second = profile.add("nine", digit_clip(9, 1), NOW)
    assert first != second
    for f in (first, second):
        with wave.open(str(f)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
    assert profile.recordings() == {"nine": [first, second]}
    assert not list((tmp_path / "voice").rglob(".tmp-*"))


def test_bad_words_and_bad_audio_leave_nothing_behind(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path / "voice")
    with pytest.raises(BadInputError, match="cannot be taught"):
        profile.add("ten", digit_clip(1, 0), NOW)
    with pytest.raises(RecordingProblem):
        profile.add("one", silence(2.0), NOW)
    assert profile.recordings() == {}
    assert not [p for p in (tmp_path / "voice").rglob("*") if p.is_file()]


def test_forgetting_removes_the_words_and_what_was_learnt(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path / "voice")
    profile.add("one", digit_clip(1, 0), NOW)
    profile.add("two", digit_clip(2, 0), NOW)
    profile.model_file.write_bytes(b"x")
    assert profile.forget(["one"]) == 1
    assert list(profile.recordings()) == ["two"]
    assert not profile.model_file.exists()
    with pytest.raises(BadInputError):
        profile.forget(["eleven"])
    assert profile.forget() == 1
    assert profile.recordings() == {}


def test_the_listener_uses_the_retrained_classifier_and_survives_a_damaged_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    profile = VoiceProfile(tmp_path / "voice")
    for take in (0, 1):
        profile.add("nine", digit_clip(9, take), NOW)
    assert not profile.up_to_date()
    assert profile.retrain() == profile.model_file
    assert profile.up_to_date()
    assert profile.trained_on() == [f"nine/{f.name}" for f in profile.recordings()["nine"]]

    engine = make_engine("pocketsphinx")
    clip = digit_clip(9, 20)
    mine = make_classifier(engine, user_voice=profile.root)
    shipped = make_classifier(engine)
    assert isinstance(mine, WordClassifier) and isinstance(shipped, WordClassifier)
    assert max(mine.probabilities(clip), key=mine.probabilities(clip).get) == "nine"
    assert mine.probabilities(clip) != shipped.probabilities(clip)

    profile.add("nine", digit_clip(9, 2), NOW)
    assert not profile.up_to_date()  # a new recording: not learnt yet

    for damage in (b"", b"not a classifier", b"PK\x03\x04 half a zip"):
        profile.model_file.write_bytes(damage)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            fallback = make_classifier(engine, user_voice=profile.root)
        assert isinstance(fallback, WordClassifier)
        assert fallback.probabilities(clip) == shipped.probabilities(clip)
        assert "built-in word classifier" in caplog.text
        assert profile.trained_on() is None


def test_retraining_with_no_recordings_removes_the_learnt_classifier(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path / "voice")
    profile.root.mkdir()
    profile.model_file.write_bytes(b"old")
    assert profile.retrain() is None
    assert not profile.model_file.exists()


def test_a_damaged_training_sample_is_a_clear_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "replay.npz"
    bad.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(ModelError, match="cannot be read"):
        ReplaySet.load(bad)
    with np.load(REPLAY) as d:
        parts = dict(d.items())
    parts["labels"] = parts["labels"][:-5]
    np.savez(bad, **parts)
    with pytest.raises(ModelError, match="damaged"):
        ReplaySet.load(bad)


def test_two_recordings_of_each_digit_teach_a_voice_it_never_heard() -> None:
    """The FSDD speaker 'nicolas' (one of the benchmark's halves): a classifier retrained
    without his half is tried on his recordings 5-49, before and after adding his first two
    recordings of each digit, through the same ``adapted_model`` as ``companion voice``."""
    speech_data()
    replay = ReplaySet.load()
    his = (replay.speaker == "nicolas") & replay.real
    half = str(replay.half[his][0])
    others = replay.half != half
    test = his & (replay.take >= 5)
    own = his & (replay.take < 2)
    assert test.sum() >= 400 and own.sum() == 2 * len(DIGITS)

    def accuracy(own_rows: np.ndarray) -> float:
        words = [replay.classes[i] for i in replay.labels[own_rows]]
        model = adapted_model(replay, words, replay.features[own_rows], use=others)
        guess = training.predict(model, replay.features[test]).argmax(axis=1)
        return float((guess == replay.labels[test]).mean())

    before = accuracy(np.zeros_like(own))
    after = accuracy(own)
    assert after >= before + 0.1, (before, after)


def test_keep_all_keeps_every_recording_or_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = VoiceProfile(tmp_path / "voice")
    clips = [trimmed(digit_clip(7, take)) for take in range(3)]
    real = voice_profile.files.write_atomic
    calls: list[Path] = []

    def disk_full_on_the_second(path: Path, data: bytes | str) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(voice_profile.files, "write_atomic", disk_full_on_the_second)
    with pytest.raises(OSError):
        profile.keep_all("seven", clips, NOW)
    assert profile.recordings() == {}
    assert [p for p in (tmp_path / "voice").rglob("*") if not p.is_dir()] == []
    assert [p.name for p in (tmp_path / "voice").iterdir()] == ["seven"]  # no staging left
    monkeypatch.undo()

    kept = profile.keep_all("seven", clips, NOW)
    assert profile.recordings() == {"seven": kept} and len(kept) == 3
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    assert stat.S_IMODE((tmp_path / "voice" / "seven").stat().st_mode) == 0o700
    profile.discard(kept[:1])
    assert profile.recordings() == {"seven": kept[1:]}
