"""``companion session`` end to end through the command line: scripts, captions, log, bad input."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LEVEL1 = REPO / "tests" / "scripts" / "level1_full.txt"


def run(
    data: Path,
    *args: str,
    stdin: str | None = None,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), "session", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, input=stdin, cwd=REPO, env=env
    )


def log_lines(data: Path) -> list[tuple[str, dict[str, object]]]:
    out = []
    for line in (data / "events.log").read_text(encoding="utf-8").splitlines():
        _at, kind, details = line.split("\t", 2)
        out.append((kind, json.loads(details)))
    return out


def test_whole_level1_session_unattended_prints_every_caption(tmp_path: Path) -> None:
    result = run(tmp_path, "--script", str(LEVEL1), "--no-voice", "--time-scale", "100")
    assert result.returncode == 0, result.stderr
    captions = result.stdout.splitlines()
    spoken = [str(d["text"]) for kind, d in log_lines(tmp_path) if kind == "say"]
    assert captions == spoken  # every spoken line captioned once, in order
    assert "That is all for today. You did 60 movements. Well done." in captions
    for n in range(1, 11):
        assert f"{n}. Palm up." in captions
    commands = [d["command"] for kind, d in log_lines(tmp_path) if kind == "command"]
    assert commands[:4] == ["no", "no", "no", "start"]
    db = sqlite3.connect(tmp_path / "history.sqlite3")
    (n_sets,) = db.execute("select count(*) from sets").fetchone()
    assert n_sets == 6


def test_script_from_stdin_and_unknown_phrase(tmp_path: Path) -> None:
    script = "no\nno\nno\nbanana split\nstart\nwait 1\nit hurts\n2\nno\nfinish\nyes\n"
    result = run(tmp_path, "--script", "-", "--no-voice", "--time-scale", "50", stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Sorry, I did not understand. You can say start" in out
    assert "Stop now. Rest your hand." in out
    assert "How bad is the pain? Say a number from 0 to 10." in out
    assert "We stopped early today." in out
    kinds = [k for k, _ in log_lines(tmp_path)]
    assert "not-understood" in kinds


def test_invalid_routine_names_the_field_and_does_not_start(tmp_path: Path) -> None:
    (tmp_path / "routine.toml").write_text("[speech]\nrate = 9000\n", encoding="utf-8")
    result = run(tmp_path, "--script", str(LEVEL1), "--no-voice")
    assert result.returncode == 3
    assert "speech.rate" in result.stderr and "line 2" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "history.sqlite3").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--script", "/nonexistent/script.txt"], "does not exist"),
        (["--date", "29/03/2026"], "--date must look like"),
        (["--time-scale", "0"], "--time-scale"),
    ],
)
def test_bad_arguments_get_a_clear_message(tmp_path: Path, args: list[str], message: str) -> None:
    result = run(tmp_path, "--no-voice", *args)
    assert result.returncode == 3
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "day",
    [
        "0001-01-01",
        "1999-12-31",
        "9999-12-31",
        (dt.date.today() + dt.timedelta(days=2)).isoformat(),
    ],
)
def test_a_day_outside_the_sane_window_is_refused_and_nothing_is_stored(
    tmp_path: Path, day: str
) -> None:
    result = run(tmp_path, "--script", "-", "--no-voice", "--date", day, stdin="yes\n")
    assert result.returncode == 3, result.stderr
    assert "--date must be a day from 2000-01-01 to today" in result.stderr
    assert day in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "history.sqlite3").exists()


def test_bad_wait_line_in_script_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, "--script", "-", "--no-voice", stdin="start\nwait soon\n")
    assert result.returncode == 3
    assert "line 2" in result.stderr and "wait" in result.stderr


def test_no_audio_device_captions_go_on_and_user_is_told_once(tmp_path: Path) -> None:
    # No sound server reachable and no sound card: like a computer with no audio output.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}
    script = "no\nno\nno\nstart\nstop\nyes\n"
    result = run(tmp_path, "--script", "-", "--time-scale", "20", stdin=script, env=env)
    assert result.returncode == 0, result.stderr
    told = result.stdout.count("I cannot play sound. I will show the words on the screen.")
    assert told == 1
    assert "We stopped early today." in result.stdout


def test_back_filled_session_counts_for_its_date(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "--script",
        str(LEVEL1),
        "--no-voice",
        "--time-scale",
        "200",
        "--date",
        "2026-03-29",
    )
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(tmp_path / "history.sqlite3")
    days = {row[0] for row in db.execute("select day from sessions")}
    assert days == {"2026-03-29"}


def test_no_way_to_answer_is_refused_clearly(tmp_path: Path) -> None:
    # Not a terminal, no script, and no sound server: nothing could answer the session.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PULSE_SERVER": "unix:/nonexistent"}
    result = run(tmp_path, "--no-voice", stdin="", env=env)
    assert result.returncode == 4
    assert "no way to answer" in result.stderr
    assert result.stdout == ""
