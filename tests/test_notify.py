"""Desktop notifications for reminders, over a real D-Bus: a private session bus (dbus-daemon)
per test, with a small notification service in the test that owns
org.freedesktop.Notifications and records every Notify call. Also: no bus, no service, a
service that never answers and a bus that never greets are each left behind quietly and
within the time limit; and a real daemon giving a real reminder notifies the desktop."""

from __future__ import annotations

import datetime as dt
import logging
import os
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import HeaderFields, MessageType, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

from companion import commands, prompts
from companion.reminders import notify
from companion.reminders.conversation import Settings
from tests.test_daemon import Daemon, _stop_daemons, soon  # noqa: F401 - stops them

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
"""A session bus of the test's own: no service files, so nothing is started on demand."""
WAIT_S = 10.0


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[str]:
    """A private D-Bus session bus; its address."""
    exe = shutil.which("dbus-daemon")
    if exe is None:
        pytest.fail("dbus-daemon is missing: run scripts/install-system-packages.sh")
    folder = tmp_path / "bus"
    folder.mkdir()
    config = folder / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=folder / "socket"))
    proc = subprocess.Popen(
        [exe, f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], WAIT_S)
        assert ready, "the private D-Bus did not start in time"
        address = proc.stdout.readline().strip()
        assert address.startswith("unix:"), address
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=WAIT_S)


class NotificationService:
    """Owns org.freedesktop.Notifications on ``address`` and records each Notify call's
    arguments (``answer``: whether it replies at all)."""

    def __init__(self, address: str, answer: bool = True) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._answer = answer
        self._conn = open_dbus_connection(bus=address)
        reply = self._conn.send_and_get_reply(
            message_bus.RequestName(notify.BUS_NAME), timeout=WAIT_S
        )
        assert reply.body == (1,), reply.body  # the primary owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            fields = msg.header.fields
            if msg.header.message_type != MessageType.method_call:
                continue
            if fields.get(HeaderFields.member) != "Notify":
                continue
            self.calls.append(msg.body)
            if self._answer:
                self._conn.send(new_method_return(msg, "u", (len(self.calls),)))

    def wait_for_calls(self, n: int, timeout: float = WAIT_S) -> list[tuple[Any, ...]]:
        end = time.monotonic() + timeout
        while len(self.calls) < n and time.monotonic() < end:
            time.sleep(0.05)
        return list(self.calls)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=WAIT_S)
        self._conn.close()


@pytest.fixture
def service(bus: str) -> Iterator[NotificationService]:
    s = NotificationService(bus)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _each_reason_logged_anew() -> Iterator[None]:
    notify._logged.clear()
    yield
    notify._logged.clear()


def test_the_notification_reaches_the_desktop_with_its_title_and_text(
    bus: str, service: NotificationService
) -> None:
    assert notify.send("Time -for- exercises", "--help; $(rm x)", {"DBUS_SESSION_BUS_ADDRESS": bus})
    [call] = service.wait_for_calls(1)
    app, replaces, icon, title, body, actions, hints, expire = call
    assert (app, replaces, title, body) == (
        "Hand exercises",
        0,
        "Time -for- exercises",
        "--help; $(rm x)",
    )
    assert hints["category"] == ("s", "reminder")
    assert expire == -1


def test_a_reminder_notification_says_what_the_reminder_says(
    bus: str, service: NotificationService
) -> None:
    settings = Settings(
        max_snoozes=2, snooze_minutes=15, answer_wait=dt.timedelta(minutes=2),
        name="Ann", late_since="10:00",
    )  # fmt: skip
    now = dt.datetime(2026, 12, 4, 10, 20, tzinfo=dt.timezone.utc)
    env = {"DBUS_SESSION_BUS_ADDRESS": bus}
    sent = notify.reminder(prompts.load("en"), commands.vocabulary("en"), settings, now, env)
    assert sent
    [call] = service.wait_for_calls(1)
    title, body = call[3], call[4]
    assert title == "Hello Ann. It is time for your hand exercises."
    assert "This reminder was due at 10:00." in body
    assert "To begin, say start." in body


def test_without_a_bus_nothing_is_sent_nothing_fails_and_the_reason_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=notify.__name__)
    assert not notify.desktop_present({"DISPLAY": ":0", "XDG_RUNTIME_DIR": str(tmp_path)})
    for _ in range(3):
        assert not notify.send("t", "b", {"DISPLAY": ":0"})
    gone = {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path / 'no-such-bus'}"}
    for _ in range(3):
        assert not notify.send("t", "b", gone)  # a bus that has gone away
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 2, infos
    assert "no desktop session bus" in infos[0]
    assert "could not be shown" in infos[1] and "FileNotFoundError" in infos[1]


def test_a_bus_without_a_notification_service_is_left_behind_quietly(
    bus: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=notify.__name__)
    began = time.monotonic()
    assert not notify.send("t", "b", {"DBUS_SESSION_BUS_ADDRESS": bus})
    assert time.monotonic() - began < notify.WAIT_S
    assert "ServiceUnknown" in caplog.text or "not provided" in caplog.text, caplog.text


def test_a_service_that_never_answers_is_given_up_within_the_time_limit(bus: str) -> None:
    silent = NotificationService(bus, answer=False)
    try:
        began = time.monotonic()
        assert not notify.send("t", "b", {"DBUS_SESSION_BUS_ADDRESS": bus})
        took = time.monotonic() - began
        assert notify.WAIT_S - 0.5 < took < notify.WAIT_S + 2
        assert len(silent.wait_for_calls(1)) == 1  # it got the call: only the reply was missing
    finally:
        silent.close()


def test_a_bus_that_never_greets_is_given_up_within_the_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "mute"
    mute = socket.socket(socket.AF_UNIX)
    mute.bind(str(path))
    mute.listen(1)  # accepts the connection, never authenticates it
    try:
        began = time.monotonic()
        assert not notify.send("t", "b", {"DBUS_SESSION_BUS_ADDRESS": f"unix:path={path}"})
        assert time.monotonic() - began < notify.WAIT_S + 2
    finally:
        mute.close()


def test_a_real_daemon_notifies_the_desktop_when_a_reminder_falls_due(
    tmp_path: Path, bus: str, service: NotificationService, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "answers.txt").write_text("later\n")
    # the daemon child gets this process's environment: the private bus is its desktop's
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus)
    d = Daemon(data, *soon(1), "--script", str(data / "answers.txt"), "--no-session")
    d.wait_for(": snoozed", timeout=60)
    assert d.stop() == 0
    [call] = service.wait_for_calls(1)
    assert call[3] == "It is time for your hand exercises."
    assert "For later, say later." in call[4]
    assert os.environ.get("DBUS_SESSION_BUS_ADDRESS") == bus
