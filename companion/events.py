"""Typed, frozen events into the session and effects out of it (the one-way flow)."""

from __future__ import annotations

from dataclasses import dataclass

from companion.commands import Command, Context
from companion.records import Record as HistoryRecord

# ---- events: what happens to the session ---------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """A command from any input."""

    command: Command
    value: int | None = None
    """The number, for NUMBER."""
    source: str = "key"
    """voice, key, switch or script."""
    text: str = ""
    """What was said or pressed, as received."""
    confidence: float = 1.0
    unsure: bool = False
    """The recogniser was not sure: the session asks before acting (never for safety words)."""


@dataclass(frozen=True)
class NotUnderstood:
    """Input that is no command live now (an unknown key or phrase)."""

    text: str
    source: str = "key"


@dataclass(frozen=True)
class Tick:
    """Time has passed (the loop sends one at the session's ``wake_at``)."""


@dataclass(frozen=True)
class DeviceProblem:
    """An audio device is missing or failed; the session goes on another way."""

    device: str
    """speaker or microphone."""
    detail: str = ""


@dataclass(frozen=True)
class Begin:
    """Start the session."""


@dataclass(frozen=True)
class InputEnded:
    """The script (or stdin) has no more lines: the user has gone."""


Event = Heard | NotUnderstood | Tick | DeviceProblem | Begin | InputEnded

# ---- effects: what the session asks the loop to do -----------------------------------------


@dataclass(frozen=True)
class Say:
    """Speak a line and show it as a caption."""

    text: str
    key: str = ""
    """The prompt key it came from (for logs and tests)."""
    beat: bool = False
    """A count on the beat: say it now, cutting short anything still being said."""


@dataclass(frozen=True)
class StopSpeech:
    """Cut off whatever is being said now."""


@dataclass(frozen=True)
class Listen:
    """Listen for the commands live in ``context``."""

    context: Context
    commands: frozenset[Command]
    suggested: Command | None = None
    """What one press of the single switch means now."""
    status: str = ""
    """Where the session is, for the status line ("Exercise 1 of 3: Wrist bend. Set 1 of 2.")."""


@dataclass(frozen=True)
class SetVoice:
    """Change speech rate (words per minute) and volume (0-1)."""

    rate: int
    volume: float


@dataclass(frozen=True)
class Record:
    """Write something to the history."""

    record: HistoryRecord


@dataclass(frozen=True)
class End:
    """The session is over."""

    how: str
    """How it ended: a session's ``records.Outcome`` (completed, skipped, stopped, pain,
    safety_check, warning_signs, incomplete), or a reminder's outcome (started, snoozed,
    skipped, no_answer: ``reminders.times.OUTCOMES``)."""


Effect = Say | StopSpeech | Listen | SetVoice | Record | End
