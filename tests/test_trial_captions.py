"""Lines spoken during a session that the page did not show (found in a user trial; captions for
everything spoken): the loop's "I cannot save your results" line, and a new pairing code said by
the session's voice. A real session on the real screen's state (the app's test client reads it),
a real history file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from companion import prompts
from companion.errors import StorageError
from companion.history.store import HistoryStore
from companion.records import Record
from companion.screen.live import Live
from companion.screen.pairing_voice import PairingVoice, spoken_digits
from tests.test_trial_screen import CHEST, trial

NOT_SAVED = prompts.load("en").text("session.history_not_saved")


class ShownLive(Live):
    """The screen's state, keeping every caption and smaller line the page was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[str] = []

    def update(self, **changes: Any) -> None:
        self.shown += [str(changes[k]) for k in ("said", "caption") if changes.get(k)]
        super().update(**changes)


def test_the_history_not_saved_line_is_shown_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A history that cannot be written (as on a full disk): the line is said and shown."""

    def full(self: HistoryStore, record: Record) -> None:
        raise StorageError("The disk is full.", hint="Free some space.")

    monkeypatch.setattr(HistoryStore, "write", full)
    live = ShownLive()
    with trial(tmp_path, live=live) as t:
        shown = t.wait(lambda s: s["caption"].endswith(CHEST))
        assert any(NOT_SAVED in line for line in live.shown), live.shown
        assert NOT_SAVED in f"{shown['said']} {shown['caption']}"
        press = t.press("no", shown)
        assert press.status_code == 200
    said = t.where.event_log.read_text(encoding="utf-8")
    assert said.count("history_lost") == 1  # said once


def test_a_pairing_code_said_during_a_session_is_shown_on_the_page(tmp_path: Path) -> None:
    live = ShownLive()
    with trial(tmp_path, live=live) as t:
        t.wait(lambda s: s["caption"].endswith(CHEST))
        voice = PairingVoice(t.where, live, voice=False, busy=lambda: True)
        try:
            voice.say("123456", new=True)
            digits = spoken_digits("123456")
            state = t.wait(lambda s: digits in s["caption"], 10)
        finally:
            voice.close()
        assert state["running"] and CHEST in f"{state['said']} {state['caption']}"


def test_the_report_page_keeps_stop_and_it_hurts_while_a_session_runs(tmp_path: Path) -> None:
    """The carer opened the therapist's report in the same tab during a session: the other
    pages kept Stop and It hurts, the report had neither. A press from it reaches the session
    (its security policy lets the page's forms post to the companion only)."""
    with trial(tmp_path) as t:
        t.wait(lambda s: s["stage"] == "safety" and "no" in s["commands"])
        reply = t.client.get("/report")
        page = reply.text
        assert "<h1" in page and 'id="safety"' in page  # the report itself
        for command in ("stop", "hurts"):
            assert f'<button name="command" value="{command}"' in page, command
        assert "form-action 'self'" in reply.headers["content-security-policy"]
        token = page.split('name="token" value="', 1)[1].split('"', 1)[0]
        r = t.client.post("/press", data={"command": "hurts", "token": token},
                          follow_redirects=False)  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == "/"
        t.wait(lambda s: s["stage"] == "hurt_level")


def test_the_report_page_has_no_session_buttons_when_no_session_runs(tmp_path: Path) -> None:
    with trial(tmp_path) as t:  # a session recorded, then ended
        t.wait(lambda s: s["stage"] == "safety" and "no" in s["commands"])
    client = t.client
    t.live.reset()
    reply = client.get("/report")
    assert (
        'value="stop"' not in reply.text
        and "form-action 'none'" in reply.headers["content-security-policy"]
    )
