"""Notices a changed routine file by polling: its size and times first, then its content's hash."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

MAX_BYTES = 1 << 20
"""A bigger file is not hashed (the routine loader refuses it anyway); its size and times count."""

Stamp = tuple[int, int, int, int]
"""(inode, size, mtime_ns, ctime_ns); all zero when the file is missing."""


def _stamp(path: Path) -> Stamp:
    try:
        st = path.stat()
    except OSError:
        return (0, 0, 0, 0)
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _digest(path: Path, stamp: Stamp) -> str:
    if stamp == (0, 0, 0, 0):
        return "missing"
    if stamp[1] > MAX_BYTES:
        return f"large {stamp}"
    try:
        with path.open("rb") as f:
            return hashlib.sha256(f.read(MAX_BYTES + 1)).hexdigest()
    except OSError as exc:
        return f"unreadable {os.strerror(exc.errno or 0)}"


class FileWatch:
    """``mark()`` when the file is read; ``changed()`` is True once per change after that."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: Stamp = (0, 0, 0, 0)
        self._digest = "missing"

    def mark(self) -> None:
        """Take the file as it is now as the one in use (call just before reading it)."""
        stamp = _stamp(self.path)
        digest = _digest(self.path, stamp)
        with self._lock:
            self._stamp, self._digest = stamp, digest

    def changed(self) -> bool:
        """Whether the file differs from the one marked (the change is then marked)."""
        stamp = _stamp(self.path)
        with self._lock:
            if stamp == self._stamp:
                return False
        digest = _digest(self.path, stamp)
        with self._lock:
            self._stamp = stamp
            if digest == self._digest:
                return False  # touched or rewritten with the same content
            self._digest = digest
            return True
