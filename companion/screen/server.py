"""Runs the screen's web server (uvicorn) on this computer, and opens the browser where one can."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import webbrowser

import uvicorn

from companion.errors import BadInputError
from companion.screen import DEFAULT_PORT
from companion.screen.app import Screen, create_app

log = logging.getLogger(__name__)
HOST = "127.0.0.1"
"""Only this computer can reach the page."""
ALL_ADDRESSES = "0.0.0.0"
"""With ``--lan``: every network of this computer (the guard lets the home network in only)."""
START_WAIT_S = 10.0
"""How long starting may take before it is reported as failed."""


class ScreenServer:
    """One uvicorn server for one ``Screen``; in the foreground or on a thread of its own."""

    def __init__(self, screen: Screen, port: int = DEFAULT_PORT, host: str = HOST) -> None:
        config = uvicorn.Config(
            create_app(screen),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.host = host

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen by the system when asked for 0)."""
        for server in self._server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return int(self._server.config.port)

    @property
    def url(self) -> str:
        """The session page's address on this computer."""
        host = HOST if self.host == ALL_ADDRESSES else self.host
        return f"http://{host}:{self.port}/"

    def start(self) -> str:
        """Serve from a thread; returns the address once it listens."""
        self._thread = threading.Thread(target=self._server.run, name="screen", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_WAIT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise _cannot_listen(self._server.config.port)
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        """Stop serving (open pages lose their connection)."""
        self._server.should_exit = True
        self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)


def _cannot_listen(port: int) -> BadInputError:
    return BadInputError(
        f"The screen cannot use port {port} (another program may be using it).",
        hint="Choose another one with --port, e.g. --port 8770.",
    )


def has_display() -> bool:
    """Whether a browser window can be shown here."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_browser(url: str) -> bool:
    """Open ``url`` in the user's browser if there is a display; whether it was opened."""
    if not has_display():
        return False
    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error as exc:
        log.info("no browser could be opened: %s", exc)
        return False
