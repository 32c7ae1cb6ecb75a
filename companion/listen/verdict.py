"""What the listener hands on: a command it accepted from one utterance."""

from __future__ import annotations

from dataclasses import dataclass

from companion.commands import Command


@dataclass(frozen=True)
class Decision:
    """A command the listener accepted."""

    command: Command
    value: int | None
    """The number in the number context, else None."""
    text: str
    """The words heard."""
    confidence: float
    """0-1; from the engine's second opinion."""
    decided_at_s: float
    """Position in the audio fed so far at which it was decided."""
    unsure: bool = False
    """The session should ask "I heard ... Is that right?" (never for safety commands)."""
