"""Desktop notifications for reminders: what is handed to ``notify-send`` (a fake one on PATH,
run as a real child process), and that a missing command, a missing desktop or a failing
command never stops a reminder. Also through a real daemon giving a real reminder."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from companion import commands, prompts
from companion.reminders import notify
from companion.reminders.conversation import Settings
from tests.test_daemon import Daemon, _stop_daemons, soon  # noqa: F401 - stops them

FAKE = """#!{python}
import json, sys, time
{body}
with open({out!r}, "a", encoding="utf-8") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
sys.exit({code})
"""


def fake_notify_send(folder: Path, code: int = 0, body: str = "") -> Path:
    """A ``notify-send`` in ``folder`` that appends its arguments (JSON) to calls.jsonl."""
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "calls.jsonl"
    exe = folder / "notify-send"
    exe.write_text(FAKE.format(python=sys.executable, out=str(out), code=code, body=body))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return out


def calls(out: Path) -> list[list[str]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def desktop_env(bin_dir: Path) -> dict[str, str]:
    return {"PATH": str(bin_dir), "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}


def test_the_notification_carries_the_title_and_text_as_arguments(tmp_path: Path) -> None:
    out = fake_notify_send(tmp_path / "bin")
    assert notify.send("Time -for- exercises", "--help; $(rm x)", desktop_env(tmp_path / "bin"))
    [args] = calls(out)
    assert args[-3:] == ["--", "Time -for- exercises", "--help; $(rm x)"]
    assert "--app-name=Hand exercises" in args


def test_a_reminder_notification_says_what_the_reminder_says(tmp_path: Path) -> None:
    out = fake_notify_send(tmp_path / "bin")
    settings = Settings(
        max_snoozes=2, snooze_minutes=15, answer_wait=dt.timedelta(minutes=2),
        name="Ann", late_since="10:00",
    )  # fmt: skip
    now = dt.datetime(2026, 12, 4, 10, 20, tzinfo=dt.timezone.utc)
    sent = notify.reminder(
        prompts.load("en"), commands.vocabulary("en"), settings, now, desktop_env(tmp_path / "bin")
    )
    assert sent
    [args] = calls(out)
    assert args[-2] == "Hello Ann. It is time for your hand exercises."
    assert "This reminder was due at 10:00." in args[-1]
    assert "To begin, say start." in args[-1]


def test_without_the_command_or_a_desktop_nothing_is_sent_and_nothing_fails(
    tmp_path: Path,
) -> None:
    out = fake_notify_send(tmp_path / "bin")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not notify.send("t", "b", desktop_env(empty))  # no notify-send on PATH
    assert not notify.send("t", "b", {"PATH": str(tmp_path / "bin")})  # no desktop session
    assert calls(out) == []
    assert notify.send("t", "b", {"PATH": str(tmp_path / "bin"), "DISPLAY": ":0"})
    assert len(calls(out)) == 1


def test_a_failing_or_hanging_command_is_left_behind_quietly(tmp_path: Path) -> None:
    out = fake_notify_send(tmp_path / "bad", code=3)
    assert not notify.send("t", "b", desktop_env(tmp_path / "bad"))
    assert len(calls(out)) == 1  # it ran, and its failure was only logged
    fake_notify_send(tmp_path / "slow", body="time.sleep(60)")
    began = time.monotonic()
    assert not notify.send("t", "b", desktop_env(tmp_path / "slow"))
    assert time.monotonic() - began < notify.WAIT_S + 2


def test_a_real_daemon_notifies_the_desktop_when_a_reminder_falls_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    out = fake_notify_send(bin_dir)
    data = tmp_path / "data"
    data.mkdir()
    (data / "answers.txt").write_text("later\n")
    # the daemon child gets this process's environment: a desktop, and the fake command first
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("DISPLAY", ":99")
    d = Daemon(data, *soon(1), "--script", str(data / "answers.txt"), "--no-session")
    d.wait_for(": snoozed", timeout=60)
    assert d.stop() == 0
    [args] = calls(out)
    assert args[-2] == "It is time for your hand exercises."
    assert "For later, say later." in args[-1]
