"""A whole session finished by each way in alone (issue 20): scripted words (voice only), the
keyboard through a real terminal, and one switch through a real terminal (scanning). Each is
checked against what was recorded: the safety answers, every pain and effort rating, the sets."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_keyboard import Screen

REPO = Path(__file__).resolve().parent.parent
ROUTINE = """
[[exercise]]
id = "wrist_bend"
reps = 2
sets = 2
seconds_per_rep = 2.0
rest_seconds = {rest}

[[exercise]]
id = "coin_drop"
reps = 2
sets = 1

[input]
scan_seconds = {scan}

[safety]
pre_session_check = true
emergency_number = "999"
"""
RATINGS = [
    ("wrist_bend", 1, "pain", 1),
    ("wrist_bend", 1, "effort", 3),
    ("wrist_bend", 2, "pain", 2),
    ("wrist_bend", 2, "effort", 4),
    ("coin_drop", 1, "pain", 0),
    ("coin_drop", 1, "effort", 5),
]
"""What each way in answers, and what must be recorded."""
SETS = [("wrist_bend", 1, 2, 1), ("wrist_bend", 2, 2, 1), ("coin_drop", 1, 2, 1)]


def setup(tmp_path: Path, scan: float = 2.0, rest: int = 60) -> None:
    text = ROUTINE.format(scan=scan, rest=rest)
    (tmp_path / "routine.toml").write_text(text, encoding="utf-8")


def command(tmp_path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path), "session",
            "--no-voice", "--no-listen", *extra]  # fmt: skip


def check_recorded(tmp_path: Path, source: str, answers: tuple[str, ...] = ("no",) * 3) -> None:
    """The history holds exactly the answers given; the safety answers were three noes."""
    db = sqlite3.connect(tmp_path / "history.sqlite3")
    try:
        (how,) = db.execute("SELECT how FROM sessions").fetchone()
        ratings = db.execute(
            "SELECT exercise_id, set_number, kind, value FROM ratings ORDER BY id"
        ).fetchall()
        sets = db.execute(
            "SELECT exercise_id, set_number, done, completed FROM sets ORDER BY id"
        ).fetchall()
        stops = db.execute("SELECT * FROM stops").fetchall()
    finally:
        db.close()
    assert how == "completed"
    assert ratings == RATINGS
    assert sets == SETS
    assert stops == []
    commands = []
    for line in (tmp_path / "events.log").read_text(encoding="utf-8").splitlines():
        _, kind, details = line.split("\t", 2)
        if kind == "command":
            commands.append(json.loads(details))
    assert {c["source"] for c in commands} == {source}
    first_start = next(i for i, c in enumerate(commands) if c["command"] in ("start", "done"))
    safety = [c["command"] for c in commands[:first_start] if c["command"] in ("yes", "no")]
    assert safety == list(answers)  # chest pain, dizziness, pain over 6 (and any "end?")


def test_voice_only_scripted_words(tmp_path: Path) -> None:
    setup(tmp_path)
    script = tmp_path / "said.txt"
    script.write_text(
        "\n".join(
            [
                "no",
                "no",
                "no",
                "start",
                "one",
                "three",
                "start",
                "two",
                "four",
                "start",
                "done",
                "done",
                "done",
                "zero",
                "five",
            ]
        ),  # fmt: skip
        encoding="utf-8",
    )
    done = subprocess.run(
        command(tmp_path, "--script", str(script), "--time-scale", "20"),
        capture_output=True, text=True, cwd=REPO, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Now pick the coins up again" in done.stdout
    check_recorded(tmp_path, "script")


def run_in_terminal(tmp_path: Path, extra: list[str], steps: list[tuple[str, bytes]]) -> str:
    """Run a session on a pty: for each (text, key) wait for ``text`` then type ``key``."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        command(tmp_path, *extra), stdin=follower, stdout=follower, stderr=follower, cwd=REPO,
        close_fds=True,
    )  # fmt: skip
    os.close(follower)
    term = Screen(leader)
    try:
        for text, key in steps:
            term.until(text, timeout=60)
            if key:
                os.write(leader, key)
        shown = term.until("[session ended: completed]", timeout=60)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    return shown


def ask(question: str, key: bytes) -> list[tuple[str, bytes]]:
    """Wait for the question, then for the status line shown once the session listens (a key
    typed before that would be read in the moment before), then type ``key``."""
    return [(question, b""), ("Keys: ", key)]


@pytest.mark.timeout(300)
def test_keyboard_only_through_a_terminal(tmp_path: Path) -> None:
    setup(tmp_path)
    steps = [
        *ask("Do you have any chest pain", b"n"),
        *ask("Do you feel dizzy", b"q"),  # stop asks first ...
        *ask("Do you want to end the session?", b"n"),  # ... "no" comes back to the question
        *ask("Do you feel dizzy", b"n"),
        *ask("more than 6 out of 10", b"n"),
        *ask("Set 1 of 2. When you are ready", b" "),
        *ask("Any pain?", b"1"),
        *ask("How hard was that?", b"3"),
        *ask("Rest for", b" "),  # space ends the rest
        *ask("Set 2 of 2. When you are ready", b" "),
        *ask("Any pain?", b"2"),
        *ask("How hard was that?", b"4"),
        ("Exercise 2 of 2: Coin drop", b""),
        *ask("When you are ready", b" "),
        *ask("Go at your own pace", b"d"),
        *ask("Done 1 of 2.", b" "),  # the status line once the first coin is down
        *ask("Now pick the coins up again", b"d"),
        *ask("Any pain?", b"0"),
        *ask("How hard was that?", b"5"),
    ]
    shown = run_in_terminal(tmp_path, ["--time-scale", "10"], steps)
    assert "That is all for today" in shown
    check_recorded(tmp_path, "key", ("no",) * 4)  # the fourth: "end the session?" no


@pytest.mark.timeout(300)
def test_one_switch_only_by_scanning(tmp_path: Path) -> None:
    # scan: long enough for a loaded machine to read the key in time; the rest is waited out
    # (a press would end it), so it is short: 2 s at the time scale below
    setup(tmp_path, scan=1.5, rest=20)
    press = b" "
    yes_no = [("Yes?", b""), ("No?", press)]
    number = {
        0: [("0 to 3?", press), ("0?", press)],
        1: [("0 to 3?", press), ("1?", press)],
        2: [("0 to 3?", press), ("2?", press)],
        3: [("0 to 3?", press), ("3?", press)],
        4: [("4 to 6?", press), ("4?", press)],
        5: [("4 to 6?", press), ("5?", press)],
    }
    steps = [
        ("Do you have any chest pain", b""), *yes_no,
        ("Do you feel dizzy", b""), *yes_no,
        ("more than 6 out of 10", b""), *yes_no,
        ("Set 1 of 2. When you are ready", b""), ("Start?", press),
        ("Any pain?", b""), *number[1],
        ("How hard was that?", b""), *number[3],
        ("Rest for", b""),
        ("Set 2 of 2. When you are ready", b""), ("Start?", press),
        ("Any pain?", b""), *number[2],
        ("How hard was that?", b""), *number[4],
        ("Exercise 2 of 2: Coin drop", b""),
        ("When you are ready", b""), ("Start?", press),
        ("Go at your own pace", press),  # a press is "done" while coins go down
        ("Done 1 of 2.", press),  # the status line: each press is decided before the next
        ("Now pick the coins up again", b""),
        ("Done 2 of 2.", press),
        ("Any pain?", b""), *number[0],
        ("How hard was that?", b""), *number[5],
    ]  # fmt: skip
    shown = run_in_terminal(tmp_path, ["--switch", "--time-scale", "10"], steps)
    assert "That is all for today" in shown
    check_recorded(tmp_path, "switch")


def test_kept_speech_and_the_user_s_words_through_the_command_line(tmp_path: Path) -> None:
    """'slower' is kept for the next session (data folder); the caregiver's own word "halt"
    stops like "stop"."""
    (tmp_path / "routine.toml").write_text(
        '[[exercise]]\nid = "wrist_bend"\nreps = 8\nsets = 1\n'
        '[vocabulary]\nstop = ["halt"]\n[safety]\npre_session_check = false\n',
        encoding="utf-8",
    )
    script = tmp_path / "said.txt"
    script.write_text("slower\nstart\nwait 3\nhalt\nyes\n", encoding="utf-8")
    done = subprocess.run(
        command(tmp_path, "--script", str(script), "--time-scale", "10"),
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Do you want to end the session?" in done.stdout
    kept = json.loads((tmp_path / "speech_preferences.json").read_text())
    assert kept["rate"] == 135
    assert "[session ended: stopped]" in done.stderr
    t0 = time.monotonic()
    again = subprocess.run(
        command(tmp_path, "--script", "-", "--time-scale", "10"),
        input="finish\nyes\n", capture_output=True, text=True, cwd=REPO, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0 and time.monotonic() - t0 < 120
    log = (tmp_path / "events.log").read_text(encoding="utf-8")
    assert log.count('"command": "stop", "source": "script", "text": "halt"') == 1
