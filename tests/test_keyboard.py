"""Keyboard and single-switch input: the pure key decoder, and a real terminal (pty) session."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from companion.commands import CONTEXTS, Command
from companion.events import Heard, Listen, NotUnderstood
from companion.inputs.key_decoder import ESC_WAIT_S, KeyDecoder
from companion.inputs.keyboard import status_line
from companion.inputs.keymap import KEYS, keys_line

C = Command
REPO = Path(__file__).resolve().parent.parent


def decoder(context: str, suggested: Command | None = None, switch: bool = False) -> KeyDecoder:
    d = KeyDecoder(switch=switch)
    d.listen(Listen(context, CONTEXTS[context], suggested))
    return d


def commands(events: list[Heard | NotUnderstood]) -> list[tuple[Command, int | None]]:
    return [(e.command, e.value) for e in events if isinstance(e, Heard)]


def test_keys_map_to_commands_by_context() -> None:
    d = decoder("ready", C.START)
    assert commands(d.key(" ", 0.0)) == [(C.START, None)]
    assert commands(d.key("k", 0.1)) == [(C.NEXT, None)]
    assert commands(d.key("o", 0.2)) == [(C.HURTS, None)]
    assert commands(d.key("a", 0.25)) == [(C.EMERGENCY, None)]
    assert d.key("\x1b", 0.3) == []  # might be the start of an arrow key
    assert commands(d.idle(0.3 + ESC_WAIT_S)[0]) == [(C.STOP, None)]
    d = decoder("yesno")
    assert commands(d.key("n", 0.0)) == [(C.NO, None)]
    assert commands(d.key("y", 0.1)) == [(C.YES, None)]


def test_each_key_means_one_thing() -> None:
    """Issue 20: "n" was both next and no, "x" recorded pain and "q" lowered the volume."""
    assert isinstance(decoder("ready", C.START).key("n", 0.0)[0], NotUnderstood)
    for context in ("ready", "counting", "yesno", "number", "rest", "paused"):
        for key in ("q", "x", "s"):
            assert commands(decoder(context).key(key, 0.0)) == [(C.STOP, None)], (context, key)
    assert isinstance(decoder("yesno").key(" ", 0.0)[0], NotUnderstood)  # space is never yes
    assert KEYS["v"] is C.QUIETER and "q" not in [k for k, c in KEYS.items() if c is C.QUIETER]
    meanings: dict[str, set[Command]] = {}
    for context in CONTEXTS:
        if context == "reminder":
            continue
        for key in KEYS:
            found = decoder(context).key(key, 0.0)
            for cmd, _ in commands(found):
                meanings.setdefault(key, set()).add(cmd)
    assert all(len(cmds) == 1 for cmds in meanings.values()), meanings


def test_arrow_keys_are_not_stop() -> None:
    d = decoder("ready", C.START)
    out = d.key("\x1b", 0.0) + d.key("[", 0.01) + d.key("C", 0.02)
    assert commands(out) == [(C.NEXT, None)]
    out = d.key("\x1b", 1.0) + d.key("[", 1.01) + d.key("A", 1.02)  # up: nothing
    assert out == [] and d.idle(2.0) == ([], None)


def test_the_status_line_names_the_keys_that_work_now() -> None:
    line = status_line(Listen("rest", CONTEXTS["rest"], C.NEXT, status="Exercise 1 of 2"), False)
    assert line.startswith("[Exercise 1 of 2]")
    assert "e end" in line and "q/Esc stop" in line and "o it hurts" in line
    assert "a stroke signs" in line
    assert "y yes" in keys_line("yesno", None) and "n no" in keys_line("yesno", None)
    assert "e end" in keys_line("paused", C.RESUME)  # shown, so understood (issue 20)
    for context in ("ready", "rest", "paused", "alert"):
        assert C.END in CONTEXTS[context]


def test_unknown_key_is_reported_not_ignored() -> None:
    d = decoder("ready", C.START)
    events = d.key("z", 0.0)
    assert isinstance(events[0], NotUnderstood) and "z" in events[0].text
    assert isinstance(decoder("ready").key("7", 0.0)[0], NotUnderstood)  # no number asked


def test_numbers_including_ten() -> None:
    d = decoder("number")
    assert commands(d.key("7", 0.0)) == [(C.NUMBER, 7)]
    assert d.key("1", 1.0) == []  # might be ten
    assert commands(d.key("0", 1.2)) == [(C.NUMBER, 10)]
    assert d.key("1", 2.0) == []
    events, _ = d.idle(2.0 + 0.9)
    assert commands(events) == [(C.NUMBER, 1)]


class Screen:
    """What the terminal has shown; ``until(text)`` waits for text after what was consumed."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        self.pos = 0

    def until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            at = self.data.find(text.encode(), self.pos)
            if at >= 0:
                shown = self.data[self.pos : at + len(text)].decode(errors="replace")
                self.pos = at + len(text)
                return shown
            if time.monotonic() > deadline:
                break
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.data += os.read(self.fd, 4096)
                except OSError:
                    break
        raise AssertionError(f"{text!r} not seen; got {self.data[self.pos :].decode()[-800:]}")


def test_keyboard_drives_a_session_in_a_real_terminal(tmp_path: Path) -> None:
    (tmp_path / "routine.toml").write_text(
        '[[exercise]]\nid = "wrist_bend"\nreps = 2\nsets = 1\nseconds_per_rep = 2.0\n'
        "[safety]\npre_session_check = false\n",
        encoding="utf-8",
    )
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path), "session",
         "--no-voice", "--no-listen", "--time-scale", "4"],
        stdin=follower, stdout=follower, stderr=follower, cwd=REPO, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    term = Screen(leader)
    try:
        term.until("Keys: SPACE")
        term.until("say start, or press the space bar")
        term.until("[Exercise 1 of 1: Wrist bend. Set 1 of 1.")  # the status line
        os.write(leader, b"?")
        term.until("Keys you can press: the space bar for start")
        os.write(leader, b"z")
        term.until("That key does nothing here. Press the space bar for start")
        os.write(leader, b" ")
        term.until("And forward")
        term.until("Any pain?")
        term.until("Keys: 0-9")  # the status line: the session listens for a number now
        os.write(leader, b"2")
        term.until("How hard was that?")
        term.until("Keys: 0-9")
        os.write(leader, b"10")  # two keys, well within TEN_WAIT_S whatever the load
        term.until("10. Thank you.")
        screen = term.until("That is all for today")
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert "┃" in screen  # large boxed captions on a terminal


def test_a_reminder_shows_its_own_keys_and_reads_them_from_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from companion.commands import vocabulary
    from companion.inputs.keyboard import KeyboardSource
    from companion.inputs.keymap import REMINDER_LEGEND

    leader, follower = pty.openpty()
    got: list[object] = []
    with os.fdopen(follower, "r") as stream:
        source = KeyboardSource(stream, vocabulary(), False, lambda _t: None, REMINDER_LEGEND)
        source.listen(Listen("reminder", CONTEXTS["reminder"], C.START))
        source.start(got.append)
        try:
            os.write(leader, b"u")
            deadline = time.monotonic() + 5
            while not got and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            source.close()
            os.close(leader)
    assert commands([e for e in got if isinstance(e, Heard | NotUnderstood)]) == [(C.LATER, None)]
    legend = capsys.readouterr().err
    assert "u later" in legend and "k skip today" in legend and "p pause" not in legend
    assert "o it hurts" in legend and "q/Esc stop" in legend  # heard at a reminder too


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_terminal_that_hangs_up_stops_the_keys_quietly(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A closed terminal (ssh cut, window closed) reads EIO or nothing for ever: the reader
    stops, nothing is invented from it, and closing does not fail."""
    from companion.commands import vocabulary
    from companion.inputs.keyboard import KeyboardSource

    leader, follower = pty.openpty()
    got: list[object] = []
    heard = threading.Event()

    def sink(event: object) -> None:
        got.append(event)
        heard.set()

    with os.fdopen(follower, "r") as stream:
        source = KeyboardSource(stream, vocabulary(), False, lambda _t: None)
        source.listen(Listen("yesno", CONTEXTS["yesno"]))
        source.start(sink)
        try:
            os.write(leader, b"y")
            assert heard.wait(5)
            os.close(leader)
            deadline = time.monotonic() + 5
            while any(t.name == "keys" for t in threading.enumerate()):
                assert time.monotonic() < deadline, "the key reader is still running"
                time.sleep(0.02)
        finally:
            source.close()
    assert commands([e for e in got if isinstance(e, Heard | NotUnderstood)]) == [(C.YES, None)]
    assert len(got) == 1
