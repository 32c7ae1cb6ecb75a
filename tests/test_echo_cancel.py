"""The playback tap and the echo canceller, on real recordings (issue 18)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from companion.audio.cancellers import SubtractCanceller, make_canceller
from companion.audio.echo_cancel import DelayEstimator, EchoFilter, best_lag
from companion.audio.playback_tap import RATE, PlaybackTap
from companion.speech.player import default_player
from companion.speech.queued import QueuedSpeaker
from tests.conftest import speech_data
from tests.pulse import PulseServer, read_wav

T0 = 500.0
"""The monotonic time of the first microphone sample in these tests."""


def test_the_tap_gives_what_was_played_at_each_moment() -> None:
    tap = PlaybackTap()
    line = (np.arange(1600) % 100).astype(np.int16) + 1
    tap.played(line, RATE, start=10.0)
    assert not tap.reference(10.0, 160).any()  # before it started
    np.testing.assert_array_equal(tap.reference(10.01, 160), line[:160])
    np.testing.assert_array_equal(tap.reference(10.1, 320), line[1280:1600])
    tail = tap.reference(10.11, 320)  # its last 10 ms, then silence
    np.testing.assert_array_equal(tail[:160], line[1440:])
    assert not tail[160:].any()
    assert tap.playing(10.05, 10.06) and not tap.playing(10.2, 11.0)


def test_a_line_cut_short_is_cut_in_the_tap_and_other_rates_are_converted() -> None:
    tap = PlaybackTap()
    tap.played(np.full(22050, 1000, dtype=np.int16), 22050, start=1.0)  # 1 s at 22.05 kHz
    assert tap.playing(1.9, 1.95)
    tap.cut(1.5)
    assert tap.playing(1.4, 1.45) and not tap.playing(1.5, 2.5)
    assert abs(int(tap.reference(1.3, 160)[80]) - 1000) <= 1


def test_the_tap_is_safe_to_write_while_it_is_read() -> None:
    tap = PlaybackTap(keep_s=1.0)
    stop = threading.Event()

    def write() -> None:
        t = 0.0
        while not stop.is_set():
            tap.played(np.ones(800, dtype=np.int16), RATE, t)
            t += 0.05

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for i in range(2000):
            assert len(tap.reference(i * 0.001, 160)) == 160
    finally:
        stop.set()
        writer.join(5)


def test_best_lag_finds_the_delay() -> None:
    rng = np.random.default_rng(1)
    ref = rng.normal(size=8000 + 4000)
    near = ref[4000 - 1234 : 4000 - 1234 + 8000]  # ends 1234 samples before ref ends
    lag, score = best_lag(near, ref, 4000)
    assert lag == 1234 and score > 0.99


def _voice(name: str, n: int = 0) -> np.ndarray:
    files = sorted((speech_data() / "commands" / name).glob("*.wav"))
    return read_wav(files[n]).samples.astype(np.float64)


def _room(delay_s: float, seconds: float, gain_db: float, jitter_s: float = 0.02):
    """The companion says real words (shared recordings) every 1.2 s into a tap; the microphone
    hears them ``delay_s`` later through a short reverberant path, with "stop" said over the
    third at ``gain_db`` relative to them. Returns (tap, mic, stop-alone, word span)."""
    n = int(seconds * RATE)
    tap = PlaybackTap()
    played = np.zeros(n)
    rng = np.random.default_rng(7)
    words = [_voice(w, k) for k in range(3) for w in ("left", "down", "right")]
    at, k = int(0.3 * RATE), 0
    while at < n - RATE:
        x = words[k % len(words)]
        played[at : at + len(x)] += x
        start = T0 + at / RATE + rng.uniform(-jitter_s, jitter_s)  # the player's start
        tap.played(x.astype(np.int16), RATE, start)
        at += int(1.2 * RATE)
        k += 1
    ir = np.zeros(int(0.04 * RATE))
    ir[0], ir[37], ir[211] = 0.8, 0.3, -0.15
    echo = np.convolve(played, ir)[:n]
    d = int(delay_s * RATE)
    echo = np.concatenate([np.zeros(d), echo[: n - d]])
    stop = np.zeros(n)
    word = _voice("stop")
    word *= 10 ** (gain_db / 20) * np.std(echo[echo != 0]) / np.std(word[np.abs(word) > 300])
    begin = int(2.6 * RATE) + d
    stop[begin : begin + len(word)] = word
    mic = np.clip(np.rint(echo + stop + rng.normal(0, 3, n)), -32768, 32767).astype(np.int16)
    return tap, mic, stop, (begin, begin + len(word))


def _cleaned(filt: EchoFilter, mic: np.ndarray) -> np.ndarray:
    out = []
    for s in range(0, len(mic), 320):  # 20 ms blocks, stamped with their capture time
        out.append(np.frombuffer(filt(mic[s : s + 320].tobytes(), T0 + (s + 320) / RATE), "<i2"))
    got = np.concatenate(out).astype(np.float64)
    return np.concatenate([got, np.zeros(len(mic) - len(got))])


def _db(x: np.ndarray) -> float:
    return float(10 * np.log10(max(float(np.sum(x**2)), 1e-9)))


@pytest.mark.parametrize("gain_db", [0.0, -10.0])
def test_the_companion_s_voice_is_taken_out_and_stop_is_kept(gain_db: float) -> None:
    tap, mic, stop, (a, b) = _room(delay_s=0.12, seconds=8.0, gain_db=gain_db)
    filt = EchoFilter(tap, make_canceller("webrtc"))
    out = _cleaned(filt, mic)
    echo_only = np.ones(len(mic), dtype=bool)
    echo_only[: 4 * RATE] = False  # after the canceller has met a few lines
    echo_only[a - RATE // 10 : b + RATE // 2] = False
    reduction = _db(mic[echo_only].astype(np.float64)) - _db(out[echo_only])
    assert reduction >= 15, f"echo reduced by {reduction:.1f} dB"
    assert filt.delay.found and abs(filt.delay.delay_s - 0.12) < 0.03
    # under the word: what is not the word (the echo) is lower than before, the word stays
    word = stop[a:b]
    before = _db(word) - _db(mic[a:b] - word)
    shift = max(range(0, 241, 8), key=lambda s: float(word @ out[a + s : b + s]))  # its latency
    kept = out[a + shift : b + shift]
    gain = float(word @ kept) / float(word @ word)
    after = _db(gain * word) - _db(kept - gain * word)
    assert gain > 0.3, f"the word was cut to {gain:.2f} of its level"
    assert after > before + 3, f"word over the rest: {before:.1f} dB before, {after:.1f} after"


def test_without_a_canceller_nothing_is_taken_out() -> None:
    """The baseline that the test above beats: the raw microphone keeps all the echo."""
    tap, mic, _, _ = _room(delay_s=0.12, seconds=4.0, gain_db=0.0)
    out = _cleaned(EchoFilter(tap, SubtractCanceller(), DelayEstimator(min_correlation=2)), mic)
    assert _db(out) > _db(mic.astype(np.float64)) - 3


class _RecordingSynth:
    """Writes a shared recording of "left" for every line (a real voice, no synthesis)."""

    def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
        src = sorted((speech_data() / "commands" / "left").glob("*.wav"))[0]
        wav.write_bytes(src.read_bytes())


@pytest.mark.audio
def test_the_speaker_hands_what_it_plays_to_the_tap(pulse_server: PulseServer) -> None:
    """Through the real player into the private sound server: each line reaches the tap with
    its start, and a line cut short by a beat line is cut in the tap too."""
    tap = PlaybackTap()
    speaker = QueuedSpeaker(
        _RecordingSynth(), default_player(), lambda d: pytest.fail(d), pause=0.0, tap=tap
    )
    try:
        before = time.monotonic()
        speaker.say("one")
        assert speaker.wait(15)
        after = time.monotonic()
        word = read_wav(sorted((speech_data() / "commands" / "left").glob("*.wav"))[0]).samples
        heard = tap.reference(after, int((after - before) * RATE) + 1)
        assert np.sum(heard.astype(np.float64) ** 2) == np.sum(word.astype(np.float64) ** 2)
        assert tap.labels(before, after) == ["one"]  # named as the line it is
        speaker.say("two")
        time.sleep(0.4)
        speaker.stop()  # the player is killed: nothing of the line sounds after this
        stopped = time.monotonic()
        assert speaker.wait(5)
        assert tap.playing(stopped - 0.3, stopped) and not tap.playing(stopped + 0.01, stopped + 2)
        assert tap.labels(stopped - 0.3, stopped + 2) == ["two"]
    finally:
        speaker.close(5)


@pytest.mark.parametrize("delay_s", [0.12, -0.08])
def test_the_delay_is_found_even_when_the_sound_began_before_its_start_was_noted(
    delay_s: float,
) -> None:
    tap, mic, _, _ = _room(delay_s=0.0, seconds=4.0, gain_db=-60.0, jitter_s=0.0)
    shifted = PlaybackTap()  # the same lines, noted ``delay_s`` before they sounded
    for p in tap._lines:  # noqa: SLF001 - a test rebuilding the tap's lines
        shifted.played(p.samples.astype(np.int16), RATE, p.start - delay_s)
    filt = EchoFilter(shifted, make_canceller("webrtc"))
    _cleaned(filt, mic)
    assert filt.delay.found and abs(filt.delay.delay_s - delay_s) < 0.005
