"""pyttsx3 synthesis to files: one line per file, the rate used at once, checked with espeak-ng."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from companion.errors import BadInputError, ModelError
from companion.speech import tts
from companion.speech.tts import Pyttsx3Synth
from tests.conftest import skip_or_fail
from tests.pulse import read_wav, voiced_segments

LINES = [
    "Open your hand slowly",
    "Now close it gently",
    "Rest your arm on the table",
    "Spread your fingers wide",
    "Touch your thumb to each finger",
    "Relax",
]


@pytest.fixture(scope="module")
def synth() -> Pyttsx3Synth:
    if sys.platform.startswith("linux") and shutil.which("espeak-ng") is None:
        skip_or_fail("espeak-ng is not installed: apt-get install espeak-ng")
    return Pyttsx3Synth()


def espeak_reference(text: str, rate: int, path: Path, voice: str = "gmw/en") -> np.ndarray:
    """The same line synthesised by the espeak-ng program, independently of pyttsx3."""
    if shutil.which("espeak-ng") is None:
        skip_or_fail("espeak-ng is not installed: apt-get install espeak-ng")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return read_wav(path).samples


def assert_same_length(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Same length within 2% (espeak keeps a little state between lines, so not bit-equal)."""
    assert abs(len(got) - len(want)) <= 0.02 * len(want), (
        f"{what}: {len(got)} samples, espeak-ng made {len(want)}"
    )


def test_each_line_gets_its_own_complete_file(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    # pyttsx3 alone keeps only the last text queued before runAndWait(): one call per line.
    for i, text in enumerate(LINES):
        wav = tmp_path / f"{i}.wav"
        synth.synthesize(text, 170, 1.0, wav)
        got = read_wav(wav).samples
        want = espeak_reference(text, 170, tmp_path / f"ref{i}.wav")
        assert_same_length(got, want, f"line {i}")


def test_a_new_rate_is_used_for_the_very_next_line(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    text = "Squeeze the ball and hold it"
    lengths = {}
    # Without the adapter's care espeak used an earlier line's rate for about one line in six.
    for rate in (100, 250, 100, 175, 250, 175, 100, 250, 175, 100, 175, 250, 100, 250):
        wav = tmp_path / f"r{rate}.wav"
        synth.synthesize(text, rate, 1.0, wav)
        got = read_wav(wav)
        want = espeak_reference(text, rate, tmp_path / f"ref{rate}.wav")
        assert_same_length(got.samples, want, f"rate {rate}")
        lengths[rate] = got.seconds
    assert lengths[100] > 1.8 * lengths[250]


def test_volume_scales_the_audio(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    synth.synthesize("Breathe out", 160, 1.0, tmp_path / "loud.wav")
    synth.synthesize("Breathe out", 160, 0.3, tmp_path / "soft.wav")
    loud = np.abs(read_wav(tmp_path / "loud.wav").samples.astype(float)).mean()
    soft = np.abs(read_wav(tmp_path / "soft.wav").samples.astype(float)).mean()
    assert 0.15 < soft / loud < 0.5


def test_nothing_is_printed_on_standard_output(
    synth: Pyttsx3Synth, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    synth.synthesize("Well done", 160, 1.0, tmp_path / "x.wav")
    assert capfd.readouterr().out == ""


def test_a_line_has_no_long_silence_inside(synth: Pyttsx3Synth, tmp_path: Path) -> None:
    # The audio tests find lines by silence; a line of the kind they use must not split.
    synth.synthesize("Line 17 open and close your hand", 150, 1.0, tmp_path / "x.wav")
    assert len(voiced_segments(read_wav(tmp_path / "x.wav"), min_gap=0.25)) == 1


def test_voices_can_be_chosen_by_id_or_short_name(tmp_path: Path) -> None:
    us = Pyttsx3Synth("en-us")
    assert us.voice_id == "gmw/en-us"
    us.synthesize("Hello", 160, 1.0, tmp_path / "us.wav")
    want = espeak_reference("Hello", 160, tmp_path / "ref.wav", voice="gmw/en-us")
    assert_same_length(read_wav(tmp_path / "us.wav").samples, want, "en-us")
    us.close()


def test_an_unknown_voice_is_refused_with_a_clear_message() -> None:
    with pytest.raises(BadInputError, match="not available") as caught:
        Pyttsx3Synth("klingon-warrior")
    assert "gmw/en" in str(caught.value)


def test_an_engine_that_never_reports_a_line_done_is_given_up_then_works_again(
    synth: Pyttsx3Synth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver stays busy for good (espeak never reporting the line done): pyttsx3's
    ``runAndWait`` would spin for ever; the line fails within its bound and the engine's loop
    is ended, so the next line is spoken."""
    monkeypatch.setattr(tts, "_SYNTH_TIMEOUT", 1.0)
    driver = synth._engine.proxy._driver
    plain = driver._start_synthesis

    def never_done(text: str) -> None:
        driver._proxy.setBusy(True)  # espeak is never asked, so it never reports the end

    monkeypatch.setattr(driver, "_start_synthesis", never_done)
    failed: list[BaseException] = []

    def line() -> None:
        try:
            synth.synthesize("Stuck", 160, 1.0, tmp_path / "stuck.wav")
        except ModelError as exc:
            failed.append(exc)

    runner = threading.Thread(target=line, daemon=True)
    runner.start()
    runner.join(8)
    assert not runner.is_alive(), "synthesize() is still waiting"
    assert [str(e) for e in failed] == ["The speech engine did not finish within 1 s."]
    monkeypatch.setattr(driver, "_start_synthesis", plain)
    synth.synthesize("Well done", 160, 1.0, tmp_path / "after.wav")
    assert read_wav(tmp_path / "after.wav").seconds > 0.3
