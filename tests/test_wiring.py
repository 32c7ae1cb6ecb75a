"""The composition root: the reminder's speaker tells its microphone what is being said, and the
session child the daemon starts is bounded."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from companion import commands, prompts, routine, wiring
from companion.listen.microphone_source import VoiceSource
from companion.reminders import session_child
from companion.speech.captions import CaptionSink, SilentSpeaker
from tests.pulse import PulseServer

LINE = "Time for your hand exercises. Say start, or later."


class Speaking(SilentSpeaker):
    """Captions only, and always busy: as if each line were still being said aloud."""

    def busy(self) -> bool:
        return True


@pytest.mark.audio
def test_a_reminder_tells_its_microphone_what_it_is_saying(pulse_server: PulseServer) -> None:
    """Before, only a session wrapped its speaker: in a reminder the listener never learnt
    what the companion was saying, so its own voice could be taken for an answer."""
    import sounddevice

    sounddevice._terminate()  # PortAudio reads the ALSA setup (the private server) afresh
    sounddevice._initialize()
    chosen = routine.from_text('[listening]\nengine = "pocketsphinx"\nreader = false\n')
    vocab = commands.vocabulary(chosen.language)
    raw = Speaking(CaptionSink(io.StringIO()))
    problems: list[str] = []
    answers = wiring.answer_sources(chosen, vocab, raw, None, True, problems.append)
    assert problems == []
    (mic,) = [s for s in answers.sources if isinstance(s, VoiceSource)]
    try:
        assert mic.own.now() == ""  # the microphone listens; nothing said yet
        answers.speaker.say(LINE)
        assert mic.own.now() == LINE
    finally:
        for source in answers.sources:
            source.close()


@pytest.mark.audio
def test_a_session_with_a_microphone_speaks_through_it(pulse_server: PulseServer) -> None:
    import sounddevice

    sounddevice._terminate()
    sounddevice._initialize()
    chosen = routine.from_text('[listening]\nengine = "pocketsphinx"\nreader = false\n')
    raw = Speaking(CaptionSink(io.StringIO()))
    problems = wiring.DeviceProblems()
    told: list[object] = []
    problems.connect(told.append)
    inputs = wiring.session_sources(
        chosen,
        commands.vocabulary("en"),
        prompts.load("en"),
        raw,
        wiring.SessionInputs(),
        wiring.Hearing(engine="pocketsphinx"),
        problems,
    )
    try:
        (mic,) = [s for s in inputs.sources if isinstance(s, VoiceSource)]
        inputs.speaker.say(LINE)
        assert mic.own.now() == LINE
        assert told == []
    finally:
        for source in inputs.sources:
            source.close()


def test_a_scripted_session_has_no_microphone() -> None:
    raw = SilentSpeaker(CaptionSink(io.StringIO()))
    inputs = wiring.session_sources(
        routine.default(),
        commands.vocabulary("en"),
        prompts.load("en"),
        raw,
        wiring.SessionInputs(script=["yes"]),
        wiring.Hearing(),
        wiring.DeviceProblems(),
    )
    assert len(inputs.sources) == 1 and inputs.speaker is raw


def test_without_a_microphone_the_speaker_is_handed_back_as_it_is() -> None:
    chosen = routine.from_text("[input]\nvoice = false\nkeyboard = true\n")
    raw = SilentSpeaker(CaptionSink(io.StringIO()))
    answers = wiring.answer_sources(
        chosen, commands.vocabulary("en"), raw, None, True, lambda _: None
    )
    assert answers.speaker is raw


def test_the_session_child_s_exit_status_is_returned() -> None:
    assert session_child.run_child([sys.executable, "-c", "raise SystemExit(3)"]) == 3
    assert session_child.run_child([str(Path("/no/such/program"))]) is None


def test_a_stuck_session_child_is_stopped_at_its_limit() -> None:
    """Before, the daemon waited for the session child for ever: a hung session held back
    every later reminder of the day."""
    start = time.monotonic()
    code = session_child.run_child(
        [sys.executable, "-c", "import time; time.sleep(120)"], limit_s=2.0
    )
    assert code == -15  # asked to stop (SIGTERM), and it did
    assert time.monotonic() - start < 15


def test_a_child_that_will_not_stop_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_child, "STOP_WAIT_S", 1.0)
    deaf = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)"
    start = time.monotonic()
    code = session_child.run_child([sys.executable, "-c", deaf], limit_s=3.0)
    assert code == -9
    assert time.monotonic() - start < 20
