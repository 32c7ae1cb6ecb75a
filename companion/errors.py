"""The one error hierarchy: each error has a code, a plain message and an exit status."""

from __future__ import annotations

import errno
import os
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
    STORAGE = 8
    """The data folder or the disk cannot be written (read-only, full, or a file in its place)."""
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


class StorageError(CompanionError):
    """A folder or file cannot be written: read-only, not allowed, the disk is full, or a file
    stands where a folder should be. Nothing was half-written."""

    code = "storage"
    exit_status = ExitStatus.STORAGE


READ_ONLY = (errno.EROFS,)
NOT_ALLOWED = (errno.EACCES, errno.EPERM)
FULL = (errno.ENOSPC, errno.EDQUOT)
TOO_BIG = (errno.EFBIG,)
NOT_A_FOLDER = (errno.ENOTDIR, errno.EEXIST)
NOTHING_CHANGED = "Nothing was changed."
_KEEP = NOTHING_CHANGED
_ASK = (
    "Ask whoever looks after this computer to let this account write there, or choose another "
    "folder with --data-dir."
)
_FREE = "Free some space (delete files you no longer need, empty the wastebasket), then try again."


def _place(exc: OSError, where: os.PathLike[str] | str | None) -> str:
    """The path to name: ``where``, else the error's file (a temporary file: its folder)."""
    if where is not None:
        return os.fspath(where)
    name = os.fsdecode(exc.filename) if exc.filename is not None else ""
    base = os.path.basename(name)
    if base.startswith(".") and base.endswith(".tmp"):
        return os.path.dirname(name) or "."
    return name


def file_in_the_way(path: os.PathLike[str] | str) -> str | None:
    """The first part of ``path`` that exists but is not a folder (``path`` itself included)."""
    parts: list[str] = []
    probe = os.path.abspath(os.fspath(path))
    while True:
        parts.append(probe)
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    for part in reversed(parts):
        if not os.path.lexists(part):
            return None
        if not os.path.isdir(part):
            return part
    return None


def storage_error(exc: OSError, where: os.PathLike[str] | str | None = None) -> StorageError:
    """A plain sentence for a failed write of ``where`` (else of the file the error names)."""
    place = _place(exc, where)
    there = f" in {place}" if place else ""
    if exc.errno in READ_ONLY:
        return StorageError(
            f"{place or 'The folder'} is on a read-only disk, so nothing can be saved there.",
            hint=f"{_KEEP} {_ASK}",
        )
    if exc.errno in NOT_ALLOWED:
        return StorageError(f"This account is not allowed to write{there}.", hint=f"{_KEEP} {_ASK}")
    if exc.errno in FULL:
        return StorageError(
            f"The disk is full, so nothing more can be saved{there}.", hint=f"{_KEEP} {_FREE}"
        )
    if exc.errno in TOO_BIG:
        return StorageError(
            f"A file{there} has reached the largest size this computer allows.",
            hint=f"{_KEEP} {_FREE}",
        )
    if exc.errno in NOT_A_FOLDER and place:
        blocker = file_in_the_way(place) or place
        return StorageError(
            f"{blocker} is a file, not a folder, so the companion cannot keep its files there.",
            hint=f"{_KEEP} Move that file away, or choose another folder with --data-dir.",
        )
    reason = exc.strerror or str(exc)
    return StorageError(
        f"{place or 'A file'} cannot be used: {reason[:1].lower()}{reason[1:]}.", hint=_KEEP
    )
