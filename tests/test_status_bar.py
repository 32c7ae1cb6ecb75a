"""The status line stays pinned to the bottom of the terminal while captions scroll above it
(issue 20: "the key map scrolls away"). Checked on a terminal emulator (pyte), both for the pinned
line alone and for a real session on a pty."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyte

from companion.inputs.status_bar import Caps, PinnedStatus

REPO = Path(__file__).resolve().parent.parent
ROWS, COLUMNS = 24, 80


class Emulated:
    """A text stream drawn on a pyte screen, newlines made CR LF as a terminal's driver does."""

    def __init__(self, rows: int = ROWS, columns: int = COLUMNS) -> None:
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)

    def write(self, text: str) -> int:
        self.stream.feed(text.replace("\n", "\r\n"))
        return len(text)

    def flush(self) -> None:
        pass

    def bottom(self, rows: int) -> str:
        return "".join(self.screen.display[-rows:])


def xterm() -> Caps:
    leader, follower = pty.openpty()
    try:
        caps = Caps.load("xterm", follower)
    finally:
        os.close(leader)
        os.close(follower)
    assert caps is not None
    return caps


def test_the_status_stays_at_the_bottom_while_captions_scroll_above() -> None:
    term = Emulated()
    pinned = PinnedStatus(term, xterm(), lambda: (ROWS, COLUMNS))  # type: ignore[arg-type]
    term.write("Keys: the whole key map\n")
    pinned.show("[Exercise 1 of 2] Keys: y yes   n no   q/Esc stop")
    for n in range(1, 60):
        term.write(f"caption {n}\n")
        assert "Keys: y yes   n no   q/Esc stop" in term.screen.display[-1], n
    # the newest captions just above it (then the cursor's empty row)
    assert term.screen.display[-3].startswith("caption 59")
    assert term.screen.display[-4].startswith("caption 58")
    long = "[Exercise 2 of 2: Coin drop. Set 1 of 1. Done 1 of 8.] Keys: " + "x " * 100
    pinned.show(long)  # wraps over 4 rows: the captions move up out of its way
    term.write("caption 60\n")
    assert term.bottom(4).startswith(long[:COLUMNS]) and "x x" in term.screen.display[-1]
    assert [r.strip() for r in term.screen.display[-8:-4]] == [
        "caption 58", "caption 59", "caption 60", ""
    ]  # fmt: skip
    pinned.close()
    assert "Keys" not in term.bottom(4)
    for n in range(61, 90):
        term.write(f"caption {n}\n")
    assert term.screen.display[-2].startswith("caption 89")  # the whole terminal scrolls again


def test_no_pinning_where_the_terminal_size_is_unknown() -> None:
    leader, follower = pty.openpty()  # a bare pty reports 0 rows and 0 columns
    try:
        with os.fdopen(follower, "w", closefd=False) as stream:
            assert PinnedStatus.for_terminal(stream) is None
    finally:
        os.close(leader)
        os.close(follower)


def test_a_session_keeps_its_key_map_on_screen_while_it_counts(tmp_path: Path) -> None:
    """A real session on a 24-row terminal: after the counting captions have filled the screen
    several times over, the status line with the keys is still in the bottom rows (on the old
    code it scrolled away with the first few captions), and it says how many repetitions are
    done (it was not redrawn while counting: "Done 0 of 6" to the end of the set)."""
    (tmp_path / "routine.toml").write_text(
        '[[exercise]]\nid = "wrist_bend"\nreps = 6\nsets = 1\nseconds_per_rep = 2.0\n'
        "[safety]\npre_session_check = false\n",
        encoding="utf-8",
    )
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    env = {**os.environ, "TERM": "xterm", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path), "session",
         "--no-voice", "--no-listen", "--time-scale", "4"],
        stdin=follower, stdout=follower, stderr=follower, cwd=REPO, close_fds=True, env=env,
    )  # fmt: skip
    os.close(follower)
    screen = pyte.Screen(COLUMNS, ROWS)
    stream = pyte.ByteStream(screen)
    seen = b""

    def until(text: str, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text.encode() not in seen:
            assert time.monotonic() < deadline, f"{text!r} not seen:\n" + "\n".join(screen.display)
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    data = os.read(leader, 4096)
                except OSError:  # the session has ended
                    tail = seen.decode(errors="replace")[-1500:]
                    raise AssertionError(f"{text!r} not seen; it ended:\n{tail}") from None
                seen += data
                stream.feed(data)

    try:
        until("Keys: SPACE")
        until("say start, or press the space bar")
        os.write(leader, b" ")
        until("6. Back.")  # 24 captions after the last status line: 4 screens
        drawn = "\n".join(screen.display)
        bottom = "".join(screen.display[-4:])  # the rows its longest line took
        assert "Keys:" in bottom and "q/Esc stop" in bottom and "p pause" in bottom, drawn
        assert "[Exercise 1 of 1: Wrist bend. Set 1 of 1." in bottom, drawn
        # redrawn as it counts: five done as the sixth is said (on the old code "Done 0 of 6")
        assert "Done 5 of 6." in bottom, drawn
        assert "6. Back." in "".join(screen.display[:-4])  # the captions scroll above it
        until("Any pain?")
        os.write(leader, b"0")
        until("How hard was that?")
        os.write(leader, b"2")
        until("That is all for today")
        assert proc.wait(timeout=30) == 0
        until("[session ended")
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
