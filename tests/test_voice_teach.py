"""Teaching the companion the user's voice: the conversation (real recordings handed in one
utterance at a time) and the whole command through the real audio path."""

from __future__ import annotations

import datetime as dt
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from companion import prompts
from companion.audio import wavfile
from companion.errors import DeviceError, ModelError
from companion.speech.queued import QueuedSpeaker
from companion.user_voice.teach import (
    SkipWord,
    StopTeaching,
    TeachSettings,
    heard_from,
    teach,
)
from companion.user_voice.utterance_capture import UtteranceCapture
from companion.user_voice.voice_profile import VoiceProfile
from companion.user_voice.word_recording import wav_bytes
from tests.conftest import REPO, speech_data
from tests.pulse import PulseServer
from tests.test_handsfree import wait_for_silent_sink
from tests.test_keyboard import Screen

RATE = 16000
WAIT_S = 180.0
"""Longest wait for the teaching in a terminal to show the next step."""
WORDS = prompts.load("en")


def clip(digit: int, take: int) -> bytes:
    return wavfile.read(speech_data() / "digits" / f"{digit}_jackson_{take}.wav", RATE)


class Lines:
    """A speaker that keeps what it is asked to say (never busy)."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def say(self, text: str, *, beat: bool = False) -> None:
        self.said.append(text)

    def stop(self) -> None: ...

    def set_voice(self, rate: int, volume: float) -> None: ...

    def busy(self) -> bool:
        return False

    def close(self) -> None: ...


class Utterances:
    """Hands out prepared utterances; None stands for nobody speaking; an exception is raised."""

    def __init__(self, *items: bytes | None | BaseException) -> None:
        self.items = list(items)
        self.drained = 0

    def drain(self, heard_from: float) -> None:
        self.drained += 1

    def next_utterance(self, timeout_s: float) -> bytes | None:
        item = self.items.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item


def run(profile: VoiceProfile, words: list[str], capture: Utterances, times: int = 1):  # type: ignore[no-untyped-def]
    speaker = Lines()
    retrained: list[int] = []
    result = teach(
        profile,
        words,
        speaker,
        capture,
        WORDS,
        lambda: dt.datetime(2026, 11, 30, 10, 0, 0),
        TeachSettings(times=times, settle_s=0.0),
        sleep=lambda _s: None,
        retrain=lambda p: retrained.append(len(p.recordings())),
    )
    return result, speaker.said, retrained


def test_each_word_is_asked_for_recorded_and_learnt(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path)
    capture = Utterances(clip(1, 0), clip(1, 1), clip(2, 0), clip(2, 1))
    result, said, retrained = run(profile, ["one", "two"], capture, times=2)
    assert result.saved == {"one": 2, "two": 2} and result.skipped == []
    assert {w: len(f) for w, f in profile.recordings().items()} == {"one": 2, "two": 2}
    assert said[0] == WORDS.text("voice.intro")
    assert WORDS.text("voice.say_word", word="one") in said
    assert WORDS.text("voice.say_again", word="two") in said
    assert said[-2:] == [WORDS.text("voice.learning"), WORDS.text("voice.done")]
    assert retrained == [2] and capture.drained == 4  # its own prompt is never recorded


def test_a_bad_take_is_explained_and_asked_again_then_the_word_is_left(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path)
    quiet = bytes(RATE)  # a second of digital silence
    capture = Utterances(quiet, None, clip(3, 0), None, None, None, clip(4, 0))
    result, said, retrained = run(profile, ["three", "five", "four"], capture)
    assert result.saved == {"three": 1, "four": 1}
    assert result.skipped == ["five"]
    assert WORDS.text("voice.problem.quiet") in said
    assert said.count(WORDS.text("voice.heard_nothing")) == 4
    assert WORDS.text("voice.try_again", word="three") in said
    assert WORDS.text("voice.skipped", word="five") in said
    assert retrained == [2]


@pytest.mark.usefixtures("quick_training")  # stored and listed, not heard
def test_running_again_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path)
    profile.add("yes", clip(5, 0), dt.datetime(2026, 11, 29, 9, 0, 0))
    capture = Utterances(clip(6, 0))
    result, said, _ = run(profile, ["yes", "six"], capture)
    assert result.saved == {"six": 1}
    assert not any("yes" in line for line in said)
    # everything there and learnt: nothing to ask, nothing to learn
    profile.retrain()
    result, said, retrained = run(profile, ["yes", "six"], Utterances())
    assert result.saved == {} and retrained == []
    assert said == [WORDS.text("voice.nothing_to_do", times=1)]


def test_a_key_skips_a_word_or_stops(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path)
    capture = Utterances(SkipWord(), clip(8, 0), StopTeaching())
    result, said, retrained = run(profile, ["seven", "eight", "nine"], capture)
    assert result.saved == {"eight": 1} and result.skipped == ["seven"]
    assert WORDS.text("voice.skipped", word="seven") in said
    assert WORDS.text("voice.stopped") in said and retrained == [1]


def test_a_failed_retraining_is_said_and_the_recordings_kept(tmp_path: Path) -> None:
    profile = VoiceProfile(tmp_path)
    speaker = Lines()

    def broken(_p: VoiceProfile) -> None:
        raise ModelError("The classifier's training sample is damaged.")

    result = teach(
        profile, ["one"], speaker, Utterances(clip(1, 2)), WORDS,
        lambda: dt.datetime(2026, 11, 30, 10, 0, 0), TeachSettings(times=1, settle_s=0.0),
        sleep=lambda _s: None, retrain=broken,
    )  # fmt: skip
    assert not result.retrained and "damaged" in result.not_learnt
    assert speaker.said[-1] == WORDS.text("voice.not_learnt")
    assert list(profile.recordings()) == ["one"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt(), DeviceError("microphone gone")])
def test_stopping_half_way_keeps_and_learns_what_was_said(
    tmp_path: Path, stop: BaseException
) -> None:
    profile = VoiceProfile(tmp_path)
    capture = Utterances(clip(7, 0), stop)
    result, said, retrained = run(profile, ["seven", "eight"], capture)
    assert result.saved == {"seven": 1}
    assert list(profile.recordings()) == ["seven"] and retrained == [1]
    key = "voice.stopped" if isinstance(stop, KeyboardInterrupt) else "voice.microphone_lost"
    assert WORDS.text(key) in said
    assert ("microphone gone" in result.problem) == isinstance(stop, DeviceError)


def test_in_a_noisy_room_the_utterance_is_the_word_not_the_noise() -> None:
    """A room at about -40 dBFS: learnt in the first half second, it is not taken for speech
    (the energy detector's floor alone would start 30 dB below it)."""
    rng = np.random.default_rng(3)
    word = np.frombuffer(clip(5, 10), dtype="<i2").astype(np.float64)
    word *= 10 ** (-12 / 20) * 32768 / np.abs(word).max()
    room = rng.standard_normal(int(5.5 * RATE) + word.size) * 32768 * 10 ** (-40 / 20)
    at = int(3.0 * RATE)
    room[at : at + word.size] += word
    pcm = np.clip(room, -32768, 32767).astype("<i2").tobytes()
    capture = UtteranceCapture(end_silence_s=1.0, stall_s=0.1)
    for i in range(0, len(pcm), 640):
        capture.put(pcm[i : i + 640])
    capture.calibrate(0.5)
    heard = np.frombuffer(capture.next_utterance(timeout_s=10) or b"", dtype="<i2")
    assert word.size / RATE < heard.size / RATE < word.size / RATE + 1.0 + 0.3 + 0.2
    assert best_match(heard, np.clip(word, -32768, 32767).astype(np.int16)) > 0.9


def best_match(captured: np.ndarray, k: np.ndarray) -> float:
    """Peak normalised cross-correlation of ``k`` inside ``captured`` (1.0 = identical)."""
    c = captured.astype(np.float64)
    k = k.astype(np.float64)
    size = 1 << (len(c) + len(k) - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(c, size) * np.conj(np.fft.rfft(k, size)), size)[: len(c)]
    energy = np.concatenate([[0.0], np.cumsum(c**2)])
    ends = np.minimum(np.arange(len(c)) + len(k), len(c))
    score = corr / (np.sqrt(np.maximum(energy[ends] - energy[: len(c)], 1e-9)) * np.linalg.norm(k))
    return float(score.max())


def answer_when_it_has_spoken(server: PulseServer, quiet_s: float = 1.2) -> None:
    """Wait until the sink has carried the companion's voice and then ``quiet_s`` of silence
    (longer than the gaps between its lines, which reach 0.6 s here)."""
    deadline = time.monotonic() + 30
    start = server.mark()
    while time.monotonic() < deadline:
        heard = server.samples(start, settle=0).samples
        if np.abs(heard).max(initial=0) >= 300:
            break
        time.sleep(0.05)
    wait_for_silent_sink(server, quiet_s)


def room(rng: np.random.Generator, seconds: float) -> np.ndarray:
    return rng.standard_normal(int(seconds * RATE)) * 20


def tone(seconds: float) -> np.ndarray:
    return np.sin(2 * np.pi * 300 * np.arange(int(seconds * RATE)) / RATE) * 8000


class Timeline:
    """Chunks handed to an ``UtteranceCapture`` stamped as a microphone would: 20 ms apart."""

    def __init__(self, capture: UtteranceCapture) -> None:
        self.capture = capture
        self.t = 100.0

    def feed(self, x: np.ndarray) -> None:
        pcm = np.clip(x, -32768, 32767).astype("<i2").tobytes()
        for i in range(0, len(pcm), 640):
            self.capture.put(pcm[i : i + 640], at=self.t)
            self.t += 0.02


def test_an_answer_right_after_the_prompt_keeps_its_start() -> None:
    """Listening begins after the user has begun to answer: what arrived since the companion's
    last player ended (plus the settle time) is kept, so the word is whole; the prompt is not
    in it."""
    rng = np.random.default_rng(5)
    word = np.frombuffer(clip(9, 12), dtype="<i2").astype(np.float64)
    capture = UtteranceCapture(end_silence_s=1.0, stall_s=0.1)
    line = Timeline(capture)
    line.feed(room(rng, 0.5))
    capture.calibrate(0.5)
    line.feed(np.concatenate([room(rng, 0.5), tone(1.0) + room(rng, 1.0), room(rng, 0.3)]))
    heard_from = line.t  # its player ended 0.3 s ago
    line.feed(np.concatenate([room(rng, 0.05), word[: int(0.2 * RATE)]]))
    capture.drain(heard_from)
    line.feed(np.concatenate([word[int(0.2 * RATE) :], room(rng, 2.0)]))
    got = np.frombuffer(capture.next_utterance(timeout_s=5) or b"", dtype="<i2")
    assert best_match(got, word.astype(np.int16)) > 0.95
    assert got.size < word.size + int(1.0 * RATE) + int(0.4 * RATE)  # no prompt in it


def test_a_pause_in_the_prompt_does_not_let_its_end_into_the_recording() -> None:
    """The bug seen with the Piper voice: "Please say: one." has a pause before "one", and the
    speaker tells it has finished some 0.5 s after its sound ended. Listening from the first
    pause of the last 1.5 s heard (the old guess) took "one." for the start of the user's word
    and joined the word to it; only what came after the player's end is the user's."""
    rng = np.random.default_rng(7)
    word = np.frombuffer(clip(1, 12), dtype="<i2").astype(np.float64)
    capture = UtteranceCapture(end_silence_s=1.5, stall_s=0.1)
    line = Timeline(capture)
    line.feed(room(rng, 0.5))
    capture.calibrate(0.5)
    prompt = [tone(0.6), room(rng, 0.2), tone(0.3) * 0.5]  # "Please say:" (pause) "one."
    line.feed(np.concatenate([room(rng, 0.5), *prompt, room(rng, 0.25)]))
    heard_from = line.t + 0.05
    line.feed(room(rng, 0.5))  # the speaker says it is quiet only now
    capture.drain(heard_from)
    line.feed(np.concatenate([room(rng, 0.5), word, room(rng, 2.0)]))
    got = np.frombuffer(capture.next_utterance(timeout_s=5) or b"", dtype="<i2")
    assert best_match(got, word.astype(np.int16)) > 0.95
    assert got.size < word.size + int(1.5 * RATE) + int(0.4 * RATE)  # the word alone


class Playing(Lines):
    """A speaker whose last sound ended at ``ended`` (or that never finishes: ``None``)."""

    def __init__(self, ended: float | None) -> None:
        super().__init__()
        self.ended = ended
        self.stopped = False

    def wait_played(self, timeout: float) -> float | None:
        return self.ended

    def busy(self) -> bool:
        return self.ended is None and not self.stopped

    def stop(self) -> None:
        self.stopped = True


def test_listening_starts_from_the_end_of_the_companion_s_sound() -> None:
    clock = iter(range(1000, 2000)).__next__
    assert heard_from(Playing(ended=42.0), 0.3, 60, clock, lambda _s: None) == 42.3
    # captions only: not busy, so the user is heard from now on
    assert heard_from(Lines(), 0.3, 60, lambda: 7.0, lambda _s: None) == 7.3


def test_a_speaker_that_never_finishes_is_stopped_before_listening() -> None:
    """The wait is bounded: past the limit the companion is silenced (not recorded)."""
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    speaker = Playing(ended=None)
    at = heard_from(speaker, 0.3, 60, lambda: now[0], sleep)
    assert speaker.stopped and 60 <= now[0] < 61 and at == pytest.approx(now[0] + 0.3)


def test_the_queued_speaker_tells_when_its_player_ended(tmp_path: Path) -> None:
    """``wait_played`` gives the time the last player ended, not the later moment the
    speaker stops being busy (after its pause between lines)."""

    class Tone:
        def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
            wav.write_bytes(wav_bytes(bytes(int(0.2 * RATE) * 2)))

    player = [sys.executable, "-c", "import time; time.sleep(0.4)"]
    speaker = QueuedSpeaker(Tone(), player, lambda _d: None, pause=0.5)
    try:
        before = time.monotonic()
        speaker.say("Please say: one.")
        ended = speaker.wait_played(30)
        after = time.monotonic()
        assert ended is not None and before + 0.4 <= ended <= after - 0.45
        speaker.say("And again.")
        assert speaker.wait_played(0.05) is None  # still playing: the wait is bounded
    finally:
        speaker.close()


@pytest.mark.audio
def test_teaching_by_microphone_records_what_the_user_says(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    """`companion voice teach`, speaking aloud into the same room its microphone hears (the
    null sink and its monitor): each time it asks, a real recording is played once its voice
    has stopped. Kept are the user's whole words, not the companion's own voice, and they are
    learnt. (An answer that comes at once is tested on a stream of chunks above.)"""
    data = tmp_path / "data"
    spoken = {
        w: speech_data() / "digits" / f"{d}_nicolas_3.wav" for w, d in (("one", 1), ("two", 2))
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "voice", "teach", "--data-dir", str(data),
         "--words", "one,two", "--times", "1"],
        cwd=REPO, env=pulse_server.client_env(dict(os.environ)), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        for line in proc.stdout:
            lines.append(line.strip())
            for word, wav in spoken.items():
                if WORDS.text("voice.say_word", word=word) in line:
                    answer_when_it_has_spoken(pulse_server)
                    pulse_server.play(wav)
            assert time.monotonic() < deadline, lines
        assert proc.wait(timeout=60) == 0, (lines, proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
    profile = VoiceProfile(data / "voice")
    recs = profile.recordings()
    assert {w: len(fs) for w, fs in recs.items()} == {"one": 1, "two": 1}, lines
    assert profile.up_to_date()
    for word, wav in spoken.items():
        kept = np.frombuffer(wavfile.read(recs[word][0], RATE), dtype="<i2")
        said = np.frombuffer(wavfile.read(wav, RATE), dtype="<i2")
        assert best_match(kept, said) > 0.8, word
        assert kept.size < said.size + int(0.6 * RATE), word  # nothing of its own voice
    assert WORDS.text("voice.heard_nothing") not in " ".join(lines)
    assert any(WORDS.text("voice.done") in line for line in lines)


@pytest.mark.audio
@pytest.mark.timeout(600)
def test_keys_skip_and_stop_while_the_microphone_listens(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    """In a real terminal: the first word is said into the microphone, the second skipped with
    n, and s stops before the third; the one recording is kept and learnt."""
    data = tmp_path / "data"
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "voice", "teach", "--data-dir", str(data),
         "--words", "one,two,three", "--times", "1", "--no-voice"],
        stdin=follower, stdout=follower, stderr=follower, cwd=REPO, close_fds=True,
        env=pulse_server.client_env(dict(os.environ)),
    )  # fmt: skip
    os.close(follower)
    # Each wait ends when the text is shown; the bound is generous because on a loaded machine
    # the start (loading the recognisers) and the learning at the end can take longer than 30 s.
    term = Screen(leader)
    try:
        term.until("Keys: SPACE/ENTER or n skip this word", timeout=WAIT_S)
        term.until("Please say: one.", timeout=WAIT_S)
        time.sleep(1.0)
        pulse_server.play(speech_data() / "digits" / "1_nicolas_4.wav")
        term.until("Please say: two.", timeout=WAIT_S)
        time.sleep(0.5)
        os.write(leader, b"n")
        term.until("Let's leave two for another time.", timeout=WAIT_S)
        term.until("Please say: three.", timeout=WAIT_S)
        time.sleep(0.5)
        os.write(leader, b"s")
        term.until("We stop here.", timeout=WAIT_S)
        screen = term.until("skipped: two", timeout=WAIT_S)
        assert proc.wait(timeout=WAIT_S) == 0, screen
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    profile = VoiceProfile(data / "voice")
    assert list(profile.recordings()) == ["one"] and profile.up_to_date()
