"""Fetch, verify and install a model archive so that no half-written model is ever left."""

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
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from companion.errors import ModelError
from companion.listen import models
from companion.listen.models import ModelSpec

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""Called with (bytes received, bytes expected or 0 when unknown)."""

CHUNK = 64 * 1024
TEMP_PREFIX = ".partial-"
"""Every temporary file or folder of a download starts with this (ignored by listings)."""


def install(
    spec: ModelSpec,
    folder: Path,
    *,
    url: str | None = None,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
    force: bool = False,
) -> Path:
    """Download ``spec`` into ``folder/<spec.name>``; returns the installed folder.

    The archive goes to a temporary file in ``folder``, is checked (size, SHA-256, zip
    integrity, expected model files), unpacked into a temporary folder there and only then
    renamed into place. On any failure or Ctrl-C the temporary files are removed.
    """
    target = folder / spec.name
    if models.is_vosk_dir(target) and not force:
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"Cannot create the model folder {folder}: {exc.strerror}") from exc
    with _locked(folder):
        _remove_leftovers(folder)
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX, suffix=".zip")
        archive = Path(tmp_name)
        unpack_dir: Path | None = None
        try:
            with os.fdopen(fd, "wb") as out:
                digest = _fetch(
                    url or os.environ.get(models.URL_ENV) or spec.url, out, progress, timeout_s
                )
            _verify(spec, archive, digest)
            unpack_dir = Path(tempfile.mkdtemp(dir=folder, prefix=TEMP_PREFIX))
            root = _unpack(archive, unpack_dir)
            models.check_vosk_dir(root)
            _swap_in(root, target, folder / f"{TEMP_PREFIX}old-{spec.name}")
        except OSError as exc:
            raise ModelError(
                f"The model could not be installed in {folder}: {exc.strerror or exc}. "
                "Nothing was installed."
            ) from exc
        finally:
            archive.unlink(missing_ok=True)
            if unpack_dir is not None:
                shutil.rmtree(unpack_dir, ignore_errors=True)
    log.info("installed %s in %s", spec.name, target)
    return target


def _swap_in(new: Path, target: Path, old: Path) -> None:
    """Rename ``new`` to ``target``; a model already there is kept until that has worked."""
    if not target.exists():
        os.replace(new, target)
        return
    os.replace(target, old)
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _fetch(url: str, out: BinaryIO, progress: Progress | None, timeout_s: float) -> str:
    """Stream ``url`` into ``out``; returns the SHA-256 hex digest of what was received."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            expected = int(response.headers.get("Content-Length") or 0)
            done = 0
            if progress:
                progress(0, expected)
            while chunk := response.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if progress:
                    progress(done, expected)
    except urllib.error.HTTPError as exc:
        raise ModelError(f"The model server answered {exc.code} {exc.reason} for {url}.") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(
            f"The model could not be downloaded from {url}: {reason}.",
            hint=f"Check the network, or set {models.URL_ENV} to a mirror.",
        ) from exc
    if expected and done != expected:
        raise ModelError(
            f"The download from {url} stopped early ({done} of {expected} bytes). "
            "Nothing was installed; try again."
        )
    return digest.hexdigest()


def _verify(spec: ModelSpec, archive: Path, digest: str) -> None:
    size = archive.stat().st_size
    if spec.size and size != spec.size:
        raise ModelError(
            f"The downloaded model archive has {size} bytes, not the published {spec.size}. "
            "Nothing was installed."
        )
    if spec.sha256 and digest != spec.sha256.lower():
        raise ModelError(
            f"The downloaded model archive does not match its published checksum "
            f"(got sha256 {digest}). Nothing was installed."
        )
    try:
        with zipfile.ZipFile(archive) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"The downloaded model archive is not a valid zip file: {exc}.") from exc
    if bad is not None:
        raise ModelError(f"The downloaded model archive is damaged (first bad member: {bad}).")


def _unpack(archive: Path, into: Path) -> Path:
    """Extract safely (no absolute or ``..`` paths); returns the model's top folder."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            parts = PurePosixPath(info.filename).parts
            if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
                raise ModelError(f"The model archive holds an unsafe path: {info.filename}.")
        z.extractall(into)
    entries = [p for p in into.iterdir() if not p.name.startswith("__MACOSX")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return into


def _remove_leftovers(folder: Path) -> None:
    """Remove temporary files of a download that was killed before it could clean up."""
    for stale in folder.glob(TEMP_PREFIX + "*"):
        log.info("removing unfinished download %s", stale)
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the model folder so two downloads never interleave."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; downloads are rare and manual there
        yield
        return
    with open(folder / ".download.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ModelError(f"Another model download into {folder} is running.") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
