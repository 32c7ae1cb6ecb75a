"""Which of its lines the companion is saying under the audio being judged (issue 18): the
playback tap names each line's sound, the echo filter the lines under the audio it returns,
and the listener judges an utterance against every line whose sound was in it, not against the
last lines queued.

Real ``PlaybackTap``, ``EchoFilter`` (the subtracting canceller), ``OwnVoice`` and ``Listener``
on the monotonic clock of the tests; the recogniser is scripted (it names "stop" for any sound),
as in tests/test_listen_listener.py, so that only the own-voice rule decides."""

from __future__ import annotations

import numpy as np
import pytest

from companion.audio.cancellers import make_canceller
from companion.audio.echo_cancel import ECHO_TAIL_S, EchoFilter
from companion.audio.playback_tap import RATE, PlaybackTap
from companion.commands import CONTEXTS, Command, Context, vocabulary
from companion.listen.listener import Listener
from companion.listen.microphone_source import listener_settings
from companion.listen.own_voice_lines import OwnVoice
from tests.test_listen_listener import ScriptedEngine

T0 = 100.0
"""The monotonic time of the first microphone sample here."""
BLOCK = RATE // 50
"""One microphone block (20 ms)."""


def sound(seconds: float, seed: int = 0) -> np.ndarray:
    """Speech-loud noise (-20 dBFS), ``seconds`` long at ``RATE``."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(round(seconds * RATE)) * 3000).astype(np.int16)


class Speaker:
    """Busy while told so; plays nothing itself."""

    busy_now = True

    def busy(self) -> bool:
        return self.busy_now


# ---- the tap ---------------------------------------------------------------------------------


def test_the_tap_names_each_line_it_played_in_order() -> None:
    tap = PlaybackTap()
    a, b = sound(0.5, 1), sound(0.5, 2)
    for k in range(0, len(a), 320):  # one line block by block: one stretch
        tap.played(a[k : k + 320], RATE, 10.0 + k / RATE, "Stop now.")
    tap.played(b, RATE, 10.5, "How bad is the pain?")  # straight after: a stretch of its own
    assert tap.labels(10.1, 10.2) == ["Stop now."]
    assert tap.labels(10.4, 10.6) == ["Stop now.", "How bad is the pain?"]
    assert tap.labels(10.5, 10.9) == ["How bad is the pain?"]
    assert tap.labels(9.0, 9.99) == [] and tap.labels(11.0, 12.0) == []
    np.testing.assert_array_equal(tap.reference(11.0, RATE), np.concatenate([a, b]))  # joined


def test_a_block_of_the_same_line_joins_it_and_an_unlabelled_sound_is_named_so() -> None:
    tap = PlaybackTap()
    tap.played(sound(0.2), RATE, 10.0, "3.")
    tap.played(sound(0.2), RATE, 10.2, "3.")  # its next block
    tap.played(sound(0.2), RATE, 11.0)  # a player not told what it plays
    assert tap.labels(10.0, 10.4) == ["3."]
    assert tap.labels(10.1, 11.1) == ["3.", ""]
    assert tap.timelines(10.0, 11.2) == {0: 10.0}


def test_a_line_cut_short_is_not_named_after_the_cut() -> None:
    tap = PlaybackTap()
    tap.played(sound(2.0), RATE, 10.0, "Rest for 12 seconds.")
    tap.cut(10.5)
    assert tap.labels(10.4, 10.5) == ["Rest for 12 seconds."]
    assert tap.labels(10.5, 12.0) == []
    tap.played(sound(0.2), RATE, 10.5, "Stopped.")  # where the cut line ended: not joined
    assert tap.labels(10.45, 10.6) == ["Rest for 12 seconds.", "Stopped."]
    assert tap.labels(10.55, 10.6) == ["Stopped."]


# ---- the echo filter and the own voice ---------------------------------------------------------


def by_block(filt: EchoFilter, seconds: float, each) -> list:  # type: ignore[no-untyped-def]
    """Silence captured from ``T0`` on in 20 ms blocks through ``filt``; ``each(end)`` after
    every block (``end``: its capture time)."""
    out = []
    for k in range(round(seconds * 50)):
        end = T0 + (k + 1) / 50
        filt(np.zeros(BLOCK, dtype="<i2").tobytes(), at=end, captured=end)
        out.append(each(end))
    return out


def test_the_echo_filter_names_the_lines_under_its_audio_and_their_echo() -> None:
    tap = PlaybackTap()
    tap.played(sound(0.5), RATE, T0 + 0.1, "Stop now. Rest your hand.")  # 100.1-100.6
    tap.played(sound(1.0), RATE, T0 + 1.5, "How bad is the pain?")  # 101.5-102.5
    filt = EchoFilter(tap, make_canceller("subtract"))
    heard = by_block(filt, 3.0, lambda end: filt.labels())
    at = {round(k / 50, 2): h for k, h in enumerate(heard)}  # by each block's start (s from T0)
    assert at[0.0] == [] and at[0.3] == ["Stop now. Rest your hand."]
    # it ended at 0.6 s: its echo is heard for ECHO_TAIL_S more, and each block's reference is
    # taken LEAD_S ahead of it, so the echo of its last sound ends in the block from ~0.77 s
    assert EchoFilter.LEAD_S == 0.03 and ECHO_TAIL_S == 0.2
    assert at[0.74] == ["Stop now. Rest your hand."]
    assert at[0.82] == []
    assert at[1.0] == [] and at[2.0] == ["How bad is the pain?"]


def test_its_voice_is_the_line_being_heard_not_the_lines_queued_before_it() -> None:
    """The question is queued straight after its reply to "it hurts", so the speaker is busy
    all along; its voice is the reply while the reply sounds, then nothing, then the question
    alone (it used to be all four last lines queued, as long as it was busy)."""
    tap = PlaybackTap()
    tap.played(sound(0.5), RATE, T0 + 0.1, "Stop now. Rest your hand.")
    tap.played(sound(1.0), RATE, T0 + 1.5, "How bad is the pain? Say a number.")
    own = OwnVoice(Speaker())  # type: ignore[arg-type]
    own.said("Stop now. Rest your hand.")
    own.said("How bad is the pain? Say a number.")
    filt = EchoFilter(tap, make_canceller("subtract"))
    heard = by_block(filt, 3.0, lambda end: own.heard(filt))
    assert heard[15] == "Stop now. Rest your hand."
    assert heard[50] is None  # busy, but quiet
    assert heard[100] == "How bad is the pain? Say a number."


def test_sound_the_tap_cannot_name_is_taken_for_the_lines_queued() -> None:
    tap = PlaybackTap()
    tap.played(sound(1.0), RATE, T0 + 0.1)  # played by something that did not say what
    own = OwnVoice(Speaker())  # type: ignore[arg-type]
    own.said("3. Palm up.")
    filt = EchoFilter(tap, make_canceller("subtract"))
    assert by_block(filt, 0.6, lambda end: own.heard(filt))[-1] == "3. Palm up."


# ---- the listener ------------------------------------------------------------------------------


def session(
    lines: list[tuple[float, float, str]], user: tuple[float, float], context: str
) -> tuple[list[Command], list[tuple[str, frozenset[str]]]]:
    """The companion plays ``lines`` ((start, seconds, text) after ``T0``), all queued at once
    (its speaker busy until the last has ended), while the user says a word (a loud sound)
    from ``user[0]`` to ``user[1]``; the microphone hears the user only (its own voice taken
    out). Block by block as ``VoiceSource`` runs them: echo filter, own voice, listener.
    Returns the commands decided, and what the listener took the companion to be saying
    during the word, with the phrases it listened for over that."""
    tap = PlaybackTap()
    speaker = Speaker()
    own = OwnVoice(speaker)  # type: ignore[arg-type]
    for k, (start, seconds, text) in enumerate(lines):
        own.said(text)
        tap.played(sound(seconds, k + 1), RATE, T0 + start, text)
    ends = max(start + seconds for start, seconds, _ in lines)
    filt = EchoFilter(tap, make_canceller("subtract"))
    lis = Listener(ScriptedEngine("stop"), vocabulary(), settings=listener_settings(True))
    lis.set_context(Context(context), CONTEXTS[Context(context)])
    word = sound(user[1] - user[0], 9)
    decided, during = [], []
    for k in range(round((ends + 2.0) * 50)):
        t = k / 50
        speaker.busy_now = t < ends
        lo = round((t - user[0]) * RATE)
        block = np.zeros(BLOCK, dtype=np.int16)
        for i in range(BLOCK):
            if 0 <= lo + i < len(word):
                block[i] = word[lo + i]
        end = T0 + t + 1 / 50
        pcm = filt(block.tobytes(), at=end, captured=end)
        lis.own_speech(own.heard(filt))
        decided += [d.command for d in lis.process(pcm)]
        if lis.segmenter.in_speech:
            seen = (lis._own.text, lis._own.candidates(lis._table))
            during += [seen] if seen not in during else []
    return decided, during


def test_stop_over_the_question_after_its_reply_to_it_hurts_is_heard() -> None:
    """Live, 10 of 23 missed stops: "Stop now. Rest your hand." was still taken for what it
    was saying over the question queued after it, so "stop" was not even listened for."""
    lines = [
        (0.1, 1.5, "Stop now. Rest your hand."),
        (2.0, 3.0, "How bad is the pain? Say a number."),
    ]
    decided, during = session(lines, (3.0, 3.4), "number")
    assert decided == [Command.STOP]
    [(text, candidates)] = during
    assert text == "how bad is the pain say a number"
    assert "stop" in candidates and "pain" not in candidates


@pytest.mark.parametrize(
    ("lines", "user", "said"),
    [
        (
            [(0.1, 1.0, "3. Palm up."), (1.5, 2.0, "Slowly. Stop before it hurts.")],
            (2.0, 2.4),
            "slowly stop before it hurts",
        ),
        (  # said as one line ends and the next begins: both are in the utterance
            [(0.1, 1.5, "Slowly. Stop before it hurts."), (1.62, 1.0, "1. Palm up.")],
            (1.4, 1.9),
            "slowly stop before it hurts 1 palm up",
        ),
    ],
)
def test_stop_over_a_line_that_says_stop_is_not_taken(
    lines: list[tuple[float, float, str]], user: tuple[float, float], said: str
) -> None:
    decided, during = session(lines, user, "counting")
    assert decided == []
    text, candidates = during[-1]
    assert text == said
    assert not {"stop", "it hurts"} & candidates


def test_stop_over_counting_after_a_line_that_says_stop_is_heard() -> None:
    lines = [(0.1, 1.5, "Slowly. Stop before it hurts."), (2.0, 1.0, "1. Palm up.")]
    decided, during = session(lines, (2.3, 2.7), "counting")
    assert decided == [Command.STOP]
    assert [text for text, _ in during] == ["1 palm up"]
