"""Real speech into a real audio sink: every line heard in full, in order, at the rate set."""

from __future__ import annotations

import io
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from companion.audio import output_stream
from companion.speech import CaptionSink, make_speaker
from companion.speech.captions import CaptionedSpeaker
from companion.speech.tts import Pyttsx3Speaker
from tests.conftest import skip_or_fail
from tests.pulse import PulseServer, Recording, read_wav, voiced_segments

pytestmark = [pytest.mark.audio]


@pytest.fixture(autouse=True)
def _needs_espeak_and_aplay() -> None:
    for tool, package in (("espeak-ng", "espeak-ng"), ("aplay", "alsa-utils")):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed: apt-get install {package}")


def reference(text: str, rate: int, folder: Path) -> Recording:
    """The line synthesised offline by the espeak-ng program at ``rate`` (not via pyttsx3)."""
    path = folder / f"ref-{rate}-{abs(hash(text))}.wav"
    subprocess.run(
        ["espeak-ng", "-v", "gmw/en", "-s", str(rate), "-w", str(path), text],
        check=True,
        capture_output=True,
    )
    return read_wav(path)


def span(rec: Recording) -> float:
    """Seconds from the first to the last sound."""
    segments = voiced_segments(rec)
    return segments[-1][1] - segments[0][0] if segments else 0.0


def wait_for_sound(server: PulseServer, since: int, timeout: float = 30.0) -> None:
    """Wait until the sink has carried sound since mark ``since``."""
    deadline = time.monotonic() + timeout
    while not voiced_segments(server.samples(since, settle=0)):
        assert time.monotonic() < deadline, f"nothing was heard within {timeout} s"
        time.sleep(0.05)


def close_enough(measured: float, expected: float) -> bool:
    return abs(measured - expected) <= max(0.05, 0.04 * expected)


@pytest.mark.slow
@pytest.mark.timeout(600)  # about 90 s of speech; the speaker alone is given 240 s
def test_fifty_lines_are_heard_in_full_in_order_at_the_rate_set(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    rate, other_rate = 190, 150
    lines = [f"Line {i} is done" for i in range(1, 51)]
    expected = [span(reference(line, rate, tmp_path)) for line in lines]
    slower = [span(reference(line, other_rate, tmp_path)) for line in lines]
    shown = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(
        True, rate, 1.0, "system", CaptionSink(shown), problems.append, pause=0.3
    )
    assert isinstance(speaker, CaptionedSpeaker)
    start = pulse_server.mark()
    for line in lines:  # all handed over at once: the queue must keep every one
        speaker.say(line)
    assert speaker.busy()
    assert isinstance(speaker.voice, Pyttsx3Speaker)
    assert speaker.voice.wait(timeout=240), "the speaker never finished"
    heard = pulse_server.samples(start)
    speaker.close()

    assert problems == []
    assert shown.getvalue().splitlines() == lines  # each line captioned exactly once
    segments = voiced_segments(heard)
    durations = [end - begin for begin, end in segments]
    assert len(segments) == len(lines), f"heard {len(segments)} lines: {segments}"
    wrong = [
        (line, round(got, 3), round(want, 3))
        for line, got, want in zip(lines, durations, expected, strict=True)
        if not close_enough(got, want)
    ]
    assert wrong == [], "lines heard with the wrong length (cut, lost or at another rate)"
    assert abs(sum(durations) - sum(expected)) < 0.02 * sum(expected)
    assert sum(slower) > 1.15 * sum(durations)  # the rate really makes a difference here


def test_stop_cuts_a_long_line_short(pulse_server: PulseServer, tmp_path: Path) -> None:
    text = "Slowly open your hand as wide as is comfortable and then rest it flat on the table"
    full = span(reference(text, 150, tmp_path))
    problems: list[str] = []
    speaker = Pyttsx3Speaker(problems.append, rate=150)
    start = pulse_server.mark()
    speaker.say(text)
    speaker.say("This line is queued and must never be heard")
    wait_for_sound(pulse_server, start)  # however long synthesis took under load
    time.sleep(1.0)  # a second of the line is heard
    stopped_at = pulse_server.mark()
    speaker.stop()
    assert speaker.wait(timeout=1.0), "still busy after stop()"
    heard = pulse_server.samples(start, settle=1.5)
    speaker.close()
    assert problems == []
    segments = voiced_segments(heard)
    assert segments, "nothing was heard before stop()"
    last_sound = start + int(segments[-1][1] * heard.rate)
    assert full > 4.0
    assert span(heard) < 2.5
    assert last_sound - stopped_at < 0.4 * heard.rate, "sound went on after stop()"


def test_beat_lines_start_on_their_beat_and_cut_what_is_said(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    counts = ["one", "two", "three", "four", "five"]
    templates = [_template(reference(c, 160, tmp_path), pulse_server.rate) for c in counts]
    problems: list[str] = []
    speaker = Pyttsx3Speaker(problems.append, rate=160)
    for count in counts:  # warm the cache as the session's first set would
        speaker.say(count)
    assert speaker.wait(timeout=30)
    start = pulse_server.mark()
    speaker.say("Get ready, this sentence is long and will be cut short by the first beat")
    marks = []
    t0 = time.monotonic() + 1.0
    for k, count in enumerate(counts):
        time.sleep(max(0.0, t0 + 0.7 * k - time.monotonic()))
        marks.append(pulse_server.mark())
        speaker.say(count, beat=True)
    assert speaker.wait(timeout=10)
    heard = pulse_server.samples(start)
    speaker.close()
    assert problems == []

    lags = []
    for mark, template in zip(marks, templates, strict=True):
        onset, score = _find(heard.samples, template, mark - start - 1600, mark - start + 12800)
        assert score > 0.5, f"a count word was not found (best match {score:.2f})"
        lags.append((onset - (mark - start)) / heard.rate)
    assert all(-0.05 < lag < 0.4 for lag in lags), f"beat lines started late: {lags}"
    assert max(lags) - min(lags) < 0.15, f"beat lines drift: {lags}"


def test_set_voice_changes_the_length_heard(pulse_server: PulseServer, tmp_path: Path) -> None:
    text = "Spread your fingers wide"
    problems: list[str] = []
    speaker = Pyttsx3Speaker(problems.append, rate=120, pause=0.5)
    start = pulse_server.mark()
    speaker.say(text)
    speaker.set_voice(240, 0.8)
    speaker.say(text)
    assert speaker.wait(timeout=30)
    heard = pulse_server.samples(start)
    speaker.close()
    assert problems == []
    segments = voiced_segments(heard)
    assert len(segments) == 2
    slow, fast = (end - begin for begin, end in segments)
    assert close_enough(slow, span(reference(text, 120, tmp_path)))
    assert close_enough(fast, span(reference(text, 240, tmp_path)))
    assert slow > 1.6 * fast


def test_no_audio_device_is_reported_once_and_captions_continue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "asound.conf"
    broken.write_text("pcm.!default { type hw card 63 }\n")  # a sound card that is not there
    monkeypatch.setenv("ALSA_CONFIG_PATH", str(broken))
    shown = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(True, 170, 1.0, "system", CaptionSink(shown), problems.append)
    lines = [f"Set {i} of 4" for i in range(1, 5)]
    for line in lines:
        speaker.say(line)
    assert isinstance(speaker, CaptionedSpeaker) and isinstance(speaker.voice, Pyttsx3Speaker)
    assert speaker.voice.wait(timeout=30)
    speaker.close()
    assert len(problems) == 1, problems
    assert "aplay" in problems[0]
    # each line is captioned when handed over; each one the player failed (twice) is marked
    shown_lines = shown.getvalue().splitlines()
    assert shown_lines[:4] == lines
    assert len(shown_lines) == 8 and all("not said aloud" in s for s in shown_lines[4:])


def test_the_server_carries_sound_to_aplay_and_portaudio(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    ref = reference("Testing the sound", 170, tmp_path)
    wav = tmp_path / "ref.wav"
    ref.save(wav)
    start = pulse_server.mark()
    subprocess.run(["aplay", "-q", str(wav)], check=True, timeout=30)
    heard = pulse_server.samples(start)
    assert close_enough(span(heard), span(ref))

    # PortAudio (what sounddevice uses) records the monitor through the ALSA pulse plugin.
    script = (
        "import sys, numpy, sounddevice as sd\n"
        "a = sd.rec(int(2.5 * 16000), samplerate=16000, channels=1, dtype='int16')\n"
        "print('recording', flush=True)\n"
        "sd.wait(); numpy.save(sys.argv[1], a[:, 0])\n"
    )
    out = tmp_path / "portaudio.npy"
    rec = subprocess.Popen(
        [sys.executable, "-c", script, str(out)], stdout=subprocess.PIPE, text=True
    )
    assert rec.stdout is not None
    ready = select.select([rec.stdout], [], [], 60)[0]  # Python, numpy and PortAudio started
    assert ready and rec.stdout.readline().strip() == "recording"
    pulse_server.play(wav)
    assert rec.wait(timeout=30) == 0
    got = Recording(np.load(out))
    assert close_enough(span(got), span(ref)), "PortAudio did not hear the whole line"


def _template(ref: Recording, rate: int) -> np.ndarray:
    """The first 0.3 s of sound of ``ref``, resampled to ``rate``."""
    first = voiced_segments(ref)[0][0]
    src = ref.samples[int(first * ref.rate) : int((first + 0.3) * ref.rate)].astype(float)
    times = np.arange(int(0.3 * rate)) / rate
    return np.interp(times, np.arange(len(src)) / ref.rate, src)


def _find(signal: np.ndarray, template: np.ndarray, lo: int, hi: int) -> tuple[int, float]:
    """Where in ``signal[lo:hi]`` ``template`` matches best (normalised correlation)."""
    lo = max(0, lo)
    window = signal[lo : hi + len(template)].astype(float)
    t = (template - template.mean()) / (np.linalg.norm(template - template.mean()) + 1e-9)
    raw = np.correlate(window, t, mode="valid")
    sums = np.cumsum(np.concatenate([[0.0], window]))
    sq = np.cumsum(np.concatenate([[0.0], window**2]))
    n = len(t)
    mean = (sums[n:] - sums[:-n]) / n
    energy = np.sqrt(np.maximum(sq[n:] - sq[:-n] - n * mean**2, 1e-9))
    score = raw / energy
    best = int(np.argmax(score))
    return lo + best, float(score[best])


def test_without_aplay_the_user_is_told_once_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no aplay, no paplay
    monkeypatch.setenv(output_stream.SETTING, "command")  # not the in-process stream
    shown = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(True, 170, 1.0, "system", CaptionSink(shown), problems.append)
    for line in ("Hello", "Open your hand", "Well done"):
        speaker.say(line)
    assert isinstance(speaker, CaptionedSpeaker) and isinstance(speaker.voice, Pyttsx3Speaker)
    assert speaker.voice.wait(timeout=10)
    speaker.close()
    assert len(problems) == 1
    assert "alsa-utils" in problems[0]
    assert shown.getvalue().splitlines() == ["Hello", "Open your hand", "Well done"]
