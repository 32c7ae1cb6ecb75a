"""An answer the page gives just as the daemon's reminder conversation ends (its last look at
the answer file, after the conversation's loop has stopped reading its queue) is not lost: "it
hurts" is recorded and said as if heard in time, and the day is let go (no session started).
Before, the press went to a queue no one read, and the page, seeing its file taken, left it to
the daemon. Real answer files and the real page-answer source; the conversation's real loop."""

from __future__ import annotations

import datetime as dt
import io
import time
from pathlib import Path

from companion import commands, prompts
from companion.commands import Command
from companion.eventlog import EventLog
from companion.events import Heard, Listen
from companion.inputs.base import Sink
from companion.reminders import page_answer
from companion.reminders.conversation import Conversation, Settings
from companion.reminders.driver import converse
from companion.reminders.page_answer import PageAnswerSource
from companion.speech.captions import CaptionSink, SilentSpeaker


class _StartThenPagePress:
    """A keyboard that answers Start at once; the page's press comes in as the reminder's loop
    closes its inputs (this one first), and is taken by the page source's last look."""

    def __init__(self, data_dir: Path, press: Command) -> None:
        self._data_dir, self._press = data_dir, press
        self.taken_by_the_daemon = False

    def start(self, sink: Sink) -> None:
        sink(Heard(Command.START, source="key", text="start"))

    def listen(self, listen: Listen) -> None:
        pass

    def close(self) -> None:
        page_answer.write(self._data_dir, self._press, dt.datetime.now(dt.timezone.utc))
        deadline = time.monotonic() + 3
        path = page_answer.answer_file(self._data_dir)
        while path.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.taken_by_the_daemon = not path.exists()


def _ask(tmp_path: Path, press: Command) -> tuple[Conversation, str, list[str], bool]:
    data = tmp_path / "data"
    data.mkdir()
    words = prompts.load("en")
    settings = Settings(max_snoozes=2, snooze_minutes=10, answer_wait=dt.timedelta(seconds=30))
    conversation = Conversation(words, commands.vocabulary("en"), settings)
    out = io.StringIO()
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    keyboard = _StartThenPagePress(data, press)
    events = EventLog(data / "events.log")
    try:
        outcome = converse(
            conversation,
            SilentSpeaker(CaptionSink(out)),
            [keyboard, PageAnswerSource(data, now, every_s=0.05)],
            events,
            now,
        )
    finally:
        events.close()
    return conversation, outcome, out.getvalue().splitlines(), keyboard.taken_by_the_daemon


def test_it_hurts_taken_as_the_reminder_ends_is_recorded_and_lets_the_day_go(
    tmp_path: Path,
) -> None:
    conversation, outcome, said, taken = _ask(tmp_path, Command.HURTS)
    assert taken  # the daemon's source took the press: the page leaves it to the daemon
    advice = prompts.load("en").text("reminders.reminder.hurts")
    assert conversation.safety == ("pain", advice)  # giving.py records it (reminder_safety)
    assert outcome == "skipped"  # the day is let go: no session is started after "it hurts"
    assert said[-1] == advice


def test_stop_taken_as_the_reminder_ends_keeps_the_session_from_starting(tmp_path: Path) -> None:
    conversation, outcome, _said, taken = _ask(tmp_path, Command.STOP)
    assert taken
    assert outcome == "no_answer"
    assert conversation.safety is None


def test_later_taken_as_the_reminder_ends_changes_nothing(tmp_path: Path) -> None:
    conversation, outcome, _said, taken = _ask(tmp_path, Command.LATER)
    assert taken
    assert outcome == "started"


def test_a_closed_page_source_leaves_the_answer_for_the_page_to_take_back(
    tmp_path: Path,
) -> None:
    got: list[object] = []
    source = PageAnswerSource(tmp_path, dt.datetime.now(dt.timezone.utc), every_s=0.02)
    source.start(got.append)
    source.close()
    page_answer.write(tmp_path, Command.HURTS, dt.datetime.now(dt.timezone.utc))
    time.sleep(0.2)
    assert page_answer.answer_file(tmp_path).exists() and got == []
