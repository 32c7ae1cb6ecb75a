"""What the companion is saying, as the listener keeps track of it: its words over the audio
heard, whether it is speaking, and until when its voice may still be in what the microphone
hears."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise

from companion.commands import Parsed
from companion.listen import own_voice

KEEP_S = 30.0
"""What it said longer ago than this is forgotten (far longer than any utterance)."""


@dataclass
class CompanionSpeech:
    """The companion's own speech on the listener's timeline (seconds of audio processed)."""

    current: str = ""
    """What the companion is saying now, or said last (normalised)."""
    speaking: bool = False
    until_s: float = -1.0
    """Until here its words are still ignored (``own_voice_tail_s`` after it stopped)."""
    said: deque[tuple[float, str]] = field(default_factory=deque)
    """(position, text): from there on it was saying that ("": nothing), one entry per change."""
    turn_from_s: float | None = None
    """Where what it said counts for the utterance under way (None: no utterance)."""

    def hear(self, position_s: float, text: str | None, in_turn: bool) -> None:
        """From ``position_s`` on it says ``text`` (normalised; None: nothing). ``in_turn``:
        an utterance is under way, else what it said before no longer counts."""
        if text is not None:
            self.current = text
        if not in_turn:
            self.turn_from_s = None
        if not self.said or self.said[-1][1] != (text or ""):
            self.said.append((position_s, text or ""))
        while len(self.said) > 1 and self.said[1][0] <= position_s - KEEP_S:
            self.said.popleft()

    def begin_turn(self, from_s: float) -> None:
        """An utterance begins: everything it said from ``from_s`` on (the utterance's start
        less the own voice's tail) may be in its audio."""
        self.turn_from_s = from_s

    @property
    def text(self) -> str:
        """What it said during the utterance under way (or the last one), every line whose
        sound was in it; with no utterance, what it is saying now."""
        if self.turn_from_s is None:
            return self.current
        texts = [
            text
            for (_, text), (until, _) in pairwise([*self.said, (float("inf"), "")])
            if text and until > self.turn_from_s + 1e-6
        ]
        # each once, and not again inside another ("3 palm up" in "3 palm up 4 and down")
        found = list(dict.fromkeys(texts))
        return " ".join(t for t in found if not any(t != o and f" {t} " in f" {o} " for o in found))

    def covers(self, turn_start_s: float) -> bool:
        """``own_voice.is_active`` for a turn that began at ``turn_start_s``."""
        return own_voice.is_active(self.speaking, turn_start_s, self.until_s)

    def candidates(self, table: Mapping[str, Parsed]) -> frozenset[str]:
        """``own_voice.candidates``: the live phrases that may be heard over what it said
        during the utterance (``text``)."""
        return own_voice.candidates(table, self.text)

    def ends_at_pause(
        self, turn_start_s: float, position_s: float, silence_s: float, pause_s: float
    ) -> bool:
        """``own_voice.ends_at_pause`` for a turn that began at ``turn_start_s``."""
        return own_voice.ends_at_pause(
            self.speaking, turn_start_s, self.until_s, position_s, silence_s, pause_s
        )
