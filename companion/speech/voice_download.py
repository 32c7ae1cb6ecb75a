"""Fetch a Piper voice (its .onnx model and .onnx.json settings) so that no half-written voice
is ever left: files are downloaded to temporary names, checked against the catalogue's sizes and
checksums (SHA-256 where given, else the MD5 it publishes), and only then renamed into place.

The catalogue is ``voices.json`` of the rhasspy/piper-voices layout: one entry per voice name,
whose ``files`` map paths under the base address to ``size_bytes`` and ``md5_digest`` (and here
optionally ``sha256_digest``).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import logging
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from companion.errors import BadInputError, ModelError
from companion.files import fsync_dir

log = logging.getLogger(__name__)

BASE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
URL_ENV = "COMPANION_VOICES_URL"
"""A mirror of the voices' base address (with voices.json at its top)."""
CHUNK = 64 * 1024
TEMP_PREFIX = ".partial-"
NAME = re.compile(r"^[a-z]{2,3}_[A-Z]{2}-[A-Za-z0-9_]+-(x_low|low|medium|high)$")

Progress = Callable[[int, int], None]
"""Called with (bytes received, bytes expected or 0 when unknown)."""


@dataclass(frozen=True)
class VoiceFileSpec:
    """One file of a voice as the catalogue lists it."""

    path: str
    size: int
    md5: str
    sha256: str


def check_name(name: str) -> str:
    """``name`` if it is a Piper voice name like en_US-lessac-medium, else BadInputError."""
    if not NAME.fullmatch(name):
        raise BadInputError(
            f"{name!r} is not a Piper voice name.",
            hint="Voice names look like en_US-lessac-medium (language_REGION-speaker-quality).",
        )
    return name


def base_url(override: str | None = None) -> str:
    """Where voices are fetched from: ``override``, else ``COMPANION_VOICES_URL``, else the
    rhasspy/piper-voices repository."""
    return (override or os.environ.get(URL_ENV) or BASE_URL).rstrip("/")


def catalogue_entry(name: str, base: str, timeout_s: float = 30.0) -> list[VoiceFileSpec]:
    """The model and settings files of voice ``name`` from ``base``/voices.json."""
    url = f"{base}/voices.json"
    with tempfile.TemporaryFile() as raw:
        _fetch(url, raw, None, timeout_s)
        raw.seek(0)
        try:
            catalogue: Any = json.load(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(f"The voice list at {url} cannot be read: {exc}.") from exc
    entry = catalogue.get(name) if isinstance(catalogue, dict) else None
    if not isinstance(entry, dict):
        raise BadInputError(
            f"There is no Piper voice called {name!r} at {base}.",
            hint="Check the name against the voice list (voices.json there).",
        )
    files: list[VoiceFileSpec] = []
    for path, info in (entry.get("files") or {}).items():
        if path.endswith((".onnx", ".onnx.json")) and isinstance(info, dict):
            files.append(
                VoiceFileSpec(
                    path,
                    int(info.get("size_bytes") or 0),
                    str(info.get("md5_digest") or "").lower(),
                    str(info.get("sha256_digest") or "").lower(),
                )
            )
    wanted = {f"{name}.onnx", f"{name}.onnx.json"}
    if {PurePosixPath(f.path).name for f in files} != wanted:
        raise ModelError(f"The voice list at {url} does not list {name}'s model and settings.")
    for f in files:
        if ".." in PurePosixPath(f.path).parts or f.path.startswith("/"):
            raise ModelError(f"The voice list at {url} gives an unsafe path: {f.path}.")
        if not (f.md5 or f.sha256):
            raise ModelError(f"The voice list at {url} gives no checksum for {f.path}.")
    return sorted(files, key=lambda f: f.path.endswith(".json"))  # the model first


def install(
    name: str,
    folder: Path,
    *,
    url: str | None = None,
    sha256: str | None = None,
    progress: Progress | None = None,
    timeout_s: float = 30.0,
) -> Path:
    """Download voice ``name`` into ``folder``; returns the installed model's path.

    ``sha256`` (optional) is the expected SHA-256 of the .onnx model, checked as well as the
    catalogue's checksums. Both files are fetched and checked before either is put in place;
    on any failure or Ctrl-C the temporary files are removed and the folder is as it was.
    """
    check_name(name)
    base = base_url(url)
    specs = catalogue_entry(name, base, timeout_s)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"Cannot create the voices folder {folder}: {exc.strerror}") from exc
    with _locked(folder):
        _remove_leftovers(folder)
        temps: list[tuple[Path, Path]] = []
        try:
            for spec in specs:
                fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
                partial = Path(tmp_name)
                temps.append((partial, folder / PurePosixPath(spec.path).name))
                with os.fdopen(fd, "wb") as out:
                    md5, sha = _fetch(f"{base}/{spec.path}", out, progress, timeout_s)
                    out.flush()
                    os.fsync(out.fileno())
                wanted = sha256.lower() if sha256 and spec.path.endswith(".onnx") else ""
                _verify(spec, partial, md5, sha, wanted)
            for tmp, final in temps:  # the model first: a voice is listed once its .json is in
                os.chmod(tmp, 0o600)
                os.replace(tmp, final)
            fsync_dir(folder)
        except OSError as exc:
            raise ModelError(
                f"The voice could not be installed in {folder}: {exc.strerror or exc}. "
                "Nothing was installed."
            ) from exc
        finally:
            for tmp, _ in temps:
                tmp.unlink(missing_ok=True)
    log.info("installed voice %s in %s", name, folder)
    return folder / f"{name}.onnx"


def _fetch(url: str, out: Any, progress: Progress | None, timeout_s: float) -> tuple[str, str]:
    """Stream ``url`` into ``out``; returns the MD5 and SHA-256 hex digests of what came."""
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
        raise ModelError(f"The voice server answered {exc.code} {exc.reason} for {url}.") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise ModelError(
            f"The voice could not be downloaded from {url}: {reason}.",
            hint=f"Check the network, or set {URL_ENV} to a mirror (or use --url).",
        ) from exc
    if expected and done != expected:
        raise ModelError(
            f"The download from {url} stopped early ({done} of {expected} bytes). "
            "Nothing was installed; try again."
        )
    return md5.hexdigest(), sha.hexdigest()


def _verify(spec: VoiceFileSpec, path: Path, md5: str, sha: str, wanted_sha: str) -> None:
    name = PurePosixPath(spec.path).name
    size = path.stat().st_size
    if spec.size and size != spec.size:
        raise ModelError(
            f"The downloaded {name} has {size} bytes, not the published {spec.size}. "
            "Nothing was installed."
        )
    for expected, got in ((spec.sha256, sha), (wanted_sha, sha), (spec.md5, md5)):
        if expected and got != expected:
            raise ModelError(
                f"The downloaded {name} does not match its published checksum "
                f"(got sha256 {sha}). Nothing was installed."
            )


def _remove_leftovers(folder: Path) -> None:
    """Remove temporary files of a download that was killed before it could clean up."""
    for stale in folder.glob(TEMP_PREFIX + "*"):
        log.info("removing unfinished download %s", stale)
        stale.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on the voices folder so two downloads never interleave."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; downloads are rare and manual there
        yield
        return
    with open(folder / ".download.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ModelError(f"Another voice download into {folder} is running.") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
