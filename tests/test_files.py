"""companion.files: atomic owner-only writes, private folders, and the output-path guard."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from companion import files, paths
from companion.errors import BadInputError


@pytest.fixture(params=[0o022, 0o077, 0o000])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_write_atomic_makes_owner_only_files_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    new = tmp_path / "new.txt"
    files.write_atomic(new, "héllo")
    assert new.read_bytes() == "héllo".encode()
    assert mode(new) == 0o600
    old = tmp_path / "old.bin"
    old.write_bytes(b"old")
    old.chmod(0o644)
    files.write_atomic(old, b"\x00\x01")
    assert old.read_bytes() == b"\x00\x01"
    assert mode(old) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.txt", "old.bin"]


def test_write_atomic_leaves_the_file_and_no_temp_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keep.txt"
    target.write_bytes(b"precious")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.write_atomic(target, "new text" * 1000)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_write_atomic_cleans_up_on_interrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keep.txt"
    target.write_bytes(b"precious")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(target, "new")
    assert target.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_write_atomic_into_a_missing_folder_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        files.write_atomic(tmp_path / "nowhere" / "x.txt", "x")
    assert list(tmp_path.iterdir()) == []


def test_private_dir_makes_parents_0700_and_tightens_an_existing_folder(
    tmp_path: Path, umask: int
) -> None:
    outer = tmp_path / "outer"
    outer.mkdir()
    outer.chmod(0o755)
    made = files.private_dir(outer / "a" / "b" / "c")
    assert made.is_dir()
    for p in (outer / "a", outer / "a" / "b", made):
        assert mode(p) == 0o700, p
    existing = tmp_path / "open"
    existing.mkdir()
    existing.chmod(0o755)
    files.private_dir(existing)
    assert mode(existing) == 0o700
    assert mode(outer) == 0o755  # a parent that existed is left alone


def test_private_dir_refuses_a_file(tmp_path: Path) -> None:
    f = tmp_path / "data"
    f.write_bytes(b"x")
    with pytest.raises(FileExistsError):
        files.private_dir(f)
    assert f.read_bytes() == b"x"


# --- the output-path guard ---------------------------------------------------------------


def html_kind() -> files.OutputKind:
    return files.OutputKind("report", lambda path, head: b"<!-- made by companion -->" in head)


@pytest.fixture
def data(tmp_path: Path) -> paths.Paths:
    p = paths.Paths(data_dir=tmp_path / "data", config_dir=tmp_path / "data")
    p.data_dir.mkdir()
    for f in (p.history_db, p.routine_file, p.event_log, p.jobs_db):
        f.write_bytes(b"own " + f.name.encode())
    return p


@pytest.mark.parametrize(
    "name", ["history.sqlite3", "routine.toml", "events.log", "reminders.sqlite3"]
)
def test_each_own_file_is_refused_even_with_force(data: paths.Paths, name: str) -> None:
    target = data.data_dir / name
    for force in (False, True):
        with pytest.raises(BadInputError, match="companion's own files"):
            files.check_output_path(target, files.own_files(data), force, html_kind())
    assert target.read_bytes() == b"own " + name.encode()


def test_own_files_that_do_not_exist_yet_are_refused_too(data: paths.Paths) -> None:
    data.jobs_db.unlink()
    wal = data.history_db.with_name("history.sqlite3-wal")
    for target in (data.jobs_db, wal, data.voice_dir / "classifier.npz"):
        with pytest.raises(BadInputError):
            files.check_output_path(target, files.own_files(data), True)


def test_a_relative_path_to_an_own_file_is_refused(
    data: paths.Paths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data.data_dir / "..")
    with pytest.raises(BadInputError):
        files.check_output_path(Path("data/./history.sqlite3"), files.own_files(data), True)
    monkeypatch.chdir(data.data_dir)
    rel = paths.Paths(data_dir=Path("."), config_dir=Path("."))
    with pytest.raises(BadInputError):
        files.check_output_path(data.event_log, files.own_files(rel), True)


def test_a_hard_link_or_symlink_to_an_own_file_is_refused(
    data: paths.Paths, tmp_path: Path
) -> None:
    hard = tmp_path / "report.html"
    os.link(data.history_db, hard)
    soft = tmp_path / "other.html"
    soft.symlink_to(data.routine_file)
    for out in (hard, soft):
        with pytest.raises(BadInputError, match="own files"):
            files.check_output_path(out, files.own_files(data), True, html_kind())
    assert data.history_db.read_bytes() == b"own history.sqlite3"


def test_a_new_path_is_accepted_and_resolved(data: paths.Paths, tmp_path: Path) -> None:
    out = tmp_path / "sub" / ".." / "report.html"
    assert files.check_output_path(out, files.own_files(data), False) == tmp_path / "report.html"


def test_an_earlier_output_is_replaced_but_a_stranger_file_needs_force(
    data: paths.Paths, tmp_path: Path
) -> None:
    earlier = tmp_path / "earlier.html"
    earlier.write_bytes(b"<html><!-- made by companion --></html>")
    assert files.check_output_path(earlier, [], False, html_kind()) == earlier
    stranger = tmp_path / "notes.html"
    stranger.write_bytes(b"my own notes")
    with pytest.raises(BadInputError, match="not an earlier report") as err:
        files.check_output_path(stranger, files.own_files(data), False, html_kind())
    assert "--force" in str(err.value)
    assert files.check_output_path(stranger, files.own_files(data), True, html_kind()) == stranger
    assert stranger.read_bytes() == b"my own notes"


def test_folders_and_devices_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="folder"):
        files.check_output_path(tmp_path, [], True)
    with pytest.raises(BadInputError, match="not an ordinary file"):
        files.check_output_path(Path("/dev/null"), [], True)


def test_every_lock_database_log_and_setting_in_the_data_folder_is_own(
    data: paths.Paths,
) -> None:
    others = ("session.lock", "daemon.lock", "routine.toml.lock", "old.sqlite3-wal", "events.log.1")
    for name in others:
        (data.data_dir / name).write_bytes(b"own")
    (data.data_dir / "report.html").write_bytes(b"<!-- made by companion -->")
    own = files.own_files(data)
    for name in others:
        with pytest.raises(BadInputError):
            files.check_output_path(data.data_dir / name, own, True)
    assert files.check_output_path(data.data_dir / "report.html", own, False, html_kind())
    with pytest.raises(BadInputError):
        files.check_output_path(paths.models_dir() / "x.html", own, True)
