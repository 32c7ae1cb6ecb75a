"""A session run by another process (the reminder daemon's, or ``companion session``) shows
itself on an open ``companion screen`` of the same data folder, through its socket
(``screen/bridge.py``): ``RemoteLive`` stands in for the screen's ``Live``. Without a screen
nothing changes; if the screen goes away meanwhile the session goes on without it."""

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


class RemoteLive:
    """The screen's state in the ``companion screen`` process: changes sent, presses received."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._sink: Sink | None = None
        self._voice: Callable[[str], None] | None = None
        self._broken = False
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

    def close(self) -> None:
        self._closed.set()
        with contextlib.suppress(OSError):
            self._conn.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=2)
        self._conn.close()

    # ---- the wire ---------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        """Bounded (``WAIT_S``); after a failure the page is left behind for this session."""
        with self._lock:
            if self._broken:
                return
            try:
                self._conn.sendall(encode(message))
            except OSError as exc:
                self._broken = True
                log.info("the screen could not be reached; the session goes on without it: %s", exc)

    def _read(self) -> None:
        for message in lines(self._conn, self._closed.is_set):
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


def attach(data_dir: Path) -> tuple[ScreenLink, RemoteLive] | None:
    """Join an open ``companion screen`` of ``data_dir``: (the session's link, the connection
    to close when it ends); None when no screen is open there."""
    path = socket_path(data_dir)
    if not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(WAIT_S)
    try:
        conn.connect(str(path))
    except OSError as exc:
        conn.close()
        log.info("no screen to show the session on (%s): %s", path, exc)
        return None
    remote = RemoteLive(conn)
    return ScreenLink(remote), remote
