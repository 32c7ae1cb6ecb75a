"""Where a spoken line is played: the process's own output stream (every sample's time known,
for the echo canceller) or, when that cannot be opened, a player process per line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from companion.audio.output_stream import OutputStream
from companion.audio.playback_tap import PlaybackTap
from companion.audio.stream_line import StreamLine
from companion.errors import DeviceError
from companion.speech.player import Playback, wav_samples

log = logging.getLogger(__name__)

STREAM_RATE = 22050
"""The in-process stream's rate: Piper's and eSpeak's (lines at another rate are converted)."""


class StreamParts:
    """One line played as several stream lines one after another (its parts, handed over as
    they are rendered): cut off together, waited for together."""

    pid = 0

    def __init__(self) -> None:
        self.lines: list[StreamLine] = []
        self.killed = False

    def add(self, line: StreamLine) -> None:
        """One more part (cut at once when the line was cut already)."""
        self.lines.append(line)
        if self.killed:
            line.kill()

    def kill(self) -> None:
        """Cut the line off now, every part of it."""
        self.killed = True
        for line in list(self.lines):
            line.kill()

    def wait(self, grace: float) -> str | None:
        """Wait until every part has been heard (each at most its length and ``grace``); what
        went wrong, or None."""
        for line in self.lines:
            problem = line.wait(timeout=line.seconds + grace)
            if problem:
                return problem
        return None


class LineOutput:
    """Starts each line on the output stream or a player process, and tells the tap."""

    def __init__(
        self,
        player: Sequence[str] | None,
        tap: PlaybackTap | None,
        in_process: bool,
        missing_player: str,
        on_problem: Callable[[str], None],
    ) -> None:
        self.tap = tap
        """Told every sound played and when (the echo canceller's reference); None: nobody."""
        self.player = tuple(player) if player else None
        self.in_process = in_process
        """Play on one persistent output stream of this process (``OutputStream``: exact
        sample times for the tap); a player process per line when it cannot be opened."""
        self.missing_player = missing_player
        self._on_problem = on_problem
        self._output: OutputStream | None = None

    @property
    def none(self) -> bool:
        """Whether there is no way to play at all."""
        return self.player is None and not self.in_process

    def stream(self) -> OutputStream | None:
        """The in-process output stream, opened if need be; None (for good, logged) when it
        cannot be opened or has stopped playing: player processes then."""
        if not self.in_process:
            return None
        if self._output is not None and self._output.playing:
            return self._output
        try:
            if self._output is not None:
                raise DeviceError("the audio output stopped playing")
            output = OutputStream(self.tap)
            output.open(STREAM_RATE)
        except DeviceError as exc:
            log.warning("speech falls back to a player process: %s", exc.message)
            self.in_process = False
            if self._output is not None:
                self._output.close()
            if self.player is None:
                self._on_problem(self.missing_player)
            return None
        self._output = output
        return output

    def start(
        self, wav: Path, stream: OutputStream | None, label: str = ""
    ) -> Playback | StreamLine | None:
        """Start playing ``wav``, the line ``label`` (its text, for the tap), on ``stream``
        (or a player process; None: there is none)."""
        found = wav_samples(wav) if stream is not None else None
        if stream is not None and found is not None:
            return stream.play(*found, label=label)
        return Playback(self.player, wav) if self.player is not None else None

    def tell_tap(self, wav: Path, started: float, label: str = "") -> None:
        """Hand the sound a player process now plays, the line ``label``, to the tap (nothing
        is lost if the file is unreadable); a stream line tells the tap block by block itself."""
        if self.tap is None:
            return
        found = wav_samples(wav)
        if found is not None:
            self.tap.played(found[0], found[1], started, label)

    def cut(self, playback: Playback | StreamLine | StreamParts) -> None:
        """``playback`` was killed: a player process's sound is cut from the tap now (a stream
        line is cut from the tap where its sound ends)."""
        if self.tap is not None and isinstance(playback, Playback):
            self.tap.cut(time.monotonic())

    def close(self) -> None:
        """Close the output stream, if one was opened."""
        if self._output is not None:
            self._output.close()
