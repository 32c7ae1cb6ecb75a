"""What a carer types for a routine setting, as the routine file writes it.

Shared by ``companion routine set`` and the screen's settings form: "9:00" is 09:00, "Left" is
left, a volume of "90" is 0.9, a decimal comma is a point, an exercise may be named by its title
("Bottle grasp"). Values that would silently break a day (no reminder times, a voice that is not
installed) are refused with the reason; messages never show Python values.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from companion import library, prompts
from companion.errors import BadInputError

_CLOCK = re.compile(r"^(\d{1,2})(?:[:.h](\d{2}))?$")
_LIST = re.compile(r"""\[((?:'[^'\]]*'|"[^"\]]*")(?:, (?:'[^'\]]*'|"[^"\]]*"))*)\]""")


FORGIVING = ("reminders.times", "affected_side", "speech.voice", "speech.volume", "speech.rate")
"""Settings whose typed text is tidied (with every exercise setting); others are kept exactly
as typed at the command line (the routine's check judges them, e.g. a number with a newline)."""


def forgives(key: str) -> bool:
    """Whether ``tidy`` understands what a carer types for this setting."""
    return key in FORGIVING or key.startswith("exercise.")


def tidy(key: str, raw: str) -> str:
    """What a carer types, as the routine writes it: "9:00" or "9.00" -> "09:00", a volume of
    "90" or "90%" -> "0.9", a decimal comma -> a point, "Left" -> "left", an installed Piper
    voice's bare name ("joe") -> "piper:joe". Anything else as typed (the routine's check then
    says what is allowed)."""
    raw = raw.strip()
    if key == "reminders.times":
        times = [t for t in re.split(r"[,;\s]+", raw) if t]
        return ", ".join(_clock(t) for t in times)
    if key == "affected_side":
        return raw.lower()
    if key == "speech.voice":
        return _voice(raw)
    if key in ("speech.volume", "speech.rate") or key.startswith("exercise."):
        number = raw.replace(",", ".").removesuffix("%").strip()
        if key == "speech.volume" and (raw.endswith("%") or _over_one(number)):
            return f"{float(number) / 100:g}"
        return number
    return raw


def _clock(text: str) -> str:
    found = _CLOCK.match(text)
    if found is None:
        return text
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    return f"{hour:02d}:{minute:02d}" if hour < 24 and minute < 60 else text


def _over_one(number: str) -> bool:
    """A volume written in per cent (2 to 100)."""
    try:
        return 1 < float(number) <= 100
    except ValueError:
        return False


def _voice(raw: str) -> str:
    from companion.speech import piper_voice  # slow (numpy, the player): see schema.py

    if raw.lower() in ("", piper_voice.SYSTEM):
        return raw.lower()
    if ":" not in raw and "/" not in raw:
        try:
            return piper_voice.PREFIX + piper_voice.find_voice(raw).short
        except BadInputError:
            return raw  # a system voice's id, as before
    return raw


def refusal(key: str, value: str) -> str:
    """Why a tidied value would silently break a day ("" when it would not)."""
    if key == "reminders.times" and not value.strip():
        return (
            "Give at least one reminder time, e.g. 09:00 or 09:00, 17:30 "
            "(with none, no reminder would ever come)."
        )
    if key == "speech.voice":
        from companion.speech import piper_voice  # slow: as above

        if value.startswith(piper_voice.PREFIX) and not value.endswith(".onnx"):
            try:
                piper_voice.find_voice(value[len(piper_voice.PREFIX) :])
            except BadInputError as exc:
                return exc.message
    return ""


@functools.cache
def _titles() -> dict[str, str]:
    """Exercise titles and ids, folded (lower case, no spaces, hyphens or underscores) -> id."""
    words = prompts.load("en")
    out = {}
    for ex in library.LIBRARY:
        out[_fold(ex.id)] = ex.id
        out[_fold(words.exercise(ex.id).name)] = ex.id
    return out


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


def exercise_id(text: str) -> str:
    """The exercise id for an id or a title ("Bottle grasp", "bottle-grasp"); else ``text``."""
    return _titles().get(_fold(text), text)


def setting_key(key: str) -> str:
    """A dotted setting name with any exercise named by its title: "exercise.Bottle grasp.reps"
    -> "exercise.bottle_grasp.reps"; section and setting names in lower case."""
    parts = key.strip().split(".")
    if parts[0].strip().lower() in ("exercise", "exercises") and len(parts) >= 3:
        return f"exercise.{exercise_id('.'.join(parts[1:-1]))}.{parts[-1].strip().lower()}"
    return ".".join(p.strip().lower() for p in parts)


def plain(text: str) -> str:
    """A message without Python's list brackets: "['9', '17:30']" -> "9, 17:30"."""
    return _LIST.sub(lambda m: ", ".join(v[1:-1] for v in m.group(1).split(", ")), text)


def shown(value: Any) -> str:
    """A setting as the caregiver types it (lists as "09:00, 17:30", no Python brackets)."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
