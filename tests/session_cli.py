"""Real ``companion session`` runs as child processes, answered from a script, and what they
recorded (shared by the tests that need a real session: history, the session lock, the daemon)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def session_command(
    data: Path, script: Path | str, *, scale: float, day: dt.date | None = None
) -> list[str]:
    """``companion session`` over ``data`` answered by ``script`` ("-": stdin), without voice,
    its clock ``scale`` times faster, on ``day`` if given."""
    command = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), "session",
               "--script", str(script), "--no-voice", "--time-scale", str(scale)]  # fmt: skip
    return command + (["--date", day.isoformat()] if day else [])


def session_env(**extra: str) -> dict[str, str]:
    """This environment with no data folder of its own (``--data-dir`` decides), plus ``extra``."""
    return {**os.environ, "COMPANION_DATA_DIR": "", **extra}


def run_session(
    data: Path,
    script: Path | str,
    *,
    scale: float,
    day: dt.date | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a session to its end (at most 180 s); its output is captured."""
    return subprocess.run(
        session_command(data, script, scale=scale, day=day),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env or session_env(),
    )


def recorded_sessions(data: Path) -> list[tuple[str | None, str | None]]:
    """(ended_at, how) of each session in the history of ``data``, oldest first (read-only;
    [] while there is no history yet)."""
    db = data / "history.sqlite3"
    if not db.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT ended_at, how FROM sessions ORDER BY id").fetchall()
    except sqlite3.OperationalError:
        return []


@contextlib.contextmanager
def waiting_session(data: Path, seconds: int = 20) -> Iterator[subprocess.Popen[str]]:
    """A real session that waits ``seconds`` at its first safety question, then ends (chest
    pain: "yes"); yielded once its history row is written. Killed if still running after."""
    script = data / "slow.txt"
    script.write_text(f"wait {seconds}\nyes\n", encoding="utf-8")
    proc = subprocess.Popen(
        session_command(data, script, scale=1),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=session_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while not recorded_sessions(data) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None and recorded_sessions(data) == [(None, None)], "did not start"
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
