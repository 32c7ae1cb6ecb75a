"""`companion voice add/list/forget` and `companion recognize` with the user's own voice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from companion.cli.main import main
from companion.errors import ModelError
from companion.user_voice.retraining import ReplaySet
from companion.user_voice.voice_profile import VoiceProfile
from tests.conftest import REPO, speech_data
from tests.pulse import write_wav
from tests.test_recognize_cli import lying_wav


def digit(d: int, take: int) -> Path:
    return speech_data() / "digits" / f"{d}_nicolas_{take}.wav"


@pytest.mark.usefixtures("quick_training")  # stored and listed, not heard
def test_add_list_and_forget(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["voice", "list", *data]) == 0
    assert "No recordings" in capsys.readouterr().out
    assert main(["voice", "add", *data, "three", str(digit(3, 0)), str(digit(3, 1))]) == 0
    assert main(["voice", "add", *data, "four", str(digit(4, 0))]) == 0
    capsys.readouterr()
    assert main(["voice", "list", *data]) == 0
    out = capsys.readouterr().out
    assert "three  2 recordings" in out and "four   1 recording\n" in out
    assert "The listener uses them" in out
    assert VoiceProfile(tmp_path / "voice").up_to_date()

    assert main(["voice", "forget", *data]) == 3  # which words? nothing deleted
    assert main(["voice", "forget", *data, "three"]) == 0
    assert "Deleted 2 recording(s). The listener uses the remaining" in capsys.readouterr().out
    profile = VoiceProfile(tmp_path / "voice")
    assert list(profile.recordings()) == ["four"] and profile.up_to_date()
    assert main(["voice", "forget", *data, "--all"]) == 0
    assert profile.recordings() == {} and not profile.model_file.exists()


def test_one_bad_file_keeps_none_of_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    silent = tmp_path / "silent.wav"
    write_wav(silent, np.zeros(16000, dtype=np.int16), 16000)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00")
    data = ["--data-dir", str(tmp_path / "d")]
    for bad, message in ((silent, "too quiet"), (broken, "not a readable WAV")):
        assert main(["voice", "add", *data, "five", str(digit(5, 0)), str(bad)]) == 3
        assert message in capsys.readouterr().err
    assert main(["voice", "add", *data, "eleven", str(digit(5, 0))]) == 3
    assert "cannot be taught" in capsys.readouterr().err
    assert main(["voice", "teach", *data, "--words", "yes,maybe"]) == 3
    assert main(["voice", "teach", *data, "--times", "9"]) == 3
    assert VoiceProfile(tmp_path / "d" / "voice").recordings() == {}


def test_recognize_listens_with_the_users_voice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged learnt classifier in the data folder is reported and the built-in one used:
    so `recognize` (like the session) looks for the user's voice there."""
    data = ["--data-dir", str(tmp_path)]
    assert main(["voice", "add", *data, "six", str(digit(6, 0))]) == 0
    capsys.readouterr()
    args = ["recognize", *data, "--context", "number", str(digit(6, 30))]
    assert main(args) == 0
    good = json.loads(capsys.readouterr().out)
    assert good["value"] == 6
    VoiceProfile(tmp_path / "voice").model_file.write_bytes(b"damaged")
    assert main(args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["value"] == 6
    assert "built-in word classifier" in caplog.text


def test_teaching_without_a_microphone_says_so_and_keeps_nothing(tmp_path: Path) -> None:
    """No sound card and no audio server: a clear message, exit 4, nothing written."""
    env = {
        **os.environ,
        "ALSA_CONFIG_PATH": "/usr/share/alsa/alsa.conf",
        "PULSE_SERVER": f"unix:{tmp_path}/no-server",
    }
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "voice", "teach", "--no-voice",
         "--data-dir", str(tmp_path / "d"), "--words", "yes", "--times", "1"],
        env=env, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 4, done
    assert "No microphone was found" in done.stderr
    assert VoiceProfile(tmp_path / "d" / "voice").recordings() == {}


@pytest.mark.usefixtures("quick_training")  # stored and listed, not heard
def test_add_keeps_none_when_learning_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["voice", "add", *data, "two", str(digit(2, 0))]) == 0
    before = VoiceProfile(tmp_path / "voice").recordings()
    model = (tmp_path / "voice" / "word-classifier.npz").read_bytes()

    def damaged() -> ReplaySet:
        raise ModelError("The classifier's training sample is damaged.")

    monkeypatch.setattr(ReplaySet, "load", staticmethod(damaged))
    files = [str(digit(3, 0)), str(digit(3, 1))]
    assert main(["voice", "add", *data, "three", *files]) == 5
    assert "damaged" in capsys.readouterr().err
    assert VoiceProfile(tmp_path / "voice").recordings() == before
    assert (tmp_path / "voice" / "word-classifier.npz").read_bytes() == model


def test_add_refuses_a_lying_or_too_long_file_before_keeping_any(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one_hz = tmp_path / "one_hz.wav"
    one_hz.write_bytes(lying_wav(1, 1, 2, 4000, 4000))
    long = tmp_path / "long.wav"
    write_wav(long, np.zeros(16000 * 31, dtype=np.int16), 16000)
    data = ["--data-dir", str(tmp_path / "d")]
    for bad, message in ((one_hz, "sample rate is 1 Hz"), (long, "31 s long; at most 30 s")):
        assert main(["voice", "add", *data, "five", str(digit(5, 0)), str(bad)]) == 3
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert VoiceProfile(tmp_path / "d" / "voice").recordings() == {}
