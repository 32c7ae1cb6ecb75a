"""Hands-free end to end: real recordings played into a real audio path drive the session.

The companion speaks through pyttsx3 into a PulseAudio null sink whose monitor is its
microphone, so it also hears its own voice, as it would in a room. The test follows the event
log; when the session listens, it plays a real recorded word into the sink and checks that the
session acted on it, and on nothing else (not another word, not its own counting).
A whole session by voice (stop during counting, yes/no, ratings) does not yet pass on this path:
see the note on issue 3.
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
reps = 10
sets = 2
seconds_per_rep = 8.0
rest_seconds = 5

[safety]
pre_session_check = false

[speech]
# The loudspeaker is further from the microphone than the user's mouth.
volume = 0.3
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
        sure = row["confidence"] >= 0.8  # an unsure rating would be confirmed first
        if row["command"] == command and (value is None or row["value"] == value) and sure:
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


def wait_until_quiet(log: Follower, server: PulseServer, quiet_s: float = 1.0) -> None:
    """Wait until the companion has finished speaking and the sink has carried silence since."""
    log.wait_for("quiet")
    n = int(quiet_s * server.rate)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        end = server.mark()
        rec = server.samples(max(0, end - n), end, settle=0)
        if len(rec.samples) >= n * 0.9 and np.abs(rec.samples).max(initial=0) < 300:
            return
        time.sleep(0.1)
    raise AssertionError("the sink never went quiet")


def test_a_session_starts_hands_free_and_ignores_its_own_voice(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    if not SPEECH.is_dir():
        skip_or_fail(f"speech recordings not found at {SPEECH}")
    cmds = SPEECH / "commands"
    go = recognised(sorted((cmds / "go").glob("*.wav"))[:12], "ready", "start")[0]
    unknown = sorted((cmds / "_unknown_").glob("bird_*.wav"))[:1]

    data = tmp_path / "data"
    data.mkdir()
    (data / "routine.toml").write_text(ROUTINE, encoding="utf-8")
    env = pulse_server.client_env()
    errors = (tmp_path / "stderr.txt").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "--debug", "--data-dir", str(data),
         "session", "--engine", "pocketsphinx"],
        cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=errors, text=True,
    )  # fmt: skip
    log = Follower(data / "events.log", proc)
    try:
        log.wait_for("listen", context="ready")
        wait_until_quiet(log, pulse_server)
        for clip in unknown:  # a word that is no command: nothing happens
            pulse_server.play(clip)
        time.sleep(2.5)
        pulse_server.play(go)
        log.wait_for("command", command="start", source="voice", timeout=20)
        log.wait_for("listen", context="counting")
        log.wait_for("say", key="count", timeout=20)
        time.sleep(12)  # the companion counts aloud into its own microphone
        log.poll()
        assert [d["command"] for k, d in log.events if k == "command"] == ["start"]
        proc.terminate()
        proc.wait(timeout=30)
    except AssertionError:
        lines = (tmp_path / "stderr.txt").read_text().splitlines()
        heard = [x for x in lines if "listener" in x or "playing" in x]
        raise AssertionError("what the listener did:\n" + "\n".join(heard[-30:])) from None
    finally:
        if proc.poll() is None:
            proc.kill()
        out, _ = proc.communicate(timeout=10)
        errors.close()
    log.poll()
    heard = [d["command"] for k, d in log.events if k == "command"]
    assert heard == ["start"], heard  # its own voice and the other word were never acted on
    spoken = [d["text"] for k, d in log.events if k == "say"]
    assert "1. Palm up." in spoken and "2. Palm up." in spoken
