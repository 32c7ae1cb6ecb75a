"""The small interface the session loop uses to speak."""

from __future__ import annotations

from typing import Protocol


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
