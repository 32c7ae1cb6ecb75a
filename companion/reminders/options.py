"""How the reminder daemon runs: its options from the command line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Options:
    """How the daemon runs."""

    data_dir_arg: str | None = None
    """``--data-dir`` as given, handed on to the session it starts."""
    at: tuple[str, ...] = ()
    """Reminder times (HH:MM[:SS]) used instead of the routine's; for tests and demos."""
    script: tuple[str | float, ...] | None = None
    """Scripted answers (phrases and wait seconds) shared by every reminder of this run."""
    voice: bool = True
    """Speak (otherwise captions only)."""
    time_scale: float = 1.0
    """Snoozes, answer waits and script waits run this many times faster."""
    answer_seconds: float = 120.0
    """How long a reminder waits for an answer before the gentle second one."""
    listen: bool = True
    """Listen for spoken answers with the microphone (when voice input is on in the routine)."""
    session: bool = True
    """Run today's session when the user says start."""
    session_args: tuple[str, ...] = ()
    """Extra arguments for ``companion session``."""
