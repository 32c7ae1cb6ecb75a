"""When the data folder cannot be written (read-only, a file in its place, a full disk, an
unwritable event log) or an argument is not valid text: one plain sentence, a non-zero exit,
nothing lost or half-written; reading the history still works; a disk that fills mid-session
keeps the finished sets, tells the user once, and the session goes on.

Real commands in child processes on real file systems: a small tmpfs mounted for the test when
this process may mount (root); otherwise permissions and a file-size limit (RLIMIT_FSIZE, which
fails a write with EFBIG as a full disk fails it with ENOSPC)."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from companion import prompts
from tests.conftest import REPO, skip_or_fail, speech_data

SCRIPT = REPO / "tests" / "scripts" / "level1_full.txt"
SESSION = ("session", "--no-voice", "--time-scale", "1000", "--script", str(SCRIPT))
NOT_SAVED = prompts.load("en").text("session.history_not_saved")


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, timeout=30).returncode == 0


class Disk:
    """A folder on a disk the test can fill or make read-only."""

    def __init__(self, folder: Path, mounted: bool) -> None:
        self.folder = folder
        self.mounted = mounted
        """A tmpfs of its own (root); else an ordinary folder, limited by rlimit and chmod."""
        self.limited = False
        self.filler = folder.parent / "filler"

    def preexec(self) -> Callable[[], None]:
        """For a child process: umask 022, and the file-size limit while the disk is 'full'."""
        limited = self.limited

        def setup() -> None:
            os.umask(0o022)
            if limited:
                resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))

        return setup

    def fill(self, pid: int | None = None) -> None:
        """No more room: fill the tmpfs, or limit file sizes (of ``pid`` too, if running)."""
        if self.mounted:
            self.filler = self.folder / ".filler"
            for chunk in (65536, 1):  # big pieces, then the last few bytes
                with contextlib.suppress(OSError), self.filler.open("ab") as f:
                    while True:
                        f.write(b"\0" * chunk)
                        f.flush()
        else:
            self.limited = True
            if pid is not None:
                resource.prlimit(pid, resource.RLIMIT_FSIZE, (1, 1))

    def free(self) -> None:
        """Room again."""
        self.limited = False
        if self.mounted:
            self.filler.unlink(missing_ok=True)

    def read_only(self) -> None:
        """Nothing in the folder may be written from now on."""
        if self.mounted:
            assert _mount("-o", "remount,ro", str(self.folder))
        else:
            for p in [self.folder, *self.folder.rglob("*")]:
                p.chmod(stat.S_IMODE(p.stat().st_mode) & ~0o222)

    def writable(self) -> None:
        if self.mounted:
            _mount("-o", "remount,rw", str(self.folder))
        else:
            for p in [self.folder, *self.folder.rglob("*")]:
                p.chmod(stat.S_IMODE(p.stat().st_mode) | 0o200)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Disk]:
    """A 4 MB tmpfs when this process may mount one; else a plain folder (not as root: root
    ignores permissions and file modes, so the read-only cases could not be made)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0:
        plain_folder = Disk(folder, mounted=False)
        yield plain_folder
        plain_folder.writable()  # so that pytest can remove it
        return
    if not _mount("-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(folder)):
        skip_or_fail("cannot mount a tmpfs (root without CAP_SYS_ADMIN)")
    try:
        yield Disk(folder, mounted=True)
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True, timeout=30)


def companion(
    disk: Disk, *args: str | bytes, folder: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``companion --data-dir FOLDER ARGS`` (the disk's folder unless given)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "companion.cli.main",
            "--data-dir",
            str(folder or disk.folder),
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=280,
        preexec_fn=disk.preexec(),
    )


def plain(done: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
    """One plain message with ``words``, no traceback, exit ``status``."""
    assert done.returncode == status, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    assert "\ncompanion: " in "\n" + done.stderr, done.stderr
    for word in words:
        assert word in done.stderr, (word, done.stderr)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".filler"
    }


def seed(disk: Disk) -> None:
    """A routine and one finished session, written by the real commands."""
    assert companion(disk, "routine", "init").returncode == 0
    done = companion(disk, *SESSION)
    assert done.returncode == 0, done.stderr


def rows(db: Path, table: str) -> int:
    """How many rows ``table`` of the history has (read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.mark.timeout(600)
def test_a_read_only_data_folder_refuses_writes_plainly_and_reading_still_works(
    disk: Disk, tmp_path: Path
) -> None:
    seed(disk)
    disk.read_only()
    before = snapshot(disk.folder)
    why = "read-only" if disk.mounted else "not allowed"
    plain(companion(disk, *SESSION), 8, why, str(disk.folder))
    plain(companion(disk, "routine", "set", "speech.rate", "150"), 8, why)
    plain(companion(disk, "routine", "init", "--force"), 8, why)
    plain(companion(disk, "plan", "--approve"), 8, why)
    wav = sorted((speech_data() / "commands" / "go").glob("*.wav"))[0]
    added = companion(disk, "voice", "add", "go", str(wav))
    assert added.returncode != 0 and "Traceback" not in added.stderr, added.stderr
    # reading needs no writing: history, plan, report and export work on a read-only folder
    history = companion(disk, "history", "--days", "1")
    assert history.returncode == 0 and "completed" in history.stdout, history.stderr
    assert companion(disk, "plan").returncode == 0
    report = companion(disk, "report", "--out", str(tmp_path / "report.html"))
    assert report.returncode == 0, report.stderr
    assert "1 session," in report.stdout
    export = companion(disk, "export", "--csv", str(tmp_path / "csv"))
    assert export.returncode == 0 and (tmp_path / "csv" / "sets.csv").is_file(), export.stderr
    assert snapshot(disk.folder) == before


def test_a_data_folder_that_is_a_file_is_named_plainly(disk: Disk) -> None:
    blocker = disk.folder / "companion"
    blocker.write_text("a note, not a folder")
    for args in (
        ("history",),
        ("report", "--out", str(disk.folder / "r.html")),
        ("export", "--csv", str(disk.folder / "csv")),
        ("routine", "set", "speech.rate", "150"),
        ("routine", "init"),
        SESSION,
        ("voice", "list"),
        ("plan",),
    ):
        plain(companion(disk, *args, folder=blocker), 8, "is a file, not a folder", str(blocker))
    plain(companion(disk, "history", folder=blocker / "sub"), 8, f"{blocker} is a file")
    assert companion(disk, "help", folder=blocker).returncode == 0  # the help always works
    doctor = companion(disk, "doctor", folder=blocker)  # lists it among its findings
    assert doctor.returncode == 1 and "Traceback" not in doctor.stderr, doctor.stderr
    assert f"[FAIL] Data folder: cannot write in {blocker}" in doctor.stdout
    assert sorted(p.name for p in disk.folder.iterdir()) == ["companion"]
    assert blocker.read_text() == "a note, not a folder"


@pytest.mark.timeout(600)
def test_a_full_disk_refuses_a_session_and_edits_plainly_and_reading_still_works(
    disk: Disk, tmp_path: Path
) -> None:
    seed(disk)
    disk.fill()
    before = snapshot(disk.folder)
    why = "disk is full" if disk.mounted else "largest size"
    plain(companion(disk, *SESSION), 8, why)
    plain(companion(disk, "routine", "set", "speech.rate", "150"), 8, why)
    after = snapshot(disk.folder)
    assert {name: after[name] for name in before} == before
    assert not [p for p in disk.folder.iterdir() if p.name.endswith(".tmp")]
    if disk.mounted:  # (a file-size limit would stop the report's own page too)
        report = companion(disk, "report", "--out", str(tmp_path / "report.html"))
        assert report.returncode == 0 and "1 session," in report.stdout, report.stderr
    history = companion(disk, "history", "--days", "1")
    assert history.returncode == 0 and "completed" in history.stdout, history.stderr
    disk.free()
    assert companion(disk, *SESSION).returncode == 0
    assert rows(disk.folder / "history.sqlite3", "sessions") == 2


@pytest.mark.timeout(600)
def test_a_disk_that_fills_mid_session_keeps_the_finished_sets_says_so_once_and_goes_on(
    disk: Disk, tmp_path: Path
) -> None:
    assert companion(disk, "routine", "init").returncode == 0
    lines = SCRIPT.read_text().splitlines()
    first_set = lines.index("3") + 1  # the effort rating of the first set
    script = tmp_path / "script.txt"
    script.write_text("\n".join([*lines[:first_set], "wait 5000", *lines[first_set:]]) + "\n")
    db = disk.folder / "history.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(disk.folder), "session",
         "--no-voice", "--time-scale", "1000", "--script", str(script)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=disk.preexec(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:  # until the first set and both its ratings are saved
            with contextlib.suppress(sqlite3.Error):
                if rows(db, "ratings") >= 2:
                    break
            assert child.poll() is None and time.monotonic() < deadline, "no first set"
            time.sleep(0.02)
        disk.fill(child.pid)  # the script waits 5 s before it says "start" again
        out, err = child.communicate(timeout=240)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 8, err
    assert "Traceback" not in err
    assert out.count(NOT_SAVED) == 1  # told once, though every later record failed
    assert "See you tomorrow." in out.split(NOT_SAVED)[1]  # ... and the session went on
    assert "Part of this session could not be saved" in err and "Everything up to" in err
    disk.free()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        sets = conn.execute("SELECT exercise_id, set_number FROM sets").fetchall()
        ratings = conn.execute("SELECT count(*) FROM ratings").fetchone()[0]
    assert sets == [("palm_turn", 1)] and ratings == 2  # finished before the disk filled
    history = companion(disk, "history", "--days", "1")
    assert history.returncode == 0 and "Palm up and down 10" in history.stdout, history.stderr


def _unwritable(path: Path, mounted: bool) -> Callable[[], None]:
    """Make one file unwritable (a read-only bind mount as root); returns the undo."""
    if mounted:
        assert _mount("--bind", str(path), str(path))
        assert _mount("-o", "remount,bind,ro", str(path))
        return lambda: subprocess.run(["umount", str(path)], capture_output=True, timeout=30)
    path.chmod(0o400)
    return lambda: path.chmod(0o600)


def test_an_unwritable_event_log_is_said_plainly_and_the_session_is_saved(disk: Disk) -> None:
    seed(disk)
    log = disk.folder / "events.log"
    before = log.read_bytes()
    undo = _unwritable(log, disk.mounted)
    try:
        done = companion(disk, *SESSION)
    finally:
        undo()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"The event log {log} cannot be written" in done.stderr
    assert "goes on without it" in done.stderr
    assert log.read_bytes() == before
    assert rows(disk.folder / "history.sqlite3", "sessions") == 2


def test_an_argument_that_is_not_valid_text_is_refused_and_changes_nothing(disk: Disk) -> None:
    seed(disk)
    before = snapshot(disk.folder)
    done = companion(disk, "routine", "set", "name", b"Ann\xffe")
    plain(done, 3, "'Ann\\xffe' is not valid text")
    plain(companion(disk, "report", "--out", b"/tmp/r\xff.html"), 3, "not valid text")
    assert snapshot(disk.folder) == before
    env = {**os.environ, "COMPANION_DATA_DIR": os.fsdecode(b"/tmp/companion\xff")}
    named = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "history"],
        cwd=REPO, capture_output=True, text=True, timeout=280, env=env,
    )  # fmt: skip
    plain(named, 3, "not valid text")


def test_storage_errors_name_the_problem_in_plain_words() -> None:
    """The sentences for each errno (the command-line edge uses them for any failed write)."""
    from companion.errors import storage_error

    cases = {
        errno.EROFS: "is on a read-only disk",
        errno.EACCES: "not allowed to write in",
        errno.ENOSPC: "The disk is full",
        errno.EFBIG: "largest size",
    }
    for number, words in cases.items():
        exc = storage_error(OSError(number, os.strerror(number), "/data/.routine.toml.x1.tmp"))
        assert words in exc.message and exc.exit_status == 8
        assert ".tmp" not in exc.message and "/data" in exc.message  # the folder, not the temp


def test_an_older_history_on_a_read_only_disk_asks_for_the_folder_to_be_writable_once(
    disk: Disk,
) -> None:
    """A history that needs a migration cannot be updated read-only: said plainly, not guessed."""
    from companion.errors import StorageError
    from companion.history import db as history_db

    path = disk.folder / "history.sqlite3"
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        # schema 1: it lacks 0002, which is not optional (0003 alone would be read read-only)
        for number, migration in enumerate(history_db.MIGRATIONS[:1], start=1):
            history_db._apply(conn, number, migration)
    before = path.read_bytes()
    disk.read_only()
    with pytest.raises(StorageError, match="needs a one-time update"):
        history_db.connect(path, create=False)
    plain(companion(disk, "history"), 8, "needs a one-time update", "cannot be written")
    assert path.read_bytes() == before
    disk.writable()
    with contextlib.closing(history_db.connect(path, create=False)) as conn:  # now it updates
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(history_db.MIGRATIONS)


STORE_ON_A_FULL_DISK = """
import datetime as dt, resource, sys
from pathlib import Path
from companion.errors import StorageError
from companion.history.store import HistoryStore
from companion.records import SessionEnded, SessionStarted, SetDone

at = dt.datetime(2026, 3, 29, 10, 0)
store = HistoryStore.open(Path(sys.argv[1]))  # opened (and its -shm made) while there is room
resource.setrlimit(resource.RLIMIT_FSIZE, (1, 1))  # from now on no file may grow: 'disk full'
for record in (
    SessionStarted(at, at.date(), (("palm_turn", 2, 10),)),
    SetDone(at, "palm_turn", 1, 10, 10, 30.0, True),
    SessionEnded(at, "completed"),
):
    try:
        store.write(record)
        print(type(record).__name__, "saved")
    except StorageError as exc:
        print(type(record).__name__, "not saved:", exc.message)
"""


def test_when_a_session_s_start_cannot_be_saved_its_records_are_not_saved_either(
    tmp_path: Path,
) -> None:
    """Every later record of that session fails the same plain way (the loop tells the user once
    and goes on), not with 'SetDone arrived outside a session'."""
    done = subprocess.run(
        [sys.executable, "-c", STORE_ON_A_FULL_DISK, str(tmp_path / "history.sqlite3")],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "SessionStarted",
        "SetDone",
        "SessionEnded",
    ]
    assert all("not saved: A file in" in line and "largest size" in line for line in lines), lines
