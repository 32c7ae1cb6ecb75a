"""``companion recognize`` on real recordings and on bad input (real PocketSphinx)."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO, speech_data


def recognize(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "recognize", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())
    return path


def test_prints_one_json_object_per_file_with_every_field(tmp_path: Path) -> None:
    clips = sorted((speech_data() / "commands" / "go").glob("*.wav"))[:3]
    quiet = write_wav(tmp_path / "quiet.wav", np.zeros(16000), 16000)
    done = recognize("--context", "ready", *map(str, clips), str(quiet))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["file"] for r in rows] == [*map(str, clips), str(quiet)]
    for r in rows:
        assert set(r) == {
            "file",
            "heard",
            "command",
            "value",
            "confidence",
            "decided_at_s",
            "decode_ms",
        }
    assert rows[-1]["command"] is None and rows[-1]["heard"] == ""
    assert rows[-1]["decided_at_s"] is None


def test_any_rate_and_channel_count_gives_the_same_words(tmp_path: Path) -> None:
    clip = sorted((speech_data() / "commands" / "yes").glob("*.wav"))[0]
    with wave.open(str(clip)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    t = np.arange(int(len(x) * 44100 / 16000)) * 16000 / 44100
    up = np.interp(t, np.arange(len(x)), x)
    stereo = np.stack([up, up], axis=1).reshape(-1)
    wav = write_wav(tmp_path / "stereo44k.wav", stereo, 44100, channels=2)
    a, b = (json.loads(recognize("--context", "yesno", str(p)).stdout) for p in (clip, wav))
    assert b["command"] == a["command"] and b["heard"] == a["heard"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"RIFF\x10\x00\x00\x00WAVEjunkjunk", "not a readable WAV"),
        (b"hello, not audio at all" * 20, "not a readable WAV"),
    ],
)
def test_corrupt_or_empty_wav_exits_non_zero_with_a_message(
    tmp_path: Path, content: bytes, words: str
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(content)
    done = recognize(str(bad), timeout=30)
    assert done.returncode == 3
    assert words in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_header_only_wav_is_empty(tmp_path: Path) -> None:
    done = recognize(str(write_wav(tmp_path / "e.wav", np.zeros(0), 16000)), timeout=30)
    assert done.returncode == 3 and "empty" in done.stderr


def test_missing_file_unknown_engine_and_bad_model_dirs(tmp_path: Path) -> None:
    ok = write_wav(tmp_path / "q.wav", np.zeros(8000), 16000)
    missing = recognize(str(tmp_path / "nope.wav"), timeout=30)
    assert missing.returncode == 3 and "no such file" in missing.stderr
    engine = recognize("--engine", "whisper", str(ok), timeout=30)
    assert engine.returncode == 3 and "unknown speech engine" in engine.stderr
    gone = recognize("--model", str(tmp_path / "nomodel"), str(ok), timeout=30)
    assert gone.returncode == 5 and "does not exist" in gone.stderr
    empty = tmp_path / "emptymodel"
    empty.mkdir()
    for engine_name in ("pocketsphinx", "vosk"):
        done = recognize("--engine", engine_name, "--model", str(empty), str(ok), timeout=60)
        assert done.returncode == 5, done.stderr
        assert "Traceback" not in done.stderr


def test_broken_pocketsphinx_model_is_a_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    (broken / "en-us").mkdir(parents=True)
    (broken / "en-us" / "mdef").write_text("garbage")
    (broken / "cmudict-en-us.dict").write_text("go G OW\n")
    ok = write_wav(tmp_path / "q.wav", np.zeros(8000), 16000)
    done = recognize("--model", str(broken), str(ok), timeout=60)
    assert done.returncode == 5 and "could not be loaded" in done.stderr


def test_end_silence_out_of_range_is_refused(tmp_path: Path) -> None:
    ok = write_wav(tmp_path / "q.wav", np.zeros(8000), 16000)
    done = recognize("--end-silence", "9", str(ok), timeout=30)
    assert done.returncode == 3 and "--end-silence" in done.stderr
