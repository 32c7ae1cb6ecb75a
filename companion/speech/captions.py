"""Large, clear on-screen captions of every spoken line, and the captions-only speaker."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import textwrap
import threading
from typing import TextIO

from companion.speech.base import Speaker

log = logging.getLogger(__name__)

_BOLD = "\033[1m"
_RESET = "\033[0m"
_UNICODE_BOX = ("┏", "━", "┓", "┃", "┗", "┛")
_ASCII_BOX = ("+", "-", "+", "|", "+", "+")


def _can_encode(stream: TextIO, text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class CaptionSink:
    """Writes each spoken line to a text stream: boxed and bold on a terminal, plain otherwise.

    On a terminal every caption starts after a blank line, is wrapped to the terminal width and
    drawn inside a box, in bold unless ``NO_COLOR`` is set. On anything else (a file, a pipe, a
    test) each caption is exactly one line of text, so scripts can read the captions back.
    """

    def __init__(self, stream: TextIO | None = None, *, fancy: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        if fancy is None:
            isatty = getattr(self._stream, "isatty", None)
            fancy = bool(isatty and isatty())
        self._fancy = fancy
        self._bold = fancy and not os.environ.get("NO_COLOR")
        self._box = _UNICODE_BOX if _can_encode(self._stream, "".join(_UNICODE_BOX)) else _ASCII_BOX
        self._lock = threading.Lock()
        self._broken = False

    @property
    def fancy(self) -> bool:
        """Whether captions are drawn boxed for a terminal."""
        return self._fancy

    def show(self, text: str) -> None:
        """Show one spoken line."""
        line = " ".join(text.split())
        if not line:
            return
        rendered = self._boxed(line) if self._fancy else line + "\n"
        if not _can_encode(self._stream, rendered):  # e.g. a dash on an ASCII-only terminal
            encoding = getattr(self._stream, "encoding", None) or "ascii"
            rendered = rendered.encode(encoding, "replace").decode(encoding)
        with self._lock:
            try:
                self._stream.write(rendered)
                self._stream.flush()
            except (OSError, ValueError) as exc:  # closed terminal or pipe: keep the session going
                if not self._broken:
                    log.warning("captions cannot be shown: %s", exc)
                self._broken = True

    def _boxed(self, line: str) -> str:
        columns = shutil.get_terminal_size((80, 24)).columns
        width = max(20, min(columns, 100) - 4)
        rows = textwrap.wrap(line, width=width) or [line]
        inner = max(len(r) for r in rows)
        bold, reset = (_BOLD, _RESET) if self._bold else ("", "")
        tl, h, tr, v, bl, br = self._box
        out = ["", tl + h * (inner + 2) + tr]
        out += [f"{v} {bold}{r.ljust(inner)}{reset} {v}" for r in rows]
        out.append(bl + h * (inner + 2) + br)
        return "\n".join(out) + "\n"


class SilentSpeaker:
    """Captions only (``--no-voice``): every line is shown at once, nothing is played."""

    def __init__(self, captions: CaptionSink) -> None:
        self._captions = captions

    def say(self, text: str, *, beat: bool = False) -> None:
        """Show ``text`` as a caption."""
        self._captions.show(text)

    def stop(self) -> None:
        """Nothing is playing."""

    def set_voice(self, rate: int, volume: float) -> None:
        """No voice to change."""

    def busy(self) -> bool:
        """Never busy: captions appear at once."""
        return False

    def close(self) -> None:
        """Nothing to release."""


class CaptionedSpeaker:
    """Shows each line as a caption when it is handed over, then lets ``voice`` speak it."""

    def __init__(self, voice: Speaker, captions: CaptionSink) -> None:
        self.voice = voice
        self._captions = captions

    def say(self, text: str, *, beat: bool = False) -> None:
        """Caption ``text`` now and queue it for speaking (``beat``: speak it now)."""
        self._captions.show(text)
        self.voice.say(text, beat=beat)

    def stop(self) -> None:
        """Stop speaking at once; captions already shown stay."""
        self.voice.stop()

    def set_voice(self, rate: int, volume: float) -> None:
        """Change rate and volume of what is said next."""
        self.voice.set_voice(rate, volume)

    def busy(self) -> bool:
        """Whether the voice is still speaking or has lines queued."""
        return self.voice.busy()

    def wait_played(self, timeout: float) -> float | None:
        """The voice's ``wait_played`` (``QueuedSpeaker.wait_played``): once everything
        queued has been said, when its last player ended; None when ``timeout`` ran out or the
        voice cannot tell."""
        wait = getattr(self.voice, "wait_played", None)
        return wait(timeout) if callable(wait) else None

    def close(self) -> None:
        """Finish speaking and release the audio device."""
        self.voice.close()
