"""The small interface of an input source: started with a sink, told when the session listens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from companion.events import Event, Listen

Sink = Callable[[Event], None]


class Source(Protocol):
    """Something that turns user actions into events (from its own thread)."""

    def start(self, sink: Sink) -> None:
        """Begin delivering events to ``sink``."""

    def listen(self, listen: Listen) -> None:
        """The session now listens for ``listen.commands``."""

    def close(self) -> None:
        """Stop delivering events and release what it holds."""


@runtime_checkable
class Expecting(Protocol):
    """A source told the next context before its question is shown (the keyboard)."""

    def expect(self, listen: Listen) -> None:
        """The session is about to ask in ``listen``'s context."""
