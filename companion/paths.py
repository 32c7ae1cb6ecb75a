"""Where settings, history, logs and models live (``--data-dir`` or ``COMPANION_DATA_DIR``), and
keeping those folders private to their owner (folders 0700, files 0600)."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from companion.errors import StorageError, file_in_the_way, storage_error

log = logging.getLogger(__name__)

GROUP_AND_OTHERS = 0o077
"""Permission bits no file or folder of the companion keeps (folders 0700, files 0600)."""
MARKERS = ("history.sqlite3", "routine.toml", "events.log", "reminders.sqlite3", "voice")
"""Names that show a folder holds the companion's files (only such a folder is tightened)."""

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout (prompts/ and models/ sit here in an editable install)."""


DIR_MODE = 0o700
"""Every folder the companion makes: its owner's only."""


def private_dir(path: Path) -> Path:
    """Make ``path`` and any missing parents with mode 0700, and tighten it if it exists.

    Parents that already exist are left alone (they are not the companion's). Raises ``OSError``
    (``FileExistsError`` when a part of the path is a file).
    """
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not probe.exists() and not probe.is_symlink():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another process
            folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is cut by the umask
    if not path.is_dir():
        raise FileExistsError(f"{path} is a file, not a folder")
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        try:
            os.chmod(path, DIR_MODE)
        except PermissionError:  # not the owner: nothing the companion may change
            log.warning("cannot make %s private (owned by another account)", path)
    return path


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

    @property
    def session_lock(self) -> Path:
        """Lock file held by the running session (one at a time; the daemon waits while held)."""
        return self.data_dir / "session.lock"

    @property
    def speech_cache(self) -> Path:
        """Lines already rendered by the Piper voice (read by sessions, filled by ``voices
        prepare``)."""
        return self.data_dir / "speech-cache"

    @property
    def folders(self) -> tuple[Path, ...]:
        """The data folder and the config folder (once if they are the same)."""
        return tuple(dict.fromkeys((self.data_dir, self.config_dir)))

    def check(self) -> Paths:
        """Refuse folders that cannot be one: a file stands at (or above) the folder's path."""
        for folder in self.folders:
            blocker = file_in_the_way(folder)
            if blocker is not None:
                raise StorageError(
                    f"{folder} is a file, not a folder; the companion keeps its files in a folder."
                    if Path(blocker) == Path(folder).absolute()
                    else f"{blocker} is a file, not a folder, so the companion cannot make its "
                    f"folder {folder}.",
                    hint="Nothing was changed. Move that file away, or choose another folder "
                    "with --data-dir.",
                )
        return self

    def ensure(self) -> Paths:
        """Create the folders if they are missing (mode 0700 whatever the umask); StorageError
        if one cannot be made. Existing folders are made private where possible."""
        self.check()
        for folder in self.folders:
            if folder.is_dir():
                tighten(folder)
                continue
            try:
                private_dir(folder)
            except OSError as exc:
                raise storage_error(exc, folder) from exc
        return self

    def make_private(self) -> list[Path]:
        """Tighten an existing install: the folders to 0700 and every file in them to 0600, where
        group or others could read or write (an install from before this rule, or files copied
        in). Only folders holding the companion's files are touched; symbolic links, files of
        other accounts and the models folder are left alone. Returns what was changed."""
        changed: list[Path] = []
        skip = {models_dir().resolve()}
        for folder in self.folders:
            if not _is_ours(folder):
                continue
            for path in _entries(folder.resolve(), skip):  # a linked data folder: its target
                if tighten(path):
                    changed.append(path)
        if changed:
            log.warning(
                "%d of the companion's files and folders could be read by other accounts; "
                "now only by this one: %s",
                len(changed),
                ", ".join(str(p) for p in changed[:5]) + (", ..." if len(changed) > 5 else ""),
            )
        return changed


def _is_ours(folder: Path) -> bool:
    """Whether ``folder`` is a companion folder: it holds one of the companion's files."""
    return folder.is_dir() and any(os.path.lexists(folder / name) for name in MARKERS)


def _entries(folder: Path, skip: set[Path]) -> Iterator[Path]:
    """``folder`` and everything under it (links not followed), folders before their files."""
    yield folder
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        dirs[:] = [d for d in dirs if (here / d).resolve() not in skip]
        for name in dirs + names:
            yield here / name


def tighten(path: Path) -> bool:
    """Take group and other permissions away from ``path`` (a file or folder of this account,
    not a link); True if changed. A read-only disk or another account's file is left alone."""
    try:
        st = path.lstat()
        if st.st_uid != os.geteuid():
            return False
        if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            return False  # links, sockets, pipes
        if not stat.S_IMODE(st.st_mode) & GROUP_AND_OTHERS:
            return False
        os.chmod(path, stat.S_IMODE(st.st_mode) & ~GROUP_AND_OTHERS)
    except OSError as exc:
        log.debug("cannot make %s private: %s", path, exc)
        return False
    return True


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
