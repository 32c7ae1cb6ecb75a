"""Renders what the session is about to say into the voice cache, before it says it.

A Piper line never rendered before takes a quarter of a second or more to render (seconds on a
loaded machine) before its first sound; a cached one starts at once. The session knows most of
its lines ahead (``session/rehearsal.py``), so one background thread renders them into the
shared ``VoiceCache`` (by voice, rate and text, sentence by sentence as the speaker says them):
the lines of the part under way and of the next exercise, then more as the session moves on.

It never delays a line being said or the listener: the thread runs at the lowest CPU priority
(nice 19, the thread alone), with a Piper voice of its own (so it never holds the speaker's
renderer), and only renders lines whose step has come near. It stops when the session ends or
``stop`` is called; a line it could not render is simply rendered on demand when it is said.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from companion.speech.voice_cache import Audio

log = logging.getLogger(__name__)

LOWEST_PRIORITY = 19
"""The thread's nice value: it gets the CPU only when nothing else wants it."""
AHEAD = 1
"""How many steps (exercises) past the current one are rendered ahead."""
POLL_S = 0.25
"""How often the thread looks where the session is once it has rendered all it may."""


class Renderer(Protocol):
    """Renders one line at a rate, keeping it in the cache (``PiperSynth``)."""

    def render(self, text: str, rate: int) -> Audio:
        """``text`` at ``rate`` words per minute (from the cache when rendered before)."""


@dataclass(frozen=True)
class Where:
    """What the thread reads of the session (from its own thread: plain reads)."""

    step: Callable[[], int]
    """The step (exercise) under way."""
    rate: Callable[[], int]
    """The session's speech rate now (words per minute)."""
    ended: Callable[[], bool]
    """Whether the session is over."""


def lower_this_thread() -> bool:
    """Give the calling thread the lowest CPU priority (Linux: per thread); False where the
    platform cannot."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (AttributeError, OSError) as exc:
        log.debug("prefetch thread priority unchanged: %s", exc)
        return False
    return True


class Prefetch:
    """One thread rendering ``lines`` ((step, sentence) in the order they will be said) ahead
    of the session; ``make_renderer`` is called on that thread (loading a voice takes time)."""

    def __init__(
        self,
        make_renderer: Callable[[], Renderer],
        lines: Iterable[tuple[int, str]],
        where: Where,
        *,
        ahead: int = AHEAD,
        poll_s: float = POLL_S,
    ) -> None:
        self._make_renderer = make_renderer
        self._lines = list(dict.fromkeys((s, t) for s, t in lines if t.strip()))
        self._where = where
        self._ahead = ahead
        self._poll_s = poll_s
        self._stopping = threading.Event()
        self._done: set[tuple[int, str]] = set()
        """(rate, sentence) rendered or found in the cache."""
        self.rendered: list[tuple[int, str]] = []
        """(rate, sentence) in the order this thread handled them (for tests and logs)."""
        self.lowered = False
        """Whether the thread got the lowest priority."""
        self.native_id: int | None = None
        """The thread's id in the operating system, once it runs."""
        self._thread = threading.Thread(target=self._run, name="speech-prefetch", daemon=True)

    def start(self) -> Prefetch:
        """Start the thread; returns self."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop after the sentence being rendered (waits at most ``timeout`` seconds)."""
        self._stopping.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.debug("prefetch still rendering; left behind")

    @property
    def running(self) -> bool:
        """Whether the thread is still at work."""
        return self._thread.is_alive()

    def next_line(self) -> tuple[int, str] | None:
        """The first (rate, sentence) not done yet of the step under way or the next ``ahead``
        ones (the steps gone by are not rendered again, e.g. at a new rate), or None."""
        now = self._where.step()
        rate = self._where.rate()
        for step, text in self._lines:
            if step > now + self._ahead:
                return None
            if step >= now and (rate, text) not in self._done:
                return rate, text
        return None

    def _over(self) -> bool:
        return self._stopping.is_set() or self._where.ended()

    def _run(self) -> None:
        self.native_id = threading.get_native_id()
        self.lowered = lower_this_thread()
        try:
            renderer = self._make_renderer()
        except Exception as exc:  # no prefetch: every line is rendered when it is said
            log.warning("speech prefetch cannot start: %s", exc)
            return
        while not self._over():
            todo = self.next_line()
            if todo is None:
                self._stopping.wait(self._poll_s)
                continue
            rate, text = todo
            try:
                renderer.render(text, rate)
            except Exception as exc:  # rendered again, on demand, when it is said
                log.warning("speech prefetch could not render %r: %s", text, exc)
            self._done.add(todo)
            self.rendered.append(todo)
        log.debug("speech prefetch ended: %d sentences", len(self.rendered))
