"""The routine's schema: what each setting allows, and validation naming field, line, allowed."""

from __future__ import annotations

import re
import reprlib
import unicodedata
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from companion import library
from companion.commands import SAYABLE, Command, normalise
from companion.errors import RoutineError
from companion.routine.lines import header_line, line_of
from companion.routine.vocabulary_check import check_vocabulary

_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


Check = Callable[[Any], bool]


def _int(lo: int, hi: int) -> tuple[Check, str]:
    return (
        lambda v: isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi,
        f"a whole number from {lo} to {hi}",
    )


def _num(lo: float, hi: float) -> tuple[Check, str]:
    return (
        lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi,
        f"a number from {lo} to {hi}",
    )


def _choice(*options: str) -> tuple[Check, str]:
    return (lambda v: v in options, "one of " + ", ".join(repr(o) for o in options))


_HIDDEN = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}
"""Unicode categories refused in text: control characters (the terminal's escape sequences
start with one), surrogates, private and unassigned code points, line and paragraph breaks."""
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Direction marks and overrides: they reorder what the captions and messages show."""


def plain_text(value: str) -> bool:
    """Text that shows as written: no control characters, escape sequences or line breaks."""
    return not any(unicodedata.category(c) in _HIDDEN or c in _BIDI for c in value)


def _text(longest: int) -> tuple[Check, str]:
    return (
        lambda v: isinstance(v, str) and len(v) <= longest and plain_text(v),
        f"text of up to {longest} characters, on one line, without control characters",
    )


_PHONE = re.compile(r"^\+?[0-9 ()-]{2,20}$")


def phone_number(value: str) -> bool:
    """A number to call: digits, spaces, + (first), -, ( and ); 2 to 15 digits; or empty."""
    digits = sum(c.isdigit() for c in value)
    return value == "" or (bool(_PHONE.fullmatch(value)) and 2 <= digits <= 15)


_BOOL: tuple[Check, str] = (lambda v: isinstance(v, bool), "true or false")
_STR = _text(200)
_PHONE_NUMBER: tuple[Check, str] = (
    lambda v: isinstance(v, str) and phone_number(v),
    'a phone number like "999" or "+44 (0)20 7946 0000" (digits, spaces, +, -, brackets), or empty',
)
_TIMES: tuple[Check, str] = (
    lambda v: (
        isinstance(v, list)
        and len(v) <= 12
        and all(isinstance(t, str) and _TIME.fullmatch(t) for t in v)
    ),
    'a list of up to 12 different times like ["09:00", "17:30"]',
)

_WORD = re.compile(r"^[a-z][a-z' ]{0,39}$")


def _phrases(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) <= 10
        and all(isinstance(p, str) and _WORD.fullmatch(normalise(p) or "-") for p in value)
    )


_PHRASES: tuple[Check, str] = (
    _phrases,
    'a list of up to 10 words or short phrases (letters, spaces, apostrophes) like ["halt"]',
)


def _voice_setting(value: Any) -> bool:
    # Deferred: Piper's module loads numpy and the audio player (half a second), and most
    # commands read the routine without ever checking a voice.
    from companion.speech.piper_voice import check_setting

    return _STR[0](value) and check_setting(value)


_VOICE: tuple[Check, str] = (
    _voice_setting,
    '"piper:joe" (or another name from \'companion voices list\'), "system", '
    "or empty for the default",
)

SCHEMA: dict[str, dict[str, tuple[Check, str]]] = {
    "": {"name": _STR, "affected_side": _choice("left", "right"), "language": _choice("en")},
    "exercise": {
        "id": _choice(*library.BY_ID),
        "reps": _int(1, 60),
        "sets": _int(1, 6),
        "seconds_per_rep": _num(1.5, 20.0),
        "rest_seconds": _int(5, 300),
    },
    "speech": {
        "rate": _int(80, 260),
        "volume": _num(0.1, 1.0),
        "voice": _VOICE,
        "pause_seconds": _num(0.0, 3.0),
        "simple": _BOOL,
    },
    "input": {"voice": _BOOL, "keyboard": _BOOL, "switch": _BOOL, "scan_seconds": _num(0.5, 10.0)},
    "hand": {"pinch": _BOOL},
    "vocabulary": {c.value: _PHRASES for c in Command if c in SAYABLE},
    "listening": {
        "end_silence_seconds": _num(0.3, 3.0),
        "reprompt_seconds": _num(0, 600),
        "engine": _choice("auto", "pocketsphinx", "vosk"),
        "model": _STR,
        "device": _STR,
        "reader": _BOOL,
        "front_end": _choice("webrtc", "none"),
    },
    "reminders": {
        "times": _TIMES,
        "timezone": _STR,
        "grace_minutes": _int(0, 720),
        "snooze_minutes": _int(1, 120),
        "max_snoozes": _int(0, 10),
    },
    "progression": {
        "days_needed": _int(1, 14),
        "max_pain": _int(0, 10),
        "max_effort": _int(0, 10),
        "rep_step": _int(1, 10),
        "caregiver_approval": _BOOL,
        "gap_days": _int(1, 60),
    },
    "safety": {"pre_session_check": _BOOL, "emergency_number": _PHONE_NUMBER},
}


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 80, 80
_SHORT.maxlist = _SHORT.maxdict = 6


def shown(value: Any) -> str:
    """A value as a message shows it: short, one line, escapes visible (never run)."""
    return _SHORT.repr(value)


def _validate_table(table: dict[str, Any], section: str, text: str, index: int = 0) -> None:
    allowed = SCHEMA[section]
    where = f"{section}." if section else ""
    if section == "exercise":
        where = f"exercise[{index + 1}]."
    for key, value in table.items():
        if section == "" and key in SCHEMA and key != "":
            continue
        if key not in allowed:
            raise RoutineError(
                f"unknown setting; allowed here: {', '.join(allowed)}",
                field=where + key,
                line=line_of(text, section, key, index),
            )
        check, description = allowed[key]
        if not check(value):
            raise RoutineError(
                f"{shown(value)} is not allowed; use {description}",
                field=where + key,
                line=line_of(text, section, key, index),
            )


def validate(data: dict[str, Any], text: str = "") -> None:
    """Raise RoutineError naming the field and line of the first problem in ``data``."""
    _validate_table(data, "", text)
    for section in SCHEMA:
        if section in ("", "exercise") or section not in data:
            continue
        if not isinstance(data[section], dict):
            raise RoutineError(
                "must be a table like [" + section + "]",
                field=section,
                line=line_of(text, "", section),
            )
        _validate_table(data[section], section, text)
    if "exercise" in data:
        items = data["exercise"]
        if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
            raise RoutineError(
                "must be one or more [[exercise]] tables, each with an id",
                field="exercise",
                line=line_of(text, "", "exercise"),
            )
        seen: set[str] = set()
        for n, item in enumerate(items):
            _validate_table(item, "exercise", text, n)
            if "id" not in item:
                raise RoutineError(
                    "every [[exercise]] needs an id; use one of " + ", ".join(library.BY_ID),
                    field=f"exercise[{n + 1}].id",
                    line=header_line(text, "exercise", n),
                )
            if item["id"] in seen:
                raise RoutineError(
                    f"{item['id']!r} is listed twice",
                    field=f"exercise[{n + 1}].id",
                    line=line_of(text, "exercise", "id", n),
                )
            seen.add(item["id"])
    check_vocabulary(data.get("vocabulary", {}), text, data.get("listening", {}).get("engine"))
    times = data.get("reminders", {}).get("times")
    if isinstance(times, list):
        twice = next((t for n, t in enumerate(times) if t in times[:n]), None)
        if twice is not None:
            raise RoutineError(
                f"{shown(twice)} is listed twice; give each reminder time once",
                field="reminders.times",
                line=line_of(text, "reminders", "times"),
            )
    if "timezone" in data.get("reminders", {}) and data["reminders"]["timezone"]:
        try:
            ZoneInfo(data["reminders"]["timezone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RoutineError(
                "unknown time zone; use a name like 'Europe/London'",
                field="reminders.timezone",
                line=line_of(text, "reminders", "timezone"),
            ) from exc


def check_whole(merged: dict[str, Any], text: str = "") -> None:
    """Rules across settings, on the routine in effect (file over defaults)."""
    inputs = merged["input"]
    if not (inputs["voice"] or inputs["keyboard"] or inputs["switch"]):
        raise RoutineError(
            "voice, keyboard and switch are all off, so the user could not answer; "
            "turn at least one on (true)",
            field="input",
            line=line_of(text, "", "input"),
        )
