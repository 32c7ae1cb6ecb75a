"""Fetch a Piper voice (its .onnx model and .onnx.json settings) so that no half-written voice
is ever left: files are downloaded to temporary names, checked against the catalogue's sizes and
checksums (SHA-256 where given, else the MD5 it publishes), and only then renamed into place.

The catalogue is ``voices.json`` of the rhasspy/piper-voices layout: one entry per voice name,
whose ``files`` map paths under the base address to ``size_bytes`` and ``md5_digest`` (and here
optionally ``sha256_digest``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from companion import download
from companion.download import Progress
from companion.errors import BadInputError, ModelError
from companion.files import fsync_dir

log = logging.getLogger(__name__)

BASE_URL = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
URL_ENV = "COMPANION_VOICES_URL"
"""A mirror of the voices' base address (with voices.json at its top)."""
NAME = re.compile(r"^[a-z]{2,3}_[A-Z]{2}-[A-Za-z0-9_]+-(x_low|low|medium|high)$")
SOURCE = download.Source(
    "voice", hint=f"Check the network, or set {URL_ENV} to a mirror (or use --url)."
)
__all__ = ["Progress", "VoiceFileSpec", "base_url", "catalogue_entry", "check_name", "install"]


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
        download.fetch(url, raw, SOURCE, None, timeout_s)
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
    with download.staging(folder, SOURCE, folder_label="voices folder", mode=0o700) as stage:
        fetched: list[tuple[Path, Path]] = []
        for spec in specs:
            partial, got = stage.fetch(f"{base}/{spec.path}", progress, timeout_s)
            wanted = (sha256 or "") if spec.path.endswith(".onnx") else ""
            file_name = PurePosixPath(spec.path).name
            download.verify(
                partial, file_name, got, size=spec.size, sha256=[spec.sha256, wanted], md5=spec.md5
            )
            fetched.append((partial, folder / file_name))
        for tmp, final in fetched:  # the model first: a voice is listed once its .json is in
            os.chmod(tmp, 0o600)
            os.replace(tmp, final)
        fsync_dir(folder)
    log.info("installed voice %s in %s", name, folder)
    return folder / f"{name}.onnx"
