"""Where settings, history, logs and models live (``--data-dir`` or ``COMPANION_DATA_DIR``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout (prompts/ and models/ sit here in an editable install)."""


@dataclass(frozen=True)
class Paths:
    """All the files the companion reads and writes for one user."""

    data_dir: Path
    """History, logs, reminder store."""
    config_dir: Path
    """The caregiver's routine file."""

    @property
    def routine_file(self) -> Path:
        """The caregiver-editable routine (TOML)."""
        return self.config_dir / "routine.toml"

    @property
    def history_db(self) -> Path:
        """The SQLite history of sessions, sets, ratings and stops."""
        return self.data_dir / "history.sqlite3"

    @property
    def event_log(self) -> Path:
        """Every spoken line and every command, with time, one per line."""
        return self.data_dir / "events.log"

    @property
    def jobs_db(self) -> Path:
        """The reminder scheduler's job store."""
        return self.data_dir / "reminders.sqlite3"

    @property
    def voice_dir(self) -> Path:
        """The user's recordings of command words and the classifier retrained with them."""
        return self.data_dir / "voice"

    @property
    def daemon_lock(self) -> Path:
        """Lock file that keeps the daemon to one instance."""
        return self.data_dir / "daemon.lock"

    def ensure(self) -> Paths:
        """Create the folders if they are missing."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_dir.mkdir(parents=True, exist_ok=True)
        return self


def resolve(data_dir: str | os.PathLike[str] | None = None) -> Paths:
    """Paths from ``--data-dir``, else ``COMPANION_DATA_DIR``, else the XDG per-user folders."""
    chosen = data_dir or os.environ.get("COMPANION_DATA_DIR")
    if chosen:
        d = Path(chosen).expanduser()
        return Paths(data_dir=d, config_dir=d)
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "companion"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "companion"
    return Paths(data_dir=data, config_dir=config)


def prompts_dir() -> Path:
    """The folder of spoken wording (``COMPANION_PROMPTS_DIR`` overrides)."""
    env = os.environ.get("COMPANION_PROMPTS_DIR")
    if env:
        return Path(env)
    for candidate in (REPO_ROOT / "prompts", Path(__file__).resolve().parent / "prompts"):
        if candidate.is_dir():
            return candidate
    return REPO_ROOT / "prompts"


def models_dir() -> Path:
    """Where speech models are installed: ``COMPANION_MODELS_DIR``, else ``models/`` of the
    source checkout, else the per-user data folder (an ordinary install)."""
    env = os.environ.get("COMPANION_MODELS_DIR")
    if env:
        return Path(env)
    if (REPO_ROOT / "pyproject.toml").is_file():  # a source checkout: its models/ folder
        return REPO_ROOT / "models"
    data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data / "companion" / "models"
