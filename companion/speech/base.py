"""The small interface the session loop uses to speak."""

from __future__ import annotations

from typing import Protocol

from companion.errors import BadInputError


class Speaker(Protocol):
    """Speaks lines one after another, in order, none lost."""

    def say(self, text: str, *, beat: bool = False) -> None:
        """Queue ``text``; with ``beat`` cut short what is being said and say it now."""

    def stop(self) -> None:
        """Stop speaking at once and drop what is queued."""

    def set_voice(self, rate: int, volume: float) -> None:
        """Rate in words per minute and volume 0-1 for what is said next."""

    def busy(self) -> bool:
        """Whether anything is being said or queued."""

    def close(self) -> None:
        """Finish and release the audio device."""


def checked_voice(rate: int, volume: float) -> tuple[int, float]:
    """``rate`` (words per minute) and ``volume`` (0-1) as a speaker keeps them; BadInputError
    when out of range."""
    if not 40 <= int(rate) <= 500:
        raise BadInputError(f"Speech rate {rate} is outside 40-500 words per minute.")
    if not 0.0 <= float(volume) <= 1.0:
        raise BadInputError(f"Speech volume {volume} is outside 0-1.")
    return int(rate), round(float(volume), 2)
