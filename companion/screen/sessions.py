"""Starts today's session from the screen's Start button, on a thread of its own."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from companion import prompts, routine, runner
from companion.errors import CompanionError
from companion.paths import Paths
from companion.screen.link import ScreenLink
from companion.screen.live import Live

log = logging.getLogger(__name__)


class SessionStarter:
    """One session at a time from the page; its problems are shown on the page."""

    def __init__(
        self, where: Paths, live: Live, options: Callable[[routine.Routine], runner.Options]
    ) -> None:
        self._where = where
        self._live = live
        self._options = options
        self._thread: threading.Thread | None = None

    def __call__(self) -> str | None:
        """Start the session; a message if it cannot start now."""
        if self.running():
            return "A session is already running."
        self._thread = threading.Thread(target=self._run, name="session", daemon=True)
        self._thread.start()
        return None

    def running(self) -> bool:
        """Whether a session started here is still going on."""
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running session (if any) to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        self._live.reset()  # nothing left over from an earlier session
        try:
            chosen = routine.load(self._where.routine_file)
            words = prompts.load(chosen.language)
            options = self._options(chosen)
            with contextlib.ExitStack() as stack:
                how = runner.run(self._where, chosen, words, options, stack)
            log.info("session from the screen ended: %s", how)
        except CompanionError as exc:
            self._live.update(caption=exc.message, running=False)
        except Exception:  # noqa: BLE001 - the server goes on; the page says what happened
            log.exception("the session stopped with an error")
            self._live.update(caption="The session stopped because of an error.", running=False)


def screen_options(
    link: ScreenLink, time_scale: float = 1.0, voice: bool = True
) -> Callable[[routine.Routine], runner.Options]:
    """Options for a session started from the page: the routine's voice and listening."""

    def make(chosen: routine.Routine) -> runner.Options:
        return runner.Options(
            voice=voice,
            listen=chosen.input.voice,
            time_scale=time_scale,
            engine=chosen.listening.engine,
            model=chosen.listening.model or None,
            device=chosen.listening.device or None,
            screen=link,
        )

    return make
