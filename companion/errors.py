"""The one error hierarchy: each error has a code, a plain message and an exit status."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes of the command line."""

    OK = 0
    ERROR = 1
    USAGE = 2
    BAD_INPUT = 3
    DEVICE = 4
    MODEL = 5
    DATABASE = 6
    ALREADY_RUNNING = 7
    INTERRUPTED = 130


class CompanionError(Exception):
    """An error with a message a caregiver understands."""

    code = "error"
    exit_status = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  {self.hint}" if self.hint else self.message


class BadInputError(CompanionError):
    """A file, argument or value that cannot be used."""

    code = "bad-input"
    exit_status = ExitStatus.BAD_INPUT


class RoutineError(BadInputError):
    """The routine file is invalid; names the field, the line and what is allowed."""

    code = "routine"

    def __init__(
        self, message: str, *, field: str = "", line: int | None = None, hint: str = ""
    ) -> None:
        where = field + (f" (line {line})" if line else "")
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.field = field
        self.line = line


class DeviceError(CompanionError):
    """An audio device is missing or failed."""

    code = "device"
    exit_status = ExitStatus.DEVICE


class ModelError(CompanionError):
    """A speech model or engine is missing or broken."""

    code = "model"
    exit_status = ExitStatus.MODEL


class DatabaseError(CompanionError):
    """The history database cannot be used (damaged, foreign or too new)."""

    code = "database"
    exit_status = ExitStatus.DATABASE


class AlreadyRunningError(CompanionError):
    """Another companion daemon is already running."""

    code = "already-running"
    exit_status = ExitStatus.ALREADY_RUNNING
