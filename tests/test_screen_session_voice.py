"""A new pairing code while a session runs (``companion screen --lan``): it is said by the
session's own voice when its current line ends, never over it and never dropped.

The queue itself: a real ``QueuedSpeaker`` with a player process that logs when each line
starts and ends (tests/test_speech_queue.py's rig). The whole: a real ``companion screen --lan``
process, a session started on its page, a tablet pairing meanwhile; the new code's caption comes
in the session's captions."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from companion.screen.pairing_voice import spoken_digits
from companion.screen.session_voice import SessionVoice
from tests.test_screen_cli import PRESSES, REPO, wait_for
from tests.test_screen_lan import lan_or_skip, port_of, screen
from tests.test_screen_reminder import token_of
from tests.test_speech_queue import Rig

LONG_S = 1.0


def _until(test: Callable[[], bool], within_s: float = 10) -> None:
    deadline = time.monotonic() + within_s
    while not test():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _times(rig: Rig, kind: str, text: str) -> list[float]:
    return [when for k, t, when in rig.events() if (k, t) == (kind, text)]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path, {"session line": LONG_S, "the code": LONG_S, "next line": 0.2})


def test_the_code_is_said_when_the_sessions_line_ends_not_over_it(rig: Rig) -> None:
    voice = SessionVoice(rig.speaker, quiet_s=0.3)
    voice.say("session line")
    _until(lambda: rig.started() == ["session line"])
    voice.interject("the code")
    voice.say("next line")  # the session goes on: after the code, not over it
    assert rig.speaker.wait(timeout=20)
    assert rig.started() == ["session line", "the code", "next line"]
    assert rig.ended() == ["session line", "the code", "next line"]
    (line_end,) = _times(rig, "end", "session line")
    (code_start,) = _times(rig, "start", "the code")
    assert code_start >= line_end  # no overlap
    voice.finish()
    rig.speaker.close()


def test_a_code_cut_short_by_the_session_is_said_again_once_it_is_quiet(rig: Rig) -> None:
    voice = SessionVoice(rig.speaker, quiet_s=0.3)
    voice.interject("the code")
    _until(lambda: rig.started() == ["the code"])
    voice.say("next line", beat=True)  # a count cuts in: the code is not heard in full
    _until(lambda: rig.ended() == ["next line", "the code"], within_s=20)
    starts = _times(rig, "start", "the code")
    assert len(starts) == 2
    (beat_end,) = _times(rig, "end", "next line")
    assert starts[1] - beat_end >= 0.3  # after a quiet moment, not squeezed in
    voice.finish()
    rig.speaker.close()


def test_a_code_still_waiting_when_the_session_ends_is_said_at_its_end(rig: Rig) -> None:
    voice = SessionVoice(rig.speaker, quiet_s=30)  # no quiet moment comes in time
    voice.interject("the code")
    _until(lambda: rig.started() == ["the code"])
    voice.stop()  # "stop": everything cut
    voice.finish()  # the session's loop ends; its speaker's close says what is queued
    rig.speaker.close()
    assert rig.ended() == ["the code"]
    voice.interject("too late")  # after the end: nothing is queued on a closed speaker
    assert rig.started() == ["the code", "the code"]


@pytest.mark.timeout(180)
def test_a_new_code_made_during_a_session_on_the_page_comes_in_its_captions(
    tmp_path: Path,
) -> None:
    address = lan_or_skip()
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data)]
    subprocess.run([*cli, "routine", "set", "input.voice", "false"], check=True, cwd=REPO,
                   capture_output=True, timeout=60)  # fmt: skip
    with (
        screen(data, "--lan", "--time-scale", "5") as s,
        httpx.Client(base_url=s.local, timeout=30) as web,
    ):
        first = s.code()
        s.wait_said(f"type this code: {spoken_digits(first)}.")
        token = token_of(web)

        def state() -> dict[str, Any]:
            return dict(web.get("/state").json())

        assert web.post("/press", data={"command": "start", "token": token}).status_code == 303
        wait_for(state, lambda st: st["running"] and st["commands"], 60)
        before = len(s.said)
        tablet_url = f"http://{address}:{port_of(s.local)}/"
        with httpx.Client(base_url=tablet_url, timeout=30) as tablet:
            r = tablet.post("/pair", data={"code": first}, headers={"origin": tablet_url[:-1]})
            assert "set-cookie" in r.headers, r.text  # paired: a new code for the next tablet
        _until(lambda: s.code() != first)
        new = s.code()
        s.wait_said(f"The code for a tablet is now: {spoken_digits(new)}.")
        assert state()["running"]  # said while the session runs, in its captions
        assert any("code for a tablet" in line for line in s.said[before:])
        for command in PRESSES:  # the session goes on and ends as usual
            asked = wait_for(state, lambda st, c=command: c in st["commands"] or st["ended"])
            if asked["ended"]:
                break
            web.post("/press", data={"command": command, "token": token})
            wait_for(state, lambda st, v=asked["version"]: st["version"] > v or st["ended"])
        wait_for(state, lambda st: st["ended"] and not st["running"], 60)
