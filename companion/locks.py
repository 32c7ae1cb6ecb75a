"""Advisory file locks (fcntl.flock) with a bounded wait: one routine edit, one session at a time.

The kernel releases a flock when its holder exits in any way (even SIGKILL), so a lock left by a
killed process never blocks. The lock file itself stays; it is never deleted (deleting it would
let two processes lock two different files).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from companion.errors import CompanionError

POLL_SECONDS = 0.05
"""How often a waiting process tries the lock again."""
LEAST_WAIT = 0.2
"""How long a process tries at least, even when told not to wait: ``is_held`` holds the lock
for a few microseconds to look, and must never make a process give up the lock it is taking."""


def holder_pid(path: Path) -> int | None:
    """The pid written in the lock file by its last holder, if any (for messages only)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _open(path: Path) -> int:
    """The lock file, opened for writing (created 0600) or, on a read-only folder, for reading;
    OSError if neither works."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        try:
            return os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # flock works on it too
        except OSError:
            pass
        raise  # the first error (read-only, not allowed, not a folder): said plainly at the edge


def _note_pid(fd: int) -> None:
    """Write our pid in the lock file (best effort: a full disk or a read-only file is fine)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)


def is_held(path: Path) -> bool:
    """Whether some process holds the lock on ``path`` now (False if there is no such file).

    Looks by taking a shared lock and letting it go at once: a process that tries to take the
    lock in that instant tries again (for LEAST_WAIT, see ``held``), so it is not refused.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextlib.contextmanager
def held(
    path: Path,
    *,
    wait: float,
    busy: Callable[[int | None], CompanionError],
    note_pid: bool = True,
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created 0600 if missing) for the ``with`` block.

    Waits at most ``wait`` seconds (at least LEAST_WAIT) for another holder to let go, then
    raises ``busy(pid)``
    (pid: the holder's, if known). The holder's pid is written in the file while it is held,
    unless ``note_pid`` is False (then the file is never written, so it stays as it was).
    """
    fd = _open(path)
    try:
        deadline = time.monotonic() + max(wait, LEAST_WAIT)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise busy(holder_pid(path)) from None
                time.sleep(POLL_SECONDS)
        if note_pid:
            _note_pid(fd)
        try:
            yield
        finally:
            if note_pid:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
