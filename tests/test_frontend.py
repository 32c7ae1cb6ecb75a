"""The noise front end (companion/audio/frontend.py) on real recordings, its setting, and its
``companion recognize`` flag (real WebRTC processing, real PocketSphinx)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from companion.audio import wavfile
from companion.audio.frontend import (
    FrontEndKind,
    FrontEndSettings,
    PassThrough,
    WebRtcFrontEnd,
    make_front_end,
)
from companion.audio.microphone import Microphone
from companion.errors import RoutineError
from companion.listen.microphone_source import OwnVoice, VoiceSource
from companion.listen.vad import level_db
from companion.routine.settings import default, from_text
from companion.speech.captions import CaptionSink, SilentSpeaker
from tests.conftest import REPO, speech_data


def noise_recording(seconds: int) -> bytes:
    """Real household noise (Speech Commands _silence_ cuts) one after another."""
    cuts = sorted((speech_data() / "commands" / "_silence_").glob("*.wav"))
    return b"".join(wavfile.read(str(p), 16000) for p in cuts[:seconds])


@pytest.mark.parametrize("block", [1, 160, 333, 480, 16000])
def test_any_block_length_gives_the_same_audio_and_length(block: int) -> None:
    pcm = noise_recording(2)[: 2 * 31_999]  # not a whole number of 10 ms frames
    whole = WebRtcFrontEnd()
    expected = whole.process(pcm) + whole.flush()
    parts = WebRtcFrontEnd()
    got = b"".join(parts.process(pcm[i : i + 2 * block]) for i in range(0, len(pcm), 2 * block))
    assert len(got) % 320 == 0  # whole 10 ms frames only until the end
    got += parts.flush()
    assert len(got) == len(pcm)
    assert got == expected


def test_steady_household_noise_is_made_quieter() -> None:
    cuts = sorted((speech_data() / "commands" / "_silence_").glob("*.wav"))[:12]
    drops = []
    for cut in cuts:
        pcm = wavfile.read(str(cut), 16000) * 6  # one cut again and again: a steady noise
        fe = WebRtcFrontEnd()
        out = fe.process(pcm) + fe.flush()
        last = slice(len(pcm) - 3 * 32000, len(pcm))  # once it has learnt the noise
        drops.append(level_db(pcm[last]) - level_db(out[last]))
    assert float(np.median(drops)) > 8  # measured: 12 dB (2.4 to 16 dB)


def test_the_setting_chooses_the_front_end_and_none_turns_it_off() -> None:
    assert default().listening.front_end in {k.value for k in FrontEndKind}
    assert isinstance(make_front_end(FrontEndSettings(kind=FrontEndKind.NONE)), PassThrough)
    assert isinstance(make_front_end(FrontEndSettings(kind=FrontEndKind.WEBRTC)), WebRtcFrontEnd)
    # Vosk's 8 kHz models: no front end rather than audio at the wrong rate
    assert isinstance(make_front_end(FrontEndSettings(kind=FrontEndKind.WEBRTC), 8000), PassThrough)
    routine = from_text('[listening]\nfront_end = "none"\n')
    assert routine.listening.front_end == "none"
    with pytest.raises(RoutineError, match="front_end"):
        from_text('[listening]\nfront_end = "loud"\n')


def recognize(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "recognize", "--no-reader", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_recognize_hears_a_command_through_either_front_end(tmp_path: Path) -> None:
    clip = sorted((speech_data() / "commands" / "go").glob("*.wav"))[1]
    for kind in ("webrtc", "none"):
        done = recognize("--front-end", kind, "--context", "ready", str(clip))
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["command"] == "start", kind


def test_recognize_refuses_an_unknown_front_end(tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    with wave.open(str(quiet), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.zeros(16000, dtype="<i2").tobytes())
    done = recognize("--front-end", "loud", str(quiet))
    assert done.returncode != 0
    assert "--front-end" in done.stderr and "Traceback" not in done.stderr


class RecordingListener:
    """Keeps what it is given (the wiring is under test, not recognition)."""

    def __init__(self) -> None:
        self.heard: list[bytes] = []

    def set_context(self, _context: str, _commands: object) -> None:
        pass

    def own_speech(self, _text: str | None) -> None:
        pass

    def process(self, pcm16: bytes) -> list[object]:
        self.heard.append(pcm16)
        return []


def test_the_session_listener_hears_the_microphone_through_the_front_end() -> None:
    pcm = noise_recording(2)
    expected = WebRtcFrontEnd().process(pcm)
    listener = RecordingListener()
    own = OwnVoice(SilentSpeaker(CaptionSink(io.StringIO())))
    source = VoiceSource(
        listener,  # type: ignore[arg-type]
        own,
        lambda sink: Microphone(sink),
        None,
        None,
        WebRtcFrontEnd(),
    )
    source.start(lambda _event: None)
    for i in range(0, len(pcm), 960):  # 30 ms blocks, as the microphone gives them
        source._on_chunk(pcm[i : i + 960])
    deadline = time.monotonic() + 10
    while sum(map(len, listener.heard)) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.01)
    source.close()
    heard = b"".join(listener.heard)
    assert heard == expected
    assert heard != pcm[: len(heard)]
