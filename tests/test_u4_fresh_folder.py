"""``companion session`` refused before anything is recorded leaves nothing behind: a new data
folder with no terminal and no microphone made the folder, an empty session.lock and events.log
and a new history before exiting with status 4. Real runs of the command (subprocesses)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.test_session_cli import run


def _no_way_env(home: Path) -> dict[str, str]:
    """Not a terminal (stdin is empty), and no sound server: no keyboard, no microphone."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PULSE_SERVER": "unix:/nonexistent"}


def _files(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_new_folder_with_no_way_to_answer_is_left_uncreated(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    result = run(data, "--no-voice", stdin="", env=_no_way_env(tmp_path))
    assert result.returncode == 4, result.stderr
    assert "no way to answer" in result.stderr
    assert not (tmp_path / "new").exists()  # nor the folder above it, made for it


def test_a_new_folder_with_a_missing_script_is_left_uncreated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = run(data, "--no-voice", "--script", str(tmp_path / "nope.txt"))
    assert result.returncode != 0
    assert "does not exist" in result.stderr
    assert not data.exists()


def test_an_existing_folder_is_left_byte_identical(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = tmp_path / "s.txt"
    script.write_text("wait 0.1\n")
    first = run(data, "--no-voice", "--script", str(script), "--time-scale", "200")
    assert first.returncode == 0, first.stderr
    before = _files(data)
    assert "history.sqlite3" in before
    result = run(data, "--no-voice", stdin="", env=_no_way_env(tmp_path))
    assert result.returncode == 4, result.stderr
    assert _files(data) == before
