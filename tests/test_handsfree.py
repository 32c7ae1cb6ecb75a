"""Hands-free end to end: real recordings played into a real audio path drive a whole session.

The companion speaks through pyttsx3 into a PulseAudio null sink whose monitor is its
microphone, so it also hears its own voice, as it would in a room. The test follows the event
log; each time the session listens, it plays a real recorded command into the sink and checks
that the session acted on it (and on nothing else).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import skip_or_fail
from tests.pulse import PulseServer

REPO = Path(__file__).resolve().parent.parent
SPEECH = Path(os.environ.get("COMPANION_SPEECH_DATA", REPO.parent / "shared" / "data" / "speech"))

ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 2
sets = 2
seconds_per_rep = 3.0
rest_seconds = 5

[safety]
pre_session_check = false
"""

pytestmark = [pytest.mark.audio, pytest.mark.slow]


def recognised(
    files: list[Path], context: str, command: str, value: int | None = None, want: int = 1
) -> list[Path]:
    """Clips the offline listener decodes as ``command`` (the path is under test, not accuracy)."""
    cmd = [sys.executable, "-m", "companion.cli.main", "recognize", "--context", context]
    out = subprocess.run(
        [*cmd, *map(str, files)], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    good = []
    for line in out.stdout.splitlines():
        row = json.loads(line)
        if row["command"] == command and (value is None or row["value"] == value):
            good.append(Path(row["file"]))
    if len(good) < want:
        pytest.fail(f"no clip recognised as {command} in {context}: {out.stdout} {out.stderr}")
    return good[:want]


class Follower:
    """Reads the session's event log as it grows."""

    def __init__(self, path: Path, proc: subprocess.Popen[str]) -> None:
        self.path = path
        self.proc = proc
        self.seen = 0
        self.events: list[tuple[str, dict[str, object]]] = []

    def poll(self) -> None:
        if not self.path.exists():
            return
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for line in lines[self.seen :]:
            _at, kind, details = line.split("\t", 2)
            self.events.append((kind, json.loads(details)))
        self.seen = len(lines)

    def wait_for(self, kind: str, timeout: float = 120, **match: object) -> dict[str, object]:
        """The next event of ``kind`` whose details match, after those already consumed."""
        deadline = time.monotonic() + timeout
        start = getattr(self, "_cursor", 0)
        while time.monotonic() < deadline:
            self.poll()
            for i in range(start, len(self.events)):
                k, d = self.events[i]
                if k == kind and all(d.get(key) == v for key, v in match.items()):
                    self._cursor = i + 1
                    return d
            if self.proc.poll() is not None:
                self.poll()
                break
            time.sleep(0.05)
        raise AssertionError(f"no {kind} {match} within {timeout}s; saw {self.events[-15:]}")


def wait_until_quiet(server: PulseServer, quiet_s: float = 2.5, timeout: float = 120) -> None:
    """Wait until the companion has stopped speaking (the sink carries silence)."""
    deadline = time.monotonic() + timeout
    n = int(quiet_s * server.rate)
    while time.monotonic() < deadline:
        end = server.mark()
        rec = server.samples(max(0, end - n), end, settle=0)
        if len(rec.samples) >= n * 0.9 and np.abs(rec.samples).max(initial=0) < 300:
            return
        time.sleep(0.2)
    raise AssertionError("the companion never went quiet")


def test_a_whole_session_runs_hands_free(pulse_server: PulseServer, tmp_path: Path) -> None:
    if not SPEECH.is_dir():
        skip_or_fail(f"speech recordings not found at {SPEECH}")
    cmds = SPEECH / "commands"
    go = recognised(sorted((cmds / "go").glob("*.wav"))[:12], "ready", "start")[0]
    stop = recognised(sorted((cmds / "stop").glob("*.wav"))[:12], "counting", "stop")[0]
    yes = recognised(sorted((cmds / "yes").glob("*.wav"))[:12], "yesno", "yes")[0]
    digits = sorted((SPEECH / "digits").glob("*.wav"))
    two = recognised([d for d in digits if d.name.startswith("2_")][:12], "number", "number", 2)[0]
    one = recognised([d for d in digits if d.name.startswith("1_")][:12], "number", "number", 1)[0]
    unknown = sorted((cmds / "_unknown_").glob("bird_*.wav"))[:1]

    data = tmp_path / "data"
    data.mkdir()
    (data / "routine.toml").write_text(ROUTINE, encoding="utf-8")
    env = pulse_server.client_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), "session",
         "--engine", "pocketsphinx"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = Follower(data / "events.log", proc)
    try:
        log.wait_for("listen", context="ready")
        wait_until_quiet(pulse_server)
        for clip in unknown:  # a word that is no command: nothing happens
            pulse_server.play(clip)
        time.sleep(2.5)
        pulse_server.play(go)
        log.wait_for("command", command="start", source="voice", timeout=20)
        log.wait_for("listen", context="counting")
        log.wait_for("listen", context="number", timeout=60)
        wait_until_quiet(pulse_server)
        pulse_server.play(two)
        got = log.wait_for("command", command="number", timeout=20)
        assert got["value"] == 2
        log.wait_for("listen", context="number")
        wait_until_quiet(pulse_server)
        pulse_server.play(one)
        got = log.wait_for("command", command="number", timeout=20)
        assert got["value"] == 1
        log.wait_for("listen", context="ready", timeout=60)
        wait_until_quiet(pulse_server)
        pulse_server.play(go)
        log.wait_for("command", command="start", source="voice", timeout=20)
        log.wait_for("say", key="count", timeout=20)
        time.sleep(0.5)  # "stop" while the companion is counting aloud
        pulse_server.play(stop)
        log.wait_for("command", command="stop", source="voice", timeout=10)
        log.wait_for("listen", context="yesno")
        wait_until_quiet(pulse_server)
        pulse_server.play(yes)
        log.wait_for("command", command="yes", source="voice", timeout=20)
        log.wait_for("end", how="stopped", timeout=60)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    log.poll()
    heard = [d["command"] for k, d in log.events if k == "command"]
    assert heard == ["start", "number", "number", "start", "stop", "yes"], heard
    assert "Well done" in out or "Good work" in out or "Nicely done" in out
    spoken = [d["text"] for k, d in log.events if k == "say"]
    assert "And down." in spoken
