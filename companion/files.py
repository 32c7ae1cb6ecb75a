"""The one place that writes files: atomically, owner-only (0600 files, 0700 folders), never over
the companion's own files, and never over a stranger's file without ``--force``."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from companion.errors import BadInputError
from companion.paths import Paths, models_dir
from companion.paths import private_dir as private_dir  # folders are made there

log = logging.getLogger(__name__)

FILE_MODE = 0o600
"""Every file the companion writes: readable and writable by its owner only."""
OWN_PATTERNS = ("*.lock", "*.sqlite3", "*.sqlite3-*", "*.log", "*.log.*", "*.toml", "*.npz")
"""Names of files in the data and config folders that are the companion's own, whatever else
is there (a report or export written into the data folder is not among them)."""
HEAD_BYTES = 4096
"""How much of an existing file is read to recognise an earlier output."""


def fsync_dir(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` all or nothing, mode 0600 whatever the umask.

    A temporary file in the same folder is written, flushed to disk and renamed over ``path``;
    on any failure (a full disk, an interrupt) it is removed and ``path`` is left as it was.
    The folder must exist. Raises ``OSError``; the caller knows what the file is for and says so.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(raw)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


@dataclass(frozen=True)
class OutputKind:
    """A kind of file the companion writes for people (a report, a CSV export), and how an
    earlier one is recognised so that it may be replaced without ``--force``."""

    noun: str
    """What the file is, for messages: "report", "CSV export"."""
    recognise: Callable[[Path, bytes], bool]
    """True when a file (its path and first ``HEAD_BYTES``) is an earlier output of this kind."""


def own_files(p: Paths) -> list[Path]:
    """The companion's own files and folders for ``p``: never an output path."""
    files = [p.routine_file, p.event_log, p.daemon_lock, p.voice_dir, models_dir()]
    files += [p.session_lock, p.routine_file.with_name(p.routine_file.name + ".lock")]
    for db in (p.history_db, p.jobs_db):
        files += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    # whatever else the companion keeps there: locks, databases, logs, settings
    for folder in {p.data_dir, p.config_dir}:
        if folder.is_dir():
            for pattern in OWN_PATTERNS:
                files += sorted(folder.glob(pattern))
    return files


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_own(out: Path, own: Iterable[Path]) -> Path | None:
    """The own file ``out`` is, or lies inside; compared by resolved path and by inode."""
    resolved = out.resolve()
    for f in own:
        f_resolved = Path(f).resolve()
        if resolved == f_resolved or _same(out, f):
            return Path(f)
        if f_resolved in resolved.parents or any(
            _same(parent, f) for parent in resolved.parents if Path(f).is_dir()
        ):
            return Path(f)
    return None


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(HEAD_BYTES)
    except OSError:
        return b""


def refuse_own(out: Path, own_files: Iterable[Path]) -> Path:
    """Raise ``BadInputError`` if ``out`` is, or lies inside, one of ``own_files`` (compared by
    resolved path and by inode, so relative paths and links are caught); else ``out`` resolved."""
    hit = _is_own(Path(out), list(own_files))
    if hit is not None:
        raise BadInputError(
            f"{out} is one of the companion's own files ({hit.name}); it is never replaced.",
            hint="Choose another name, for example report.html in your home folder.",
        )
    return Path(out).resolve()


def check_output_path(
    out: Path, own_files: Iterable[Path], force: bool, kind: OutputKind | None = None
) -> Path:
    """Refuse ``out`` if it is (or lies inside) one of ``own_files``, or if it is an existing file
    that is not an earlier output of ``kind`` and ``force`` is not given; else return the
    resolved path to write (a symbolic link is followed, so its target is replaced).

    Raises ``BadInputError`` with a plain message; nothing is written or changed.
    """
    out = Path(out)
    target = refuse_own(out, own_files)
    if not target.exists():
        return target
    st = target.stat()
    if stat.S_ISDIR(st.st_mode):
        raise BadInputError(f"{out} is a folder; give a file name.")
    if not stat.S_ISREG(st.st_mode):
        raise BadInputError(f"{out} is not an ordinary file; give a file name.")
    if force or (kind is not None and kind.recognise(target, _head(target))):
        return target
    what = f"an earlier {kind.noun}" if kind else "a file the companion wrote"
    raise BadInputError(
        f"{out} already exists and is not {what}; it was left as it was.",
        hint="Choose another name, or add --force to replace it.",
    )
