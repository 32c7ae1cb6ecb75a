"""The health data stays private: the data and config folders are 0700 and every file in them
0600 (SQLite's -wal and -shm too), whatever the umask, and an older, open install is tightened
on the next run. Real commands in child processes, real SQLite files."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion.eventlog import EventLog
from companion.history.store import HistoryStore
from companion.paths import Paths
from companion.records import SessionStarted
from tests.conftest import REPO, speech_data

SCRIPT = REPO / "tests" / "scripts" / "level1_full.txt"


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``companion ARGS`` under umask 022 (the usual default), as a caregiver would run it."""
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
        preexec_fn=lambda: os.umask(0o022),
    )


def xdg_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose per-user folders are under ``tmp_path`` (no --data-dir)."""
    env = {k: v for k, v in os.environ.items() if k != "COMPANION_DATA_DIR"}
    env["XDG_DATA_HOME"] = str(tmp_path / "share")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def walk(folder: Path) -> Iterator[Path]:
    """``folder`` and everything under it."""
    yield folder
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            yield Path(root) / name


def open_to_others(folder: Path) -> list[str]:
    """Every path under ``folder`` that group or others may read, write or enter."""
    return [
        f"{p} {stat.filemode(p.lstat().st_mode)}"
        for p in walk(folder)
        if not p.is_symlink() and p.lstat().st_mode & 0o077
    ]


@pytest.mark.timeout(900)
def test_session_routine_report_export_and_voice_leave_nothing_readable_by_others(
    tmp_path: Path,
) -> None:
    env = xdg_env(tmp_path)
    data, config = tmp_path / "share" / "companion", tmp_path / "config" / "companion"
    steps = [
        ("routine", "init"),
        ("routine", "set", "speech.rate", "140"),
        ("session", "--no-voice", "--time-scale", "1000", "--script", str(SCRIPT)),
        ("report", "--out", str(data / "report.html")),
        ("export", "--csv", str(data / "csv")),
        (
            "voice",
            "add",
            "go",
            str(next(iter(sorted((speech_data() / "commands/go").glob("*.wav"))))),
        ),
    ]
    for args in steps:
        done = run(env, *args)
        assert done.returncode == 0, (args, done.stderr)
    assert (data / "history.sqlite3").is_file() and (config / "routine.toml").is_file()
    assert (data / "report.html").is_file() and (data / "csv" / "sets.csv").is_file()
    assert any((data / "voice").rglob("*.wav")) and (data / "events.log").is_file()
    assert open_to_others(data) == [] and open_to_others(config) == []
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((config / "routine.toml").stat().st_mode) == 0o600


def test_the_history_its_wal_and_shm_the_event_log_and_folders_are_private_whatever_the_umask(
    tmp_path: Path,
) -> None:
    """The modes are set explicitly, not left to the umask (here in-process, umask 022)."""
    old = os.umask(0o022)
    try:
        where = Paths(data_dir=tmp_path / "data", config_dir=tmp_path / "config").ensure()
        events = EventLog(where.event_log)
        events.write(dt.datetime(2026, 3, 29, 10, 0), "say", text="Hello.")
        with HistoryStore.open(where.history_db) as store:
            store.write(SessionStarted(dt.datetime(2026, 3, 29, 10, 0), dt.date(2026, 3, 29), ()))
            sidecars = [
                where.history_db.with_name(where.history_db.name + s) for s in ("-wal", "-shm")
            ]
            assert all(p.exists() for p in sidecars)  # WAL is on while the store is open
            assert open_to_others(where.data_dir) == []
        events.close()
    finally:
        os.umask(old)
    assert open_to_others(where.data_dir) == [] and open_to_others(where.config_dir) == []
    assert stat.S_IMODE(where.config_dir.stat().st_mode) == 0o700


def make_open_install(data: Path) -> list[Path]:
    """An install from before this rule: folders 0755, files 0644 (as umask 022 left them)."""
    data.mkdir(parents=True)
    with HistoryStore.open(data / "history.sqlite3") as store:
        store.write(SessionStarted(dt.datetime(2026, 3, 29, 10, 0), dt.date(2026, 3, 29), ()))
    (data / "events.log").write_text("2026-03-29T10:00:00.000\tsay\t{}\n")
    (data / "routine.toml").write_text('name = "Ann"\n')
    (data / "voice" / "go").mkdir(parents=True)
    (data / "voice" / "go" / "one.wav").write_bytes(b"RIFF")
    everything = list(walk(data))
    for p in everything:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return everything


def test_an_existing_open_install_is_tightened_on_the_next_run_and_it_is_said(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    everything = make_open_install(data)
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("not the companion's")
    outside.chmod(0o644)
    (data / "link.txt").symlink_to(outside)
    contents = {p: p.read_bytes() for p in everything if p.is_file()}
    done = run(dict(os.environ), "--data-dir", str(data), "history", "--date", "2026-03-29")
    assert done.returncode == 0, done.stderr
    assert open_to_others(data) == []
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # a link is never followed
    assert {p: p.read_bytes() for p in contents} == contents  # modes changed, contents not
    assert "could be read by other accounts" in done.stderr and str(data) in done.stderr
    again = run(dict(os.environ), "--data-dir", str(data), "history", "--date", "2026-03-29")
    assert again.returncode == 0 and "other accounts" not in again.stderr  # said once


def test_a_folder_without_the_companion_s_files_is_not_touched(tmp_path: Path) -> None:
    """``--data-dir`` pointing at some other folder: its files keep their modes."""
    other = tmp_path / "papers"
    other.mkdir()
    (other / "letter.txt").write_text("hello")
    (other / "letter.txt").chmod(0o644)
    other.chmod(0o755)
    done = run(dict(os.environ), "--data-dir", str(other), "history")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(other.stat().st_mode) == 0o755
    assert stat.S_IMODE((other / "letter.txt").stat().st_mode) == 0o644


def test_a_data_folder_that_is_a_link_has_its_target_tightened(tmp_path: Path) -> None:
    target = tmp_path / "disk" / "companion"
    make_open_install(target)
    (tmp_path / "disk").chmod(0o755)
    link = tmp_path / "data"
    link.symlink_to(target)
    done = run(dict(os.environ), "--data-dir", str(link), "history", "--date", "2026-03-29")
    assert done.returncode == 0, done.stderr
    assert open_to_others(target) == []
    assert stat.S_IMODE((tmp_path / "disk").stat().st_mode) == 0o755  # its parent is not ours
