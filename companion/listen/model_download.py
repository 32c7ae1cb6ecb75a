"""Fetch, verify and install a model archive so that no half-written model is ever left."""

from __future__ import annotations

import logging
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from companion import download
from companion.download import TEMP_PREFIX, Progress
from companion.errors import ModelError
from companion.listen import models
from companion.listen.models import ModelSpec

log = logging.getLogger(__name__)

SOURCE = download.Source("model", hint=f"Check the network, or set {models.URL_ENV} to a mirror.")
__all__ = ["TEMP_PREFIX", "Progress", "install"]


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
    with download.staging(folder, SOURCE, folder_label="model folder") as stage:
        archive, got = stage.fetch(
            url or os.environ.get(models.URL_ENV) or spec.url, progress, timeout_s, suffix=".zip"
        )
        download.verify(archive, "model archive", got, size=spec.size, sha256=[spec.sha256])
        _check_zip(archive)
        root = _unpack(archive, stage.scratch_dir())
        models.check_vosk_dir(root)
        _swap_in(root, target, folder / f"{TEMP_PREFIX}old-{spec.name}")
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


def _check_zip(archive: Path) -> None:
    """ModelError unless ``archive`` is a zip file whose members all read back intact."""
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
