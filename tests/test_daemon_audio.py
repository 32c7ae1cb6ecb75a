"""The reminder is really spoken: the daemon's voice recorded from a real PulseAudio sink."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion import prompts
from tests.conftest import skip_or_fail
from tests.pulse import PulseServer, read_wav, voiced_segments
from tests.test_daemon import REPO, outcomes, reminder_times, said, soon, write_routine

pytestmark = [pytest.mark.audio, pytest.mark.slow]


def _spoken_seconds(text: str, rate: int, folder: Path) -> float:
    """How long espeak-ng itself takes to say ``text`` (the reference, not via the daemon)."""
    wav = folder / f"ref-{abs(hash(text))}.wav"
    subprocess.run(
        ["espeak-ng", "-v", "gmw/en", "-s", str(rate), "-w", str(wav), text],
        check=True,
        capture_output=True,
    )
    segments = voiced_segments(read_wav(wav))
    return sum(b - a for a, b in segments)


@pytest.mark.solo  # the reminder is heard within 1 s of its time
def test_the_reminder_is_heard_and_the_answer_waits_for_the_question(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    for tool, package in (("espeak-ng", "espeak-ng"), ("aplay", "alsa-utils")):
        if shutil.which(tool) is None:
            skip_or_fail(f"{tool} is not installed: apt-get install {package}")
    data = tmp_path / "data"
    write_routine(data)
    (data / "answers.txt").write_text("skip today\n")
    out = (data / "daemon.out").open("w")
    start = pulse_server.mark()
    started = time.time()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "daemon", "--data-dir", str(data),
         *soon(2), "--script", str(data / "answers.txt"), "--no-listen", "--no-session"],
        stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        env=pulse_server.client_env({**_base_env(), "PYTHONPATH": str(REPO)}))  # fmt: skip
    try:
        ((_, due),) = reminder_times(_running_line(data / "daemon.out", proc))
        end = time.monotonic() + 60
        while time.monotonic() < end and "skipped" not in [o for _, _, o in _rows(data)]:
            time.sleep(0.1)
        rec = pulse_server.samples(start, settle=1.0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        out.close()
    assert [o for _, _, o in outcomes(data)] == ["fired", "skipped"], (
        data / "daemon.out"
    ).read_text()
    segments = voiced_segments(rec)
    assert segments, "nothing was heard"
    first_sound = dt.datetime.fromtimestamp(started + segments[0][0], dt.timezone.utc)
    assert dt.timedelta(0) <= first_sound - due <= dt.timedelta(seconds=1), (first_sound, due)
    words = prompts.load("en")
    lines = [
        words.text("reminders.reminder.first"),
        words.text("reminders.reminder.choices", start="start", later="later", skip="skip today"),
        words.text("reminders.reminder.skipped"),
    ]
    expected = sum(_spoken_seconds(t, 150, tmp_path) for t in lines)
    heard = sum(b - a for a, b in segments)
    assert heard >= 0.8 * expected, (heard, expected)
    # "skip today" was taken only once the choices had been said to the end
    (choices_shown,) = said(data, "reminders.reminder.choices")
    (skipped_shown,) = said(data, "reminders.reminder.skipped")
    assert skipped_shown - choices_shown >= dt.timedelta(seconds=0.5 * expected / 3)


def _running_line(path: Path, proc: subprocess.Popen[bytes]) -> str:
    """The daemon's "running; reminders at ..." line, once printed."""
    end = time.monotonic() + 60
    while time.monotonic() < end and proc.poll() is None:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "running; reminders at " in line:
                return line
        time.sleep(0.05)
    pytest.fail(f"the daemon never said it was running:\n{path.read_text(encoding='utf-8')}")


def _rows(data: Path) -> list[tuple[dt.datetime, str, str]]:
    try:
        return outcomes(data)
    except Exception:  # noqa: BLE001 - the history may not exist yet
        return []


def _base_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("COMPANION_DATA_DIR", None)
    return env
