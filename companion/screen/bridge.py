"""The screen's door for sessions run by other processes (the reminder daemon's session after
"start", ``companion session`` in a terminal): a Unix socket in the data folder (owner-only,
like the folder). A session that finds it open shows itself on the page as one started there
does: its state comes in, the page's presses and the screen's own lines go out.

One JSON object a line. From the session: ``{"reset": true}``, ``{"update": {...}}``,
``{"accepting": bool}`` (presses reach it), ``{"voice": bool}`` (it can say the screen's lines).
To the session: ``{"press": {"command", "value", "text"}}``, ``{"say": text}``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from companion.commands import Command
from companion.events import Event, Heard
from companion.screen import SOCKET_NAME
from companion.screen.live import IDLE, Live

log = logging.getLogger(__name__)
MAX_PATH = 107
"""The longest path a Unix socket may have (Linux: 108 bytes with the final zero)."""
WAIT_S = 0.5
"""Longest a write to the other side may block; reads look at the stop flag this often."""
LINE_LIMIT = 1 << 20
"""A line longer than this is not from a session of ours: the connection is dropped."""


def socket_path(data_dir: Path) -> Path:
    """Where a running screen listens for sessions of this data folder."""
    return data_dir / SOCKET_NAME


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")


def lines(conn: socket.socket, stopped: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """The JSON objects ``conn`` sends, until it closes, fails or ``stopped()``."""
    buffer = b""
    while not stopped():
        try:
            data = conn.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            return
        if not data:
            return
        buffer += data
        *whole, buffer = buffer.split(b"\n")
        if len(buffer) > LINE_LIMIT:
            log.warning("a session sent an over-long line; its connection is dropped")
            return
        for line in whole:
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("a session sent a line that is not JSON; ignored")
                continue
            if isinstance(message, dict):
                yield message


class _Peer:
    """One connected session, from the screen's side."""

    def __init__(self, conn: socket.socket, live: Live) -> None:
        self.conn = conn
        self.live = live
        self._send_lock = threading.Lock()
        self.started = False

    def send(self, message: dict[str, Any]) -> bool:
        with self._send_lock:
            try:
                self.conn.sendall(encode(message))
            except OSError as exc:
                log.info("the session could not be reached: %s", exc)
                return False
        return True

    def press(self, event: Event) -> None:
        """The page's press (from ``Live.press``), on to the session."""
        if isinstance(event, Heard):
            press = {"command": event.command.value, "value": event.value, "text": event.text}
            self.send({"press": press})

    def say(self, text: str) -> None:
        self.send({"say": text})

    def handle(self, message: dict[str, Any]) -> None:
        if message.get("reset"):
            self.started = True
            self.live.reset()
        changes = message.get("update")
        if isinstance(changes, dict):
            known = {k: v for k, v in changes.items() if k in IDLE and k != "version"}
            self.live.update(**known)
        if "accepting" in message:
            self.live.connect(self.press if message["accepting"] else None)
        if "voice" in message:
            self.live.connect_voice(self.say if message["voice"] else None)

    def gone(self) -> None:
        """The session closed its end (ended, or crashed): the page shows no session running."""
        if not self.started:
            return
        self.live.connect(None)
        self.live.connect_voice(None)
        if self.live.snapshot()["running"]:
            self.live.update(running=False, commands=[])


class SessionBridge:
    """Listens on the data folder's socket while the screen runs; one thread per session."""

    def __init__(self, data_dir: Path, live: Live) -> None:
        self.path = socket_path(data_dir)
        self._live = live
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []

    def start(self) -> bool:
        """Open the socket; False (logged) when it cannot, or another screen already has it."""
        if len(os.fsencode(self.path)) > MAX_PATH:
            log.warning("the data folder's path is too long for the screen to show sessions "
                        "started elsewhere (%s)", self.path)  # fmt: skip
            return False
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                log.warning("another screen shows this data folder's sessions already")
                return False
            self.path.unlink()  # left by a screen that did not end cleanly
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            old = os.umask(0o177)  # owner-only from the start
            try:
                sock.bind(str(self.path))
            finally:
                os.umask(old)
            sock.listen(4)
            sock.settimeout(WAIT_S)
        except OSError as exc:
            sock.close()
            log.warning("the screen cannot show sessions started elsewhere: %s", exc)
            return False
        self._sock = sock
        self._spawn(self._accept, "screen-bridge")
        return True

    def stop(self) -> None:
        self._stop.set()
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2)
        if self._sock is not None:
            self._sock.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(WAIT_S)
            self._conns.append(conn)
            self._spawn(functools.partial(self._serve, conn), "screen-session")

    def _serve(self, conn: socket.socket) -> None:
        peer = _Peer(conn, self._live)
        try:
            for message in lines(conn, self._stop.is_set):
                try:
                    peer.handle(message)
                except Exception:  # noqa: BLE001 - one odd message never stops the page
                    log.exception("a session's message could not be shown")
        finally:
            peer.gone()
            conn.close()
            with contextlib.suppress(ValueError):
                self._conns.remove(conn)


def _answers(path: Path) -> bool:
    """Whether something listens on the socket at ``path``."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(WAIT_S)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def command_of(press: dict[str, Any]) -> Heard | None:
    """The page's press as the session's event (None: not a press we know)."""
    try:
        command = Command(str(press.get("command", "")))
    except ValueError:
        return None
    value = press.get("value")
    if value is not None and not (isinstance(value, int) and 0 <= value <= 10):
        return None
    return Heard(command, value, source="screen", text=str(press.get("text", "")))
