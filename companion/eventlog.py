"""The event log: every spoken line and every command, with time, one line each, appended.

Owner-only (0600). It is a record for caregivers and tests, never a reason to stop a session:
a log that cannot be opened or written (read-only, full disk) is reported once and then skipped,
and a line is written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
from pathlib import Path

from companion import paths

log = logging.getLogger(__name__)


class EventLog:
    """Appends ``time<TAB>kind<TAB>json-details`` lines to a text file, each in one write."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.problem: str | None = None
        """Why lines are not being written, once that happened (for the caller to report)."""
        self._fd: int | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(
                    path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600
                )
            except OSError as exc:
                self._fail(exc)
                return
            paths.tighten(path)

    def _fail(self, exc: OSError) -> None:
        if self.problem is None:
            self.problem = exc.strerror or str(exc)
            log.warning(
                "The event log %s cannot be written (%s); the companion goes on without it.",
                self.path,
                self.problem.lower(),
            )

    def write(self, at: dt.datetime, kind: str, **details: object) -> None:
        """Append one event (skipped, after one warning, while the file cannot be written)."""
        if self._fd is None:
            return
        line = f"{at.isoformat(timespec='milliseconds')}\t{kind}\t"
        line += json.dumps(details, ensure_ascii=False, default=str)
        data = (line + "\n").encode("utf-8", "backslashreplace")
        try:
            size = os.fstat(self._fd).st_size
        except OSError as exc:
            self._fail(exc)
            return
        try:
            written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(
                    errno.ENOSPC, os.strerror(errno.ENOSPC)
                )  # a short write: the disk is full
        except OSError as exc:
            self._fail(exc)
            self._cut(size)

    def _cut(self, size: int) -> None:
        """Remove a half-written line (best effort), so the file holds whole lines only."""
        if self._fd is None:
            return
        try:
            if os.fstat(self._fd).st_size > size:
                os.ftruncate(self._fd, size)
        except OSError:
            pass

    def close(self) -> None:
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
