"""Over its own voice with the echo cancelled (issue 18): how far the own-voice rule relaxes,
and where its voice is in the audio.

Pure-logic table tests of ``own_voice.word_over_own_voice`` with fixed opinions, and the
own voice's timing from a real ``EchoFilter`` over a ``PlaybackTap``; the live counterpart is
tests/test_live_stop.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from companion.audio.cancellers import make_canceller
from companion.audio.echo_cancel import EchoFilter
from companion.audio.playback_tap import RATE, PlaybackTap
from companion.classifier.combine_opinions import Verdict
from companion.listen import own_voice
from companion.listen.microphone_source import OwnVoice
from companion.listen.settings import ListenerSettings
from tests.test_listen_decide import Opinions, S, live

CANCELLED = dataclasses.replace(S, echo_cancelled=True)


@pytest.mark.parametrize(
    ("settings", "classifier", "found"),
    [
        (CANCELLED, {"stop": 0.97}, Verdict("stop", 0.97)),  # the reader heard it damaged
        (CANCELLED, {"stop": 0.95}, Verdict("stop", 0.95)),
        (CANCELLED, {"stop": 0.9}, None),  # not surely enough: its residual reached 0.86
        (S, {"stop": 0.9}, None),  # its voice still in the microphone: the reader decides
        (CANCELLED, {"go": 0.95}, None),  # not a word heard over its voice
    ],
)
def test_stop_over_its_cancelled_voice_needs_the_classifier_only(
    settings: ListenerSettings, classifier: dict[str, float], found: Verdict | None
) -> None:
    lv = live("counting")
    opinions = Opinions(classifier, whole={}, asked={})  # the reader gives it nothing
    candidates = own_voice.candidates(lv.table, "three palm up")
    assert own_voice.word_over_own_voice(lv, candidates, opinions, settings) == found


def test_it_hurts_still_needs_the_reader() -> None:
    lv = live("counting")
    hurts = next(p for p, parsed in lv.table.items() if parsed.command.name == "HURTS")
    opinions = Opinions({hurts: 0.99}, whole={}, asked={})
    candidates = own_voice.candidates(lv.table, "three palm up")
    assert own_voice.word_over_own_voice(lv, candidates, opinions, CANCELLED) is None


@pytest.mark.parametrize(
    ("text", "confidence", "read", "found"),
    [
        ("it hurts", 1.0, 0.35, Verdict("it hurts", 0.35)),  # both passes, and the reader
        ("it hurts", 1.0, 0.2, None),  # its own lines were once named so and read 0.16-0.2
        ("it hurts", 0.45, 0.47, None),  # the closed pass alone names it for any sound
        ("it hurts", 1.0, 0.7, Verdict("it hurts", 0.7)),  # the reader alone, as anywhere
    ],
)
def test_it_hurts_over_its_voice_needs_both_recogniser_passes_and_the_reader(
    text: str, confidence: float, read: float, found: Verdict | None
) -> None:
    # live (benchmark_live --hurts-share, 2026-12-05): over its counting flite's "it hurts"
    # was named by both passes at 1.00 and read 0.14-0.47 by the reader from the last second;
    # its own intro line "... that still counts" was named "that hurts" at 1.00 by both passes
    lv = live("counting")
    opinions = Opinions({"other": 1.0}, whole={}, asked={text: read})
    candidates = own_voice.candidates(lv.table, "carry on")
    got = own_voice.judge_over_own_voice(
        text, confidence, lv, candidates, opinions, None, lambda: None, CANCELLED
    )
    assert got == found


def test_the_reader_hears_it_from_where_the_recogniser_heard_it_begin() -> None:
    # over its voice the utterance's last second may begin with its words, and a transcript
    # must begin with the phrase
    lv = live("counting")
    opinions = Opinions({"other": 1.0}, whole={}, asked={"it hurts": 0.9})
    candidates = own_voice.candidates(lv.table, "carry on")
    got = own_voice.judge_over_own_voice(
        "it hurts", 1.0, lv, candidates, opinions, None, lambda: None, CANCELLED, start_s=1.3
    )
    assert got == Verdict("it hurts", 0.9)
    assert opinions.calls == ["read from 1.3 hurts,it hurts,ouch,pain,that hurts"]


class _Speaker:
    """Busy while told so; plays nothing itself."""

    busy_now = True

    def busy(self) -> bool:
        return self.busy_now


def _own_voice_by_block(
    tap: PlaybackTap, speaker: _Speaker, seconds: float, busy_from: float | None = None
) -> list[bool]:
    """Whether ``OwnVoice.heard`` names the companion's voice in each 20 ms microphone block
    (silence captured at monotonic 100.0 on, in step with the tap's clock); ``busy_from``:
    the speaker is busy from then on (s after 100.0), not before."""
    own = OwnVoice(speaker)  # type: ignore[arg-type]
    own.said("3. Palm up.")
    filt = EchoFilter(tap, make_canceller("subtract"))
    block = RATE // 50
    out = []
    for k in range(round(seconds * 50)):
        end = 100.0 + (k + 1) / 50
        if busy_from is not None:
            speaker.busy_now = end - 100.0 > busy_from
        filt(np.zeros(block, dtype="<i2").tobytes(), at=end, captured=end)
        out.append(own.heard(filt) is not None)
    return out


def test_its_voice_is_where_its_sound_was_played_not_while_the_speaker_is_busy() -> None:
    tap = PlaybackTap()
    rng = np.random.default_rng(1)
    sound = (rng.standard_normal(RATE) * 3000).astype(np.int16)
    tap.played(sound[: RATE // 5], RATE, 100.1)  # a line from 100.1 to 100.3 s
    tap.played(sound, RATE, 101.0)  # the next from 101.0 to 102.0 s
    heard = _own_voice_by_block(tap, _Speaker(), 4.5, busy_from=0.1)  # then busy all along
    at = [k / 50 for k, h in enumerate(heard) if h]  # block starts, s after 100.0
    assert 0.06 <= at[0] <= 0.1  # its sound, handed 30 ms ahead of its echo
    first = [t for t in at if t < 0.5]
    assert first[-1] <= 0.32  # its echo 30 ms more
    second = [t for t in at if 0.5 < t < 2.5]
    assert 0.96 <= second[0] <= 1.0 and second[-1] <= 2.02
    assert len(second) == round((second[-1] - second[0]) * 50) + 1  # no gap inside a line
    assert not any(0.32 <= t <= 0.94 or 2.02 <= t <= 3.9 for t in at)  # busy, but quiet
    assert at[-1] > 4.0  # busy 2 s with nothing played: a line not yet heard, or untapped


def test_a_speaker_that_hands_the_tap_nothing_is_its_voice_while_busy() -> None:
    speaker = _Speaker()
    assert all(_own_voice_by_block(PlaybackTap(), speaker, 1.0))
    speaker.busy_now = False
    assert not any(_own_voice_by_block(PlaybackTap(), speaker, 1.0))


def test_lines_said_before_a_silence_do_not_hide_a_word_said_over_the_next_line() -> None:
    """Its reply to "it hurts" ("Stop now. Rest your hand.") is over once its sound has ended
    and nothing is queued: the next line alone is its own voice, so "stop" said over it is not
    taken for the companion's "Stop" (the listener used to compare with its last four lines
    for as long as any of its voice was heard: 10 of 23 missed stops in the live benchmark)."""
    tap = PlaybackTap()
    sound = (np.random.default_rng(2).standard_normal(RATE) * 3000).astype(np.int16)
    tap.played(sound[: RATE // 2], RATE, 100.1)  # the reply, 100.1 to 100.6 s
    tap.played(sound, RATE, 102.0)  # the next line, 102.0 to 103.0 s
    speaker = _Speaker()
    own = OwnVoice(speaker)  # type: ignore[arg-type]
    own.said("Stop now. Rest your hand.")
    filt = EchoFilter(tap, make_canceller("subtract"))
    heard = []
    for k in range(150):
        end = 100.0 + (k + 1) / 50
        speaker.busy_now = end < 100.62 or end > 101.9
        if k == 95:  # at 101.92 s: handed over just before it is played
            own.said("3. Palm up.")
        filt(np.zeros(RATE // 50, dtype="<i2").tobytes(), at=end, captured=end)
        heard.append(own.heard(filt))
    assert heard[15] == "Stop now. Rest your hand."  # while the reply sounds
    assert heard[60] is None  # quiet between them
    assert heard[125] == "3. Palm up."  # the next line only
