"""The reminder conversation as a user in pain or in a hurry meets it: "it hurts", "stop" and the
stroke warning signs said (or pressed, or clicked on the page) while the daemon asks. Before,
each was "Sorry, I did not catch that." and the reminder went on asking (and came back at the
next reminder time for someone who had said it hurts). Each test failed before its fix."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from starlette.testclient import TestClient

from companion import commands, prompts
from companion.commands import Command
from companion.events import Begin, End, Heard, Listen, Say, StopSpeech, Tick
from companion.reminders import page_answer
from companion.reminders.conversation import Conversation, Settings
from companion.screen.app import Screen
from tests.session_cli import REPO, session_env

T0 = dt.datetime(2026, 3, 29, 9, 0, tzinfo=dt.timezone.utc)
WORDS = prompts.load("en")
VOCAB = commands.vocabulary("en")


def asked(**changes: object) -> Conversation:
    """A reminder that has just asked (start, later, skip today)."""
    base: dict[str, object] = {
        "max_snoozes": 2,
        "snooze_minutes": 15,
        "answer_wait": dt.timedelta(seconds=90),
    }
    c = Conversation(WORDS, VOCAB, Settings(**{**base, **changes}))  # type: ignore[arg-type]
    c.handle(Begin(), T0)
    return c


def test_the_reminder_listens_for_it_hurts_and_the_stroke_signs_never_start_with_stop() -> None:
    """The microphone listens for what the reminder's Listen names: they were not among them.
    The spoken "stop" stays out: "start" is live, and the two sound alike."""
    c = Conversation(WORDS, VOCAB, Settings(2, 15, dt.timedelta(seconds=90)))
    listen = [e for e in c.handle(Begin(), T0) if isinstance(e, Listen)][0]
    assert {Command.HURTS, Command.EMERGENCY} <= listen.commands
    assert Command.START in listen.commands and Command.STOP not in listen.commands


def test_stop_at_a_reminder_is_quiet_at_once_and_ends_it() -> None:
    for source, text in (("key", "q"), ("screen", "stop"), ("switch", "long press")):
        c = asked()
        out = c.handle(Heard(Command.STOP, source=source, text=text), T0)
        assert isinstance(out[0], StopSpeech)
        assert [e.key for e in out if isinstance(e, Say)] == ["reminders.reminder.stopped"]
        assert [e.how for e in out if isinstance(e, End)] == ["no_answer"]  # this one only


def test_it_hurts_at_a_reminder_lets_the_day_go_with_advice() -> None:
    c = asked()
    out = c.handle(Heard(Command.HURTS, source="key", text="o"), T0)
    assert isinstance(out[0], StopSpeech)
    said = [e.text for e in out if isinstance(e, Say)]
    assert said == [WORDS.text("reminders.reminder.hurts")] and "Rest your hand" in said[0]
    assert [e.how for e in out if isinstance(e, End)] == ["skipped"]  # no more reminders today


def test_the_stroke_warning_signs_at_a_reminder_say_call_now_with_the_number() -> None:
    c = asked(emergency_number="999")
    out = c.handle(Heard(Command.EMERGENCY, source="key", text="a"), T0)
    said = [e.text for e in out if isinstance(e, Say)]
    assert "Call 999 now." in said and said[0] == "Stop exercising now."
    assert [e.how for e in out if isinstance(e, End)] == ["skipped"]


def test_it_hurts_on_the_page_while_the_daemon_asks_answers_the_reminder(tmp_path: Path) -> None:
    """The page's It hurts and Stop, with no session running, said "No session is running now."
    while the daemon went on asking."""
    from tests.screen_app import TOKEN, client_for, new_screen

    screen: Screen = new_screen(tmp_path)
    client: TestClient = client_for(screen)
    screen.live.update(reminder={"kind": "due", "time": "09:00", "text": "", "key": "due x"})
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    heard: list[object] = []
    asking = page_answer.PageAnswerSource(screen.where.data_dir, since)  # the daemon's reminder
    asking.start(heard.append)
    try:
        for command in ("hurts", "stop"):
            r = client.post("/press", data={"command": command, "token": TOKEN},
                            headers={"x-companion-token": TOKEN})  # fmt: skip
            assert r.status_code == 200, r.text
    finally:
        asking.close()
    assert [getattr(h, "command", None) for h in heard] == [Command.HURTS, Command.STOP]


def test_it_hurts_on_the_page_with_nothing_running_gives_advice_not_just_no_session(
    tmp_path: Path,
) -> None:
    from tests.screen_app import TOKEN, client_for, new_screen

    client = client_for(new_screen(tmp_path))
    r = client.post("/press", data={"command": "hurts", "token": TOKEN},
                    headers={"x-companion-token": TOKEN})  # fmt: skip
    assert "Rest your hand" in r.json()["message"]


def _reminder_outcomes(data: Path) -> list[str]:
    """The reminders' outcomes in the history, in order ([] while it is being made)."""
    if not (data / "history.sqlite3").exists():
        return []
    with contextlib.closing(sqlite3.connect(data / "history.sqlite3")) as conn:
        try:
            return [o for (o,) in conn.execute("SELECT outcome FROM reminders ORDER BY id")]
        except sqlite3.OperationalError:  # the daemon is still creating its tables
            return []


def test_it_hurts_to_the_daemon_is_heard_and_no_reminder_comes_back_that_day(
    tmp_path: Path,
) -> None:
    """The real daemon, two reminder times, "it hurts" said to the first."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "routine.toml").write_text('[reminders]\ntimezone = "Europe/London"\n')
    (data / "answers.txt").write_text("it hurts\n")
    cli = [sys.executable, "-m", "companion.cli.main", "daemon", "--data-dir", str(data)]
    cli += ["--no-voice", "--at", "+2", "--at", "+5", "--script", str(data / "answers.txt")]
    cli += ["--answer-seconds", "2", "--no-session"]
    with subprocess.Popen(cli, cwd=REPO, env=session_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:  # fmt: skip
        try:
            deadline = time.monotonic() + 40
            while len(_reminder_outcomes(data)) < 2:
                assert time.monotonic() < deadline, "the first reminder never ended"
                time.sleep(0.1)
            time.sleep(6)  # past the second reminder time
        finally:
            proc.terminate()
            out, _ = proc.communicate(timeout=30)
    assert _reminder_outcomes(data) == ["fired", "skipped"], out
    assert "already let go" in out
    keys = [
        json.loads(line.split("\t", 2)[2]).get("key")
        for line in (data / "events.log").read_text().splitlines()
        if line.split("\t", 2)[1] == "say"
    ]
    assert "reminders.reminder.hurts" in keys and "reminders.reminder.not_understood" not in keys


def test_an_unanswered_reminder_never_promises_no_more_reminders_today() -> None:
    """No answer said "I will not remind you again today." while the day's later reminder times
    still asked (each stands on its own: docs/reminders.md, test_daemon)."""
    c = asked()
    c.handle(Tick(), T0 + dt.timedelta(seconds=90))
    out = c.handle(Tick(), T0 + dt.timedelta(seconds=180))
    assert [e.how for e in out if isinstance(e, End)] == ["no_answer"]
    line = [e.text for e in out if isinstance(e, Say)][-1]
    assert "today" not in line, line


def test_what_the_reminder_says_is_shown_on_an_open_screen(tmp_path: Path) -> None:
    """The page showed only "It is time for your hand exercises." whatever the reminder said
    after it: its choices, and after "it hurts" the advice (or, for the stroke signs, "Call 999
    now."), were spoken only. Now its lines are the page's caption, as a session's are."""
    from companion import paths
    from companion.screen.bridge import SessionBridge
    from companion.screen.live import Live
    from companion.screen.reminder_state import ReminderWatch

    data = tmp_path / "data"
    data.mkdir()
    (data / "routine.toml").write_text('[reminders]\ntimezone = "Europe/London"\n')
    (data / "answers.txt").write_text("wait 2\nit hurts\n")
    where = paths.resolve(data).ensure()
    live = Live()
    bridge = SessionBridge(where.data_dir, live)
    assert bridge.start()
    watch = ReminderWatch(where, live, every_s=0.2)  # the page's reminder box, as it runs
    watch.start()
    captions: list[str] = []
    cli = [sys.executable, "-m", "companion.cli.main", "daemon", "--data-dir", str(data)]
    cli += ["--no-voice", "--at", "+2", "--script", str(data / "answers.txt"), "--no-session"]
    try:
        with subprocess.Popen(cli, cwd=REPO, env=session_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) as proc:  # fmt: skip
            try:
                deadline = time.monotonic() + 40
                while "To begin, say start." not in live.snapshot()["caption"]:
                    assert time.monotonic() < deadline, "the reminder's words never came"
                    time.sleep(0.05)
                time.sleep(1)  # the page's reminder box comes (looked for every 0.2 s) ...
                captions.append(live.snapshot()["caption"])  # ... and the words stay
                while "skipped" not in _reminder_outcomes(data):
                    assert time.monotonic() < deadline, "the reminder never ended"
                    time.sleep(0.05)
                time.sleep(3)  # the page's reminder box goes; the words stay
            finally:
                proc.terminate()
                proc.wait(timeout=30)
    finally:
        watch.stop()
        bridge.stop()
    assert "To begin, say start." in captions[0], captions
    assert live.snapshot()["caption"] == WORDS.text("reminders.reminder.hurts")
    assert live.snapshot()["reminder"] is None
