"""Download files into a folder so that nothing half-written is ever left there.

Shared by the speech-model and the voice downloads: one download at a time per folder (a lock),
leftovers of a killed download removed first, each file streamed to a temporary name in the
folder and checked (size, checksums) before the caller renames it into place; on any failure
or Ctrl-C the temporary files are removed and the folder is as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from companion import locks
from companion.errors import ModelError

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (bytes received, bytes expected or 0 when unknown)."""

CHUNK = 64 * 1024
TEMP_PREFIX = ".partial-"
"""Every temporary file or folder of a download starts with this (ignored by listings)."""
LOCK_NAME = ".download.lock"
"""The lock file in the folder downloaded into (kept: see companion.locks)."""


@dataclass(frozen=True)
class Digests:
    """Checksums of what was received, as lower-case hex."""

    md5: str
    sha256: str


@dataclass(frozen=True)
class Source:
    """What is being downloaded, for the messages: ``what`` is the noun ("model", "voice"),
    ``hint`` what to try when the server cannot be reached."""

    what: str
    hint: str


def fetch(
    url: str, out: BinaryIO, source: Source, progress: Progress | None, timeout_s: float
) -> Digests:
    """Stream ``url`` into ``out``; the checksums of what came. ModelError when the server
    refuses, cannot be reached or stops before the length it announced."""
    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            expected = int(response.headers.get("Content-Length") or 0)
            done = 0
            if progress:
                progress(0, expected)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                md5.update(chunk)
                sha.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, expected)
    except urllib.error.HTTPError as exc:
        raise ModelError(
            f"The {source.what} server answered {exc.code} {exc.reason} for {url}."
        ) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(
            f"The {source.what} could not be downloaded from {url}: {reason}.", hint=source.hint
        ) from exc
    if expected and done != expected:
        raise ModelError(
            f"The download from {url} stopped early ({done} of {expected} bytes). "
            "Nothing was installed; try again."
        )
    return Digests(md5.hexdigest(), sha.hexdigest())


def verify(
    path: Path,
    label: str,
    got: Digests,
    *,
    size: int = 0,
    sha256: Iterable[str] = (),
    md5: str = "",
) -> None:
    """ModelError unless the file at ``path`` (called ``label`` in messages) has ``size`` bytes
    and the given checksums; an empty or zero expectation is not checked."""
    actual = path.stat().st_size
    if size and actual != size:
        raise ModelError(
            f"The downloaded {label} has {actual} bytes, not the published {size}. "
            "Nothing was installed."
        )
    pairs = [(want, got.sha256) for want in sha256] + [(md5, got.md5)]
    if any(want and want.lower() != have for want, have in pairs):
        raise ModelError(
            f"The downloaded {label} does not match its published checksum "
            f"(got sha256 {got.sha256}). Nothing was installed."
        )


@dataclass
class Staging:
    """The temporary files and folders of one download in ``folder``."""

    folder: Path
    source: Source
    temps: list[Path]

    def fetch(
        self, url: str, progress: Progress | None, timeout_s: float, *, suffix: str = ""
    ) -> tuple[Path, Digests]:
        """Download ``url`` to a new temporary file in the folder (flushed to disk)."""
        fd, name = tempfile.mkstemp(dir=self.folder, prefix=TEMP_PREFIX, suffix=suffix)
        path = Path(name)
        self.temps.append(path)
        with os.fdopen(fd, "wb") as out:
            got = fetch(url, out, self.source, progress, timeout_s)
            out.flush()
            os.fsync(out.fileno())
        return path, got

    def scratch_dir(self) -> Path:
        """A new temporary folder in the folder (to unpack into)."""
        path = Path(tempfile.mkdtemp(dir=self.folder, prefix=TEMP_PREFIX))
        self.temps.append(path)
        return path


@contextlib.contextmanager
def staging(
    folder: Path, source: Source, *, folder_label: str, mode: int = 0o777
) -> Iterator[Staging]:
    """Create ``folder`` if needed, hold its download lock, remove the leftovers of a killed
    download, and yield a Staging whose temporary files are all removed at the end.

    An OSError inside (a full disk, a folder that cannot be written) becomes a ModelError that
    says nothing was installed; another download already running is one too.
    """
    try:
        folder.mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"Cannot create the {folder_label} {folder}: {exc.strerror}") from exc

    def busy(_pid: int | None) -> ModelError:
        return ModelError(f"Another {source.what} download into {folder} is running.")

    try:
        lock = locks.held(folder / LOCK_NAME, wait=0, busy=busy, note_pid=False)
        with lock:
            remove_leftovers(folder)
            stage = Staging(folder, source, [])
            try:
                yield stage
            finally:
                for temp in stage.temps:
                    _remove(temp)
    except OSError as exc:
        raise ModelError(
            f"The {source.what} could not be installed in {folder}: {exc.strerror or exc}. "
            "Nothing was installed."
        ) from exc


def remove_leftovers(folder: Path) -> None:
    """Remove temporary files of a download that was killed before it could clean up."""
    for stale in folder.glob(TEMP_PREFIX + "*"):
        log.info("removing unfinished download %s", stale)
        _remove(stale)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
