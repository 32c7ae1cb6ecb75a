"""What the companion is saying, as the microphone side tells the listener: the lines whose
sound is in the audio being heard (named by the ``PlaybackTap`` under the echo canceller), or
the lines last handed to the speaker where that is not known."""

from __future__ import annotations

import threading

from companion.audio.echo_cancel import EchoFilter
from companion.speech.base import Speaker


class OwnVoice:
    """Remembers what the companion is saying, so the listener never takes it as a command."""

    def __init__(self, speaker: Speaker) -> None:
        self.speaker = speaker
        self._lines: list[str] = []
        self._lock = threading.Lock()

    def said(self, text: str) -> None:
        """A line was handed to the speaker."""
        with self._lock:
            self._lines = [*self._lines[-3:], text]

    def recent(self) -> str:
        """The last lines handed to the speaker (up to four), joined."""
        with self._lock:
            return " ".join(self._lines)

    def now(self) -> str | None:
        """The text being spoken (recent lines), or None when the speaker is quiet."""
        if not self.speaker.busy():
            with self._lock:
                self._lines = []
            return None
        return self.recent()

    def heard(self, echo: EchoFilter) -> str | None:
        """The lines whose sound is in the audio ``echo`` just returned (exact to its 10 ms
        blocks, with the room's echo: ``EchoFilter.labels``), else None. Where the tap does
        not name them (sound played without a label, or busy ``UNTAPPED_S`` with nothing
        played: a line still rendered, or a speaker not tapped), the recent lines."""
        quiet, busy = echo.quiet_s, self.speaker.busy()
        if quiet > echo.LEAD_S and not (quiet > self.UNTAPPED_S and busy):
            if not busy:  # all it said is over: its old lines must not hide a word later
                with self._lock:
                    self._lines = []
            return None
        labels = echo.labels() if quiet <= echo.LEAD_S else []
        if labels and all(labels):
            return " ".join(labels)
        return " ".join(dict.fromkeys(filter(None, [*labels, self.recent()])))

    UNTAPPED_S = 2.0
    """Busy this long after its last sound: a line still rendered, or a speaker not tapped."""
