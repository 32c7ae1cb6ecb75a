"""A session run by another process (the reminder daemon's, or ``companion session``) shows
itself on an open ``companion screen`` of the same data folder, through its socket
(``screen/bridge.py``): ``RemoteLive`` stands in for the screen's ``Live``. Without a screen
nothing changes; if the screen goes away meanwhile the session goes on without it, and when a
screen is started again on the folder the session joins it: the new page shows it as it is
now, and its presses reach it. A session begun before any screen was open joins the first one
opened the same way (``attach_or_wait``)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from companion.inputs.base import Sink
from companion.screen.bridge import WAIT_S, command_of, encode, lines, socket_path
from companion.screen.link import ScreenLink

log = logging.getLogger(__name__)
RETRY_S = 0.5
"""After its screen has gone: how often the session looks for a new one."""


class RemoteLive:
    """The screen's state in the ``companion screen`` process: changes sent, presses received."""

    def __init__(self, conn: socket.socket | None, data_dir: Path | None = None) -> None:
        self._conn = conn
        """The open screen's connection (None: no screen yet; one is looked for)."""
        self._data_dir = data_dir
        """Where to look for a new screen when this one goes (None: never)."""
        self._lock = threading.Lock()
        self._sink: Sink | None = None
        self._voice: Callable[[str], None] | None = None
        self._shown: list[dict[str, Any]] = []
        """What the page shows now, as messages: replayed to a new screen."""
        self._broken = conn is None
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name="screen-presses", daemon=True)
        self._thread.start()

    # ---- what the session changes (the LiveState protocol) ----------------------------------

    def update(self, **changes: Any) -> None:
        self._send({"update": changes})

    def reset(self) -> None:
        self._send({"reset": True})

    def connect(self, sink: Sink | None) -> None:
        with self._lock:
            self._sink = sink
        self._send({"accepting": sink is not None})

    def connect_voice(self, say: Callable[[str], None] | None) -> None:
        with self._lock:
            self._voice = say
        self._send({"voice": say is not None})

    def _note(self, message: dict[str, Any]) -> None:
        """Keep what a new screen needs to show the page as it is now (under the lock)."""
        flags = [m for m in self._shown if "accepting" in m or "voice" in m]
        if message.get("reset"):  # a new page; whether it takes presses and lines stays
            self._shown = [message, {"update": {}}, *flags]
        elif not self._shown:
            self._shown = [{"update": {}}]
        changes = message.get("update")
        if isinstance(changes, dict):
            state = next(m for m in self._shown if "update" in m)
            state["update"].update(changes)
        for key in ("accepting", "voice"):
            if key in message:
                self._shown = [m for m in self._shown if key not in m] + [message]

    @property
    def shown(self) -> bool:
        """Whether a screen shows the session now (a way to answer it)."""
        with self._lock:
            return not self._broken

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            conn = self._conn
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)
        with self._lock:
            if self._conn is not None:
                self._conn.close()

    # ---- the wire ---------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        """Bounded (``WAIT_S``); after a failure the page is left behind until a new screen
        is found (``_read``)."""
        with self._lock:
            self._note(message)
            if self._broken or self._conn is None:
                return
            try:
                self._conn.sendall(encode(message))
            except OSError as exc:
                self._broken = True
                log.info("the screen could not be reached; the session goes on without it: %s", exc)

    def _read(self) -> None:
        while True:
            with self._lock:
                conn = self._conn
            if conn is not None:
                for message in lines(conn, self._closed.is_set):
                    self._heard(message)
            with self._lock:
                self._broken = True
            if not self._rejoin():
                return

    def _heard(self, message: dict[str, Any]) -> None:
        with self._lock:
            sink, voice = self._sink, self._voice
        press = message.get("press")
        if isinstance(press, dict) and sink is not None:
            event = command_of(press)
            if event is not None:
                sink(event)
        said = message.get("say")
        if isinstance(said, str) and voice is not None:
            voice(said)

    def _rejoin(self) -> bool:
        """The screen has gone: wait for a new one on the folder and show it the page as it is
        now; False once the session has ended (or no folder to look in)."""
        if self._data_dir is None:
            return False
        log.info("no screen shows the session; it looks for one")
        while not self._closed.wait(RETRY_S):
            conn = _connect(socket_path(self._data_dir))
            if conn is None:
                continue
            with self._lock:
                try:
                    for message in self._shown:
                        conn.sendall(encode(message))
                except OSError as exc:
                    log.info("the new screen could not be reached: %s", exc)
                    conn.close()
                    continue
                old, self._conn, self._broken = self._conn, conn, False
            if old is not None:
                old.close()
            log.info("a new screen shows the session")
            return True
        return False


def attach(data_dir: Path) -> tuple[ScreenLink, RemoteLive] | None:
    """Join an open ``companion screen`` of ``data_dir``: (the session's link, the connection
    to close when it ends); None when no screen is open there."""
    path = socket_path(data_dir)
    conn = _connect(path)
    if conn is None:
        log.info("no screen to show the session on (%s)", path)
        return None
    remote = RemoteLive(conn, data_dir)
    return ScreenLink(remote), remote


def attach_or_wait(data_dir: Path) -> tuple[ScreenLink, RemoteLive]:
    """Like ``attach``, but with no screen open yet the session still gets a link: it looks for
    a screen on the folder every ``RETRY_S`` and joins the first one opened (the page then shows
    it as it is now, and its presses reach it)."""
    remote = RemoteLive(_connect(socket_path(data_dir)), data_dir)
    return ScreenLink(remote, lambda: remote.shown), remote


def _connect(path: Path) -> socket.socket | None:
    """A connection to the screen listening at ``path``; None when none listens there."""
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(WAIT_S)
    try:
        conn.connect(str(path))
    except OSError as exc:
        conn.close()
        log.debug("no screen listens at %s: %s", path, exc)
        return None
    return conn
