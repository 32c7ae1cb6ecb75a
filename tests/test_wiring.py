"""The composition root: the reminder's speaker tells its microphone what is being said, and the
session child the daemon starts is bounded."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest

from companion import commands, routine, wiring
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
