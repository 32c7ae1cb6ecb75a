"""What the companion is saying, as the listener keeps track of it: its words, whether it is
speaking, and until when its voice may still be in what the microphone hears."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from companion.commands import Parsed
from companion.listen import own_voice


@dataclass
class CompanionSpeech:
    """The companion's own speech on the listener's timeline (seconds of audio processed)."""

    text: str = ""
    """What the companion is saying (normalised)."""
    speaking: bool = False
    until_s: float = -1.0
    """Until here its words are still ignored (``own_voice_tail_s`` after it stopped)."""

    def covers(self, turn_start_s: float) -> bool:
        """``own_voice.is_active`` for a turn that began at ``turn_start_s``."""
        return own_voice.is_active(self.speaking, turn_start_s, self.until_s)

    def candidates(self, table: Mapping[str, Parsed]) -> frozenset[str]:
        """``own_voice.candidates``: the live phrases that may be heard over it now."""
        return own_voice.candidates(table, self.text)

    def ends_at_pause(
        self, turn_start_s: float, position_s: float, silence_s: float, pause_s: float
    ) -> bool:
        """``own_voice.ends_at_pause`` for a turn that began at ``turn_start_s``."""
        return own_voice.ends_at_pause(
            self.speaking, turn_start_s, self.until_s, position_s, silence_s, pause_s
        )
