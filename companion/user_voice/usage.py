"""How well voice commands have been working: counted from the event log (``events.log``).

For the caregiver (``companion voice list``): how many commands came by voice and by keys, and
how often the session had to ask "I heard ... Is that right?" and was told no. Many wrong
guesses are the sign that teaching the companion the user's voice would help."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

ASKED_KEY = "unsure"
"""The session's line "I heard {phrase}. Is that right?" (prompts/en/session.toml)."""


@dataclass(frozen=True)
class VoiceUsage:
    """Counts over the days looked at."""

    by_voice: int = 0
    """Commands heard by the microphone."""
    by_keys: int = 0
    """Commands from the keyboard or the switch."""
    asked: int = 0
    """Times the session asked whether it heard right."""
    wrong: int = 0
    """Of those, the times the answer was no."""

    @property
    def teaching_would_help(self) -> bool:
        """At least 3 wrong guesses, and at least a third of those asked about."""
        return self.wrong >= 3 and self.wrong * 3 >= self.asked


def read_usage(path: Path, since: dt.date) -> VoiceUsage:
    """Count the events of ``path`` on or after ``since``; unreadable lines are skipped."""
    by_voice = by_keys = asked = wrong = 0
    waiting = False
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return VoiceUsage()
    for line in lines:
        try:
            at, kind, raw = line.split("\t", 2)
            when = dt.datetime.fromisoformat(at).date()
            details = json.loads(raw)
        except ValueError:
            continue
        if when < since or not isinstance(details, dict):
            continue
        if kind == "say" and details.get("key") == ASKED_KEY:
            asked += 1
            waiting = True
        elif kind == "command" and details.get("source") != "script":
            if details.get("source") == "voice":
                by_voice += 1
            else:
                by_keys += 1
            if waiting:
                wrong += details.get("command") == "no"
                waiting = False
    return VoiceUsage(by_voice, by_keys, asked, wrong)
