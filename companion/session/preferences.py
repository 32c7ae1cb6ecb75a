"""The user's speech preferences kept between sessions: how slow and how loud ("slower" and
"louder" said in one session hold in the next), in the data folder."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from companion import files

log = logging.getLogger(__name__)
FILE_NAME = "speech_preferences.json"
"""In the data folder."""


@dataclass(frozen=True)
class Preferences:
    """Speech as the user last left it."""

    speed: float = 1.0
    """Beat and lead-in stretch: above 1 is slower."""
    rate: int = 0
    """Words per minute; 0 = the routine's."""
    volume: float = 0.0
    """0-1; 0 = the routine's."""


def path_in(data_dir: Path) -> Path:
    """Where the preferences are kept."""
    return data_dir / FILE_NAME


def load(path: Path) -> Preferences:
    """The stored preferences, or none (a missing or damaged file is logged and ignored)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        speed = float(data.get("speed", 1.0))
        rate = int(data.get("rate", 0))
        volume = float(data.get("volume", 0.0))
    except FileNotFoundError:
        return Preferences()
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.warning("speech preferences in %s ignored: %s", path, exc)
        return Preferences()
    if not (0.5 <= speed <= 2.5 and 0 <= rate <= 300 and 0.0 <= volume <= 1.0):
        log.warning("speech preferences in %s out of range; ignored", path)
        return Preferences()
    return Preferences(speed, rate, volume)


def save(path: Path, prefs: Preferences) -> None:
    """Keep the preferences (written whole, owner-only)."""
    files.write_atomic(path, json.dumps(asdict(prefs), indent=1) + "\n")
