"""The suite's own machinery, run as `make pytest` runs it: a test run that is cut short leaves
no private sound server behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, skip_or_fail
from tests.pulse import missing_tools


def inner_pytest(tmp_path: Path, test_file: Path, *args: str) -> list[str]:
    """A pytest command over ``test_file`` with this project's settings (pyproject.toml) and
    fixtures and hooks (tests/conftest.py), as `make pytest` has them."""
    return [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
            "-c", str(REPO / "pyproject.toml"), "--rootdir", str(tmp_path),
            "--basetemp", str(tmp_path / "basetemp"), *args, str(test_file)]  # fmt: skip


def inner_env(**extra: str) -> dict[str, str]:
    """This environment, with the repository importable (``-p tests.conftest``)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


HANGS = """
import os
import time
from pathlib import Path

import pytest


@pytest.mark.timeout(2, func_only=True)
def test_hangs(pulse_server) -> None:
    Path(os.environ["PIDS_OUT"]).write_text(" ".join(map(str, pulse_server.pids)))
    time.sleep(120)
"""


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie (killed, waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.parametrize("how", ["time limit", "SIGKILL"])
def test_a_test_run_cut_short_leaves_no_sound_server(tmp_path: Path, how: str) -> None:
    """pytest-timeout's thread method ends pytest with os._exit (no teardown runs); a killed
    pytest runs nothing at all. Before, the server and its recorder were left running (ppid 1)."""
    if missing_tools():
        skip_or_fail(f"PulseAudio is not installed (missing {', '.join(missing_tools())})")
    test_file = tmp_path / "test_hangs.py"
    test_file.write_text(HANGS, encoding="utf-8")
    pids_file = tmp_path / "pids.txt"
    proc = subprocess.Popen(
        inner_pytest(tmp_path, test_file), env=inner_env(PIDS_OUT=str(pids_file)), cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not pids_file.exists() or not pids_file.read_text():
            assert proc.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        pids = [int(p) for p in pids_file.read_text().split()]
        assert len(pids) == 2 and all(map(is_running, pids))
        if how == "SIGKILL":
            proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        if how == "time limit":
            assert "Timeout" in out and proc.returncode != 0, out
        deadline = time.monotonic() + 5
        while any(map(is_running, pids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [pid for pid in pids if is_running(pid)]
        assert not left, f"still running after pytest ended: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for pid in pids:  # what a failure left: this test's own server and recorder only
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
