"""``companion recognize`` on real recordings and on bad input (real PocketSphinx)."""

from __future__ import annotations

import json
import resource
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from companion.audio import wavfile
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


def lying_wav(
    rate: int, channels: int, width: int, claimed: int, actual: int, fmt: int = 1
) -> bytes:
    """A PCM WAV whose header claims ``claimed`` data bytes; ``actual`` zero bytes follow."""
    fmt_chunk = struct.pack(
        "<HHIIHH",
        fmt,
        channels & 0xFFFF,
        rate & 0xFFFFFFFF,
        (rate * channels * width) & 0xFFFFFFFF,
        (channels * width) & 0xFFFF,
        width * 8,
    )
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt_chunk + b"data" + struct.pack("<I", claimed)
    return b"RIFF" + struct.pack("<I", (len(body) + claimed) & 0xFFFFFFFF) + body + bytes(actual)


def limited(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``recognize`` with its address space limited to 2 GB (a lying header used to ask for 6 GiB
    and more)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "recognize", "--no-reader", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        preexec_fn=limit,
    )


@pytest.mark.parametrize(
    ("header", "words"),
    [
        (lying_wav(1, 1, 2, 4000, 4000), "sample rate is 1 Hz"),  # once: > 60 s at 1.2 GB
        (lying_wav(7999, 1, 2, 4000, 4000), "sample rate is 7999 Hz"),
        (lying_wav(400_000, 1, 2, 4000, 4000), "sample rate is 400000 Hz"),
        (lying_wav(16000, 65535, 2, 0xFFFFFF00, 100_000), "channels"),  # once: 6 GiB arrays
        (lying_wav(16000, 9, 2, 90_000, 90_000), "9 channels"),
        (lying_wav(16000, 1, 2, 0xFFFFFF00, 100_000, fmt=0x55), "not a readable WAV"),  # mp3
        (lying_wav(16000, 1, 7, 4096, 4096), "not a readable WAV"),  # 56-bit samples
    ],
    # short ids: pytest made each from the whole header (100 KB), and its test id went into the
    # environment (PYTEST_CURRENT_TEST), too long for exec: "Argument list too long" (pytest 9.1)
    ids=["1 Hz", "7999 Hz", "400 kHz", "65535 channels", "9 channels", "mp3", "56-bit"],
)
def test_a_header_that_lies_is_refused_quickly_in_little_memory(
    tmp_path: Path, header: bytes, words: str
) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(header)
    started = time.monotonic()
    done = limited(str(bad))
    assert time.monotonic() - started < 30
    assert done.returncode == 3, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""


def test_a_header_claiming_more_data_than_the_file_has_reads_what_is_there(
    tmp_path: Path,
) -> None:
    wav = tmp_path / "short.wav"
    wav.write_bytes(lying_wav(16000, 1, 2, 0xFFFFFF00, 32000))
    done = limited(str(wav))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] is None


def test_a_recording_longer_than_ten_minutes_is_refused_before_decoding(tmp_path: Path) -> None:
    long = tmp_path / "long.wav"
    sf.write(long, np.zeros(8000 * 601, dtype=np.int16), 8000, subtype="PCM_U8")
    done = limited(str(long))
    assert done.returncode == 3 and "601 s long; at most 600 s" in done.stderr
    assert wavfile.check(long, 700).seconds == pytest.approx(601)


def test_float_and_extensible_wavs_open_and_give_the_same_words(tmp_path: Path) -> None:
    clip = sorted((speech_data() / "commands" / "yes").glob("*.wav"))[0]
    x, rate = sf.read(clip, dtype="float32")
    stereo = np.stack([x, x], axis=1)
    variants = {
        "float32.wav": (x, rate, "FLOAT", "WAV"),
        "float64-48k.wav": (
            np.interp(np.arange(len(x) * 3) / 3, np.arange(len(x)), x),
            48000,
            "DOUBLE",
            "WAV",
        ),
        "extensible-stereo.wav": (stereo, rate, "PCM_16", "WAVEX"),
        "extensible-24bit.wav": (x, rate, "PCM_24", "WAVEX"),
    }
    for name, (data, r, subtype, fmt) in variants.items():
        sf.write(tmp_path / name, data, r, subtype=subtype, format=fmt)
    files = [clip, *(tmp_path / n for n in variants)]
    done = recognize("--context", "yesno", *map(str, files))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert rows[0]["command"] == "yes"
    assert [r["command"] for r in rows] == ["yes"] * len(files)
    same = np.frombuffer(wavfile.read(tmp_path / "float32.wav", 16000), dtype="<i2")
    original = np.frombuffer(wavfile.read(clip, 16000), dtype="<i2")
    assert np.abs(same.astype(int) - original).max() <= 1
