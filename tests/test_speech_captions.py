"""Captions: every line shown exactly once, readable on a terminal, plain in a pipe; the factory."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from companion.errors import BadInputError, ModelError
from companion.speech import CaptionedSpeaker, CaptionSink, SilentSpeaker, make_speaker, tts


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_captions_are_one_line_each_with_whitespace_tidied() -> None:
    out = io.StringIO()
    sink = CaptionSink(out)
    assert not sink.fancy
    sink.show("Open your left hand.")
    sink.show("  Now   close\nit. ")
    sink.show("   ")
    assert out.getvalue() == "Open your left hand.\nNow close it.\n"


def test_terminal_captions_are_boxed_bold_and_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "40")
    out = FakeTerminal()
    sink = CaptionSink(out)
    assert sink.fancy
    text = "Squeeze the ball gently and hold it for a count of five, then let go"
    sink.show(text)
    rows = out.getvalue().split("\n")
    assert rows[0] == ""  # a blank line before each caption
    assert rows[1].startswith("┏") and rows[-2].startswith("┗")
    body = rows[2:-2]
    assert len(body) >= 2  # wrapped to the terminal
    assert all(r.startswith("┃ \033[1m") and r.endswith("\033[0m ┃") for r in body)
    assert max(len(r) for r in rows) <= 40 + len("\033[1m\033[0m")
    words = " ".join(r[2:-2].replace("\033[1m", "").replace("\033[0m", "") for r in body)
    assert " ".join(words.split()) == text


def test_no_color_keeps_the_box_without_escape_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = FakeTerminal()
    CaptionSink(out).show("Relax")
    assert "\033" not in out.getvalue()
    assert "┃ Relax ┃" in out.getvalue()


def test_a_terminal_without_unicode_gets_a_plain_ascii_box(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(out, "isatty", lambda: True, raising=False)
    sink = CaptionSink(out)
    sink.show("Rest now")
    assert raw.getvalue().decode("ascii").split("\n") == [
        "",
        "+----------+",
        "| Rest now |",
        "+----------+",
        "",
    ]
    sink.show("Rest – now")  # a character the terminal cannot show is replaced, not lost
    assert "| Rest ? now |" in raw.getvalue().decode("ascii")


def test_a_closed_stream_does_not_stop_the_session() -> None:
    out = io.StringIO()
    sink = CaptionSink(out)
    out.close()
    sink.show("Still going")  # no exception


def test_captions_only_speaker_shows_every_line_once_and_is_never_busy() -> None:
    out = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(False, 150, 1.0, "", CaptionSink(out), problems.append)
    assert isinstance(speaker, SilentSpeaker)
    lines = ["Exercise 1 of 3", "one", "two", "Well done"]
    for i, line in enumerate(lines):
        speaker.say(line, beat=i in (1, 2))
        assert not speaker.busy()
    speaker.set_voice(120, 0.5)
    speaker.stop()
    speaker.close()
    assert out.getvalue().splitlines() == lines
    assert problems == []


def test_no_voice_never_loads_the_speech_engine() -> None:
    code = (
        "import io, sys\n"
        "from companion.speech import CaptionSink, make_speaker\n"
        "s = make_speaker(False, 150, 1.0, '', CaptionSink(io.StringIO()), print)\n"
        "s.say('hello')\n"
        "sys.exit('pyttsx3' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent)
    assert done.returncode == 0


def test_when_the_engine_cannot_start_captions_carry_on_and_the_user_is_told_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ModelError("The speech engine could not start: libespeak-ng.so.1 not found")

    monkeypatch.setattr(tts, "Pyttsx3Speaker", broken)
    out = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(True, 150, 1.0, "system", CaptionSink(out), problems.append)
    assert isinstance(speaker, SilentSpeaker)
    speaker.say("Hello")
    speaker.say("Open your hand")
    assert problems == ["The speech engine could not start: libespeak-ng.so.1 not found"]
    assert out.getvalue().splitlines() == ["Hello", "Open your hand"]


def test_an_unknown_voice_or_rate_is_bad_input() -> None:
    sink = CaptionSink(io.StringIO())
    with pytest.raises(BadInputError, match="voice"):
        make_speaker(True, 150, 1.0, "no-such-voice", sink, lambda d: None)
    with pytest.raises(BadInputError, match="rate"):
        make_speaker(True, 5000, 1.0, "system", sink, lambda d: None)


def test_the_voiced_speaker_captions_once_when_handed_the_line(tmp_path: Path) -> None:
    out = io.StringIO()
    problems: list[str] = []
    speaker = make_speaker(True, 150, 1.0, "", CaptionSink(out), problems.append)
    assert isinstance(speaker, CaptionedSpeaker)
    speaker.stop()
    speaker.say("First")
    speaker.say("Second", beat=True)
    assert out.getvalue().splitlines() == ["First", "Second"]
    speaker.stop()
    assert out.getvalue().splitlines() == ["First", "Second"]
    speaker.close()
