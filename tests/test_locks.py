"""companion.locks: a look at a lock (``is_held``, as the reminder daemon does) never makes a
process give up taking it, and shows whether it is held."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from companion import locks
from companion.errors import CompanionError

LOOK = """
import fcntl, sys, time
with open(sys.argv[1], "rb") as f:
    fcntl.flock(f, fcntl.LOCK_SH)  # what locks.is_held does, held here long enough to be seen
    print("looking", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def looking(path: Path, code: str, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds a lock on ``path`` for ``seconds``, as ``code`` does it."""
    return subprocess.Popen(
        [sys.executable, "-c", code, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )


def busy(_pid: int | None) -> CompanionError:
    return CompanionError("busy")


def test_a_look_at_the_lock_in_the_same_instant_does_not_refuse_the_one_taking_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "session.lock"
    path.touch()
    look = locks.LEAST_WAIT / 4
    looker = looking(path, LOOK, look)
    try:
        assert looker.stdout is not None and looker.stdout.readline() == "looking\n"
        start = time.monotonic()
        with locks.held(path, wait=0, busy=busy):  # a session starting: it does not wait
            took = time.monotonic() - start
    finally:
        looker.communicate(timeout=30)
    assert took < locks.LEAST_WAIT + 0.5


def test_a_real_holder_still_refuses_after_the_least_wait(tmp_path: Path) -> None:
    path = tmp_path / "session.lock"
    path.touch()
    holder = looking(path, LOOK.replace("LOCK_SH", "LOCK_EX"), 60)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "looking\n"
        assert locks.is_held(path)
        start = time.monotonic()
        try:
            with locks.held(path, wait=0, busy=busy):
                raise AssertionError("taken while another process holds it")
        except CompanionError:
            pass
        assert locks.LEAST_WAIT <= time.monotonic() - start < locks.LEAST_WAIT + 1
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert not locks.is_held(path)  # gone with its (killed) holder


def test_is_held_while_held_and_not_after(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    assert not locks.is_held(path)  # no file
    with locks.held(path, wait=0, busy=busy):
        assert locks.is_held(path)
    assert not locks.is_held(path)
