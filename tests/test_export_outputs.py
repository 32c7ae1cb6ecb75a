"""Where ``report`` and ``export`` may write: never over the companion's own files, never over a
stranger's file without ``--force``, owner-only, and an export killed midway changes nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion.cli.main import main
from companion.history.migrations import TABLES
from companion.history.store import HistoryStore
from companion.records import SessionStarted
from companion.report import export
from tests.test_report import build_history

START = dt.date(2026, 3, 2)
OWN = ("history.sqlite3", "routine.toml", "events.log", "reminders.sqlite3")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    build_history(home / "history.sqlite3", START, 5)
    (home / "routine.toml").write_text('name = "Ann"\n')
    (home / "events.log").write_text("2026-03-02T09:00 said hello\n")
    (home / "reminders.sqlite3").write_bytes(b"SQLite format 3\x00" + bytes(range(256)))
    return home


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def report(home: Path | str, out: Path | str, *extra: str) -> int:
    end = (START + dt.timedelta(days=4)).isoformat()
    return main(
        ["report", "--data-dir", str(home), "--end", end, "--days", "5", "--out", str(out), *extra]
    )


@pytest.mark.parametrize("name", OWN)
def test_a_report_over_an_own_file_is_refused_and_the_file_kept(
    home: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(home)
    assert report(home, home / name) == 3
    assert report(home, home / name, "--force") == 3
    err = capsys.readouterr().err
    assert "own files" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 4  # one sentence and one hint, twice
    assert snapshot(home) == before


@pytest.mark.parametrize("name", OWN)
def test_a_relative_path_to_an_own_file_is_refused(
    home: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(home)
    monkeypatch.chdir(home)
    assert report(".", name) == 3
    assert report(".", f"../{home.name}/{name}", "--force") == 3
    monkeypatch.chdir(home.parent)
    assert report(home.name, Path(home.name) / name) == 3
    assert snapshot(home) == before
    assert main(["history", "--data-dir", str(home)]) == 0  # still a database


def test_a_hard_link_to_the_history_is_refused(home: Path, tmp_path: Path) -> None:
    link = tmp_path / "report.html"
    os.link(home / "history.sqlite3", link)
    before = snapshot(home)
    assert report(home, link, "--force") == 3
    assert snapshot(home) == before


def test_a_report_replaces_an_earlier_report_but_a_stranger_file_only_with_force(
    home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    assert report(home, out) == 0
    assert mode(out) == 0o600
    assert report(home, out) == 0  # an earlier report: replaced
    notes = tmp_path / "notes.html"
    notes.write_bytes(b"<p>my notes</p>")
    assert report(home, notes) == 3
    assert notes.read_bytes() == b"<p>my notes</p>"
    assert report(home, notes, "--force") == 0
    assert b"companion report" in notes.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "notes.html", "report.html"]


def test_a_report_is_owner_only_whatever_the_umask(home: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert report(home, tmp_path / "new" / "r.html") == 0
    finally:
        os.umask(old)
    assert mode(tmp_path / "new" / "r.html") == 0o600
    assert mode(tmp_path / "new") == 0o700


def test_export_replaces_an_earlier_export_but_not_a_stranger_csv(
    home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "csv"
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 0
    assert mode(out) == 0o700 and all(mode(p) == 0o600 for p in out.iterdir())
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 0
    (out / "sets.csv").write_text("my own spreadsheet; do not lose\n")
    before = snapshot(out)
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 3
    assert snapshot(out) == before
    assert main(["export", "--data-dir", str(home), "--csv", str(out), "--force"]) == 0
    assert (out / "sets.csv").read_text().startswith("id,")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)


def test_export_never_writes_through_to_an_own_file(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    out.mkdir()
    (out / "sessions.csv").symlink_to(home / "history.sqlite3")
    before = snapshot(home)
    assert main(["export", "--data-dir", str(home), "--csv", str(out), "--force"]) == 3
    assert main(["export", "--data-dir", str(home), "--csv", str(home / "voice")]) == 3
    assert snapshot(home) == before
    assert [p.name for p in out.iterdir()] == ["sessions.csv"]


def add_session(home: Path) -> None:
    at = dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC)
    with HistoryStore.open(home / "history.sqlite3") as store:
        store.write(SessionStarted(at=at, day=at.date(), planned=(("palm_turn", 1, 5),)))


@pytest.mark.parametrize("existing", [True, False])
def test_an_export_that_fails_midway_leaves_the_destination_as_it_was(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    out = tmp_path / "csv"
    if existing:
        assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 0
    before = snapshot(out) if existing else None
    add_session(home)
    real = export.files.write_atomic
    calls = []

    def fails_on_the_fourth(path: Path, data: bytes | str) -> None:
        calls.append(path)
        if len(calls) == 4:
            raise OSError(28, "No space left on device")
        real(path, data)

    monkeypatch.setattr(export.files, "write_atomic", fails_on_the_fourth)
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 3
    assert len(calls) == 4
    if existing:
        assert snapshot(out) == before
        assert [p.name for p in out.iterdir() if p.is_dir()] == []
    else:
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["csv"] if existing else []) + ["home"]


KILLED_EXPORT = """
import sys, time
from pathlib import Path
from companion import files
from companion.cli.main import main
real = files.write_atomic
n = 0
def slow(path, data):
    global n
    real(path, data)
    n += 1
    if n == 3:
        Path(sys.argv[3]).write_text("3 written")
        time.sleep(120)
files.write_atomic = slow
main(["export", "--data-dir", sys.argv[1], "--csv", sys.argv[2]])
"""


@pytest.mark.timeout(120)
def test_an_export_killed_midway_leaves_one_snapshot(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 0
    before = snapshot(out)
    add_session(home)
    ready = tmp_path / "ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, str(home), str(out), str(ready)],
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        deadline = time.monotonic() + 90
        while not ready.exists():
            assert proc.poll() is None, "the export ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert snapshot(out) == before  # not one file of the newer snapshot
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 0
    after = snapshot(out)
    assert after["sessions.csv"] != before["sessions.csv"]
    assert sorted(after) == sorted(f"{t}.csv" for t in TABLES)
    assert [p for p in out.iterdir() if p.is_dir()] == []  # the killed run's folder cleaned up
