"""The running session's voice, with room for a line of the screen's own (a new pairing code):
it is said after the session's current line, in the session's voice and queue, so it never
talks over the session; if the session cuts it short (a count, "stop"), it is said again once
the session has been quiet for a moment, and at the latest when the session ends."""

from __future__ import annotations

import logging
import threading
import time

from companion.speech.base import Speaker

log = logging.getLogger(__name__)
QUIET_S = 2.0
"""After a cut: how long the session must have been quiet before the line is tried again."""
LOOK_EVERY_S = 0.05


class SessionVoice:
    """A ``Speaker`` around the session's own (the loop speaks through it, unchanged), and
    ``interject`` for the screen's lines. Thread-safe."""

    def __init__(self, inner: Speaker, quiet_s: float = QUIET_S) -> None:
        self.inner = inner
        self._quiet_s = quiet_s
        self._lock = threading.Lock()
        self._pending: str | None = None
        """A line waiting for a quiet moment (it was cut short, or is new)."""
        self._in_flight: str | None = None
        """A line handed to the session's speaker and maybe not yet said in full."""
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the Speaker protocol: the session's own lines --------------------------------------

    def say(self, text: str, *, beat: bool = False) -> None:
        if beat:  # cuts short what is being said, and drops what is queued
            self._cut()
        self.inner.say(text, beat=beat)

    def stop(self) -> None:
        self._cut()
        self.inner.stop()

    def set_voice(self, rate: int, volume: float) -> None:
        self.inner.set_voice(rate, volume)

    def busy(self) -> bool:
        return self.inner.busy()

    def close(self) -> None:
        self.finish()
        self.inner.close()

    # ---- the screen's lines ---------------------------------------------------------------

    def interject(self, text: str) -> None:
        """Say ``text`` after the session's current line (a newer line replaces one waiting)."""
        with self._lock:
            if self._done.is_set():
                log.info("the session has ended; its voice cannot say the screen's line")
                return
            self._pending = None
            self._in_flight = text
            self.inner.say(text)  # queued: after what the session is saying
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="interject", daemon=True)
                self._thread.start()

    def finish(self) -> None:
        """The session is over: a line still waiting is queued (its speaker's close says it)."""
        with self._lock:
            self._done.set()
            pending, self._pending = self._pending, None
            if pending is not None:
                self.inner.say(pending)
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _cut(self) -> None:
        with self._lock:
            if self._in_flight is not None and self.inner.busy():
                log.info("the screen's line was cut short by the session; said again later")
                self._pending, self._in_flight = self._in_flight, None

    def _watch(self) -> None:
        quiet_since: float | None = None
        while not self._done.wait(LOOK_EVERY_S):
            now = time.monotonic()
            with self._lock:
                busy = self.inner.busy()
                if busy:
                    quiet_since = None
                    continue
                quiet_since = now if quiet_since is None else quiet_since
                self._in_flight = None  # the speaker is idle: it has been said
                if self._pending is not None and now - quiet_since >= self._quiet_s:
                    self._in_flight, self._pending = self._pending, None
                    self.inner.say(self._in_flight)
                    quiet_since = None
