"""The routine: frozen, validated settings from the caregiver's TOML over packaged defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

from companion import library
from companion.errors import RoutineError

DEFAULTS_FILE = Path(__file__).with_name("default_routine.toml")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class ExerciseSettings:
    """One exercise of the routine and its dose."""

    id: str
    """Exercise id from the library."""
    reps: int
    """Repetitions per set (counted) or seconds per direction (timed)."""
    sets: int
    """Sets per session."""
    seconds_per_rep: float
    """Cadence: seconds for one whole repetition."""
    rest_seconds: int
    """Rest between sets."""


@dataclass(frozen=True)
class Speech:
    """Voice output."""

    rate: int
    """Words per minute (slow side by default)."""
    volume: float
    """0.0 to 1.0."""
    voice: str
    """Voice id or name; empty for the engine's default."""


@dataclass(frozen=True)
class Inputs:
    """Which ways in are on."""

    voice: bool
    keyboard: bool
    switch: bool
    """Single-switch mode: one key does everything."""


@dataclass(frozen=True)
class Listening:
    """Speech recognition settings."""

    end_silence_seconds: float
    """Silence that ends a command (slow speakers need up to about 2.5 s)."""
    reprompt_seconds: float
    """Gentle re-prompt after this long without an answer; 0 turns it off."""
    engine: str
    """auto, pocketsphinx or vosk."""
    model: str
    """Model folder; empty for the built-in one."""
    device: str
    """Microphone name or index; empty for the default."""


@dataclass(frozen=True)
class Reminders:
    """Daily reminders."""

    times: tuple[str, ...]
    """Local times, HH:MM."""
    timezone: str
    """IANA zone name; empty for this computer's zone."""
    grace_minutes: int
    """A reminder missed while the computer was off is still given this long after."""
    snooze_minutes: int
    max_snoozes: int


@dataclass(frozen=True)
class Progression:
    """Thresholds for making the programme harder or easier."""

    days_needed: int
    """Easy days in a row before the dose goes up."""
    max_pain: int
    """Highest pain (0-10) that still counts as easy."""
    max_effort: int
    """Highest effort (0-10) that still counts as easy."""
    rep_step: int
    """How many repetitions (or seconds) to add at a time."""
    caregiver_approval: bool
    """A new exercise or level waits for the caregiver to approve it."""
    gap_days: int
    """Missed days after which the programme restarts gently."""


@dataclass(frozen=True)
class Safety:
    """Safety settings."""

    pre_session_check: bool
    emergency_number: str


@dataclass(frozen=True)
class Routine:
    """Everything the caregiver chose."""

    name: str
    affected_side: str
    language: str
    exercises: tuple[ExerciseSettings, ...]
    speech: Speech
    input: Inputs
    listening: Listening
    reminders: Reminders
    progression: Progression
    safety: Safety

    @property
    def other_side(self) -> str:
        """The stronger side."""
        return "right" if self.affected_side == "left" else "left"


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


_BOOL: tuple[Check, str] = (lambda v: isinstance(v, bool), "true or false")
_STR: tuple[Check, str] = (lambda v: isinstance(v, str) and len(v) <= 200, "text")
_TIMES: tuple[Check, str] = (
    lambda v: (
        isinstance(v, list)
        and len(v) <= 12
        and all(isinstance(t, str) and _TIME.match(t) for t in v)
    ),
    'a list of times like ["09:00", "17:30"]',
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
    "speech": {"rate": _int(80, 260), "volume": _num(0.1, 1.0), "voice": _STR},
    "input": {"voice": _BOOL, "keyboard": _BOOL, "switch": _BOOL},
    "listening": {
        "end_silence_seconds": _num(0.3, 3.0),
        "reprompt_seconds": _num(0, 600),
        "engine": _choice("auto", "pocketsphinx", "vosk"),
        "model": _STR,
        "device": _STR,
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
    "safety": {"pre_session_check": _BOOL, "emergency_number": _STR},
}


_HEADER = re.compile(r"^\[\[?(.*?)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^([^=#\[]+?)\s*=")


def _dotted(raw: str) -> str:
    """A TOML key path without quotes or spaces around the dots."""
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def line_of(text: str, section: str, key: str, index: int = 0) -> int | None:
    """The line number of ``key`` in ``section`` (the index-th ``[[section]]``), if found.

    Also finds the key written as a table (``[speech.rate]``) or a dotted key (``speech.rate =``).
    """
    current, seen, fallback = "", -1, None
    full = f"{section}.{key}" if section else key
    for number, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        header = _HEADER.match(s)
        if header:
            current = _dotted(header.group(1))
            if s.startswith("[[") and current == section:
                seen += 1
            here = section != "exercise" or seen == index
            if fallback is None and here and (current == full or current.startswith(full + ".")):
                fallback = number
            continue
        m = _KEY.match(s)
        if not m:
            continue
        name = _dotted(m.group(1))
        if current == section and (section != "exercise" or seen == index):
            if name == key:
                return number
            if fallback is None and name.startswith(key + "."):
                fallback = number
        path = f"{current}.{name}" if current else name
        if (
            fallback is None
            and section != "exercise"
            and (path == full or path.startswith(full + "."))
        ):
            fallback = number
    return fallback


def header_line(text: str, name: str, index: int) -> int | None:
    """The line of the index-th ``[[name]]`` header."""
    seen = -1
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line.strip())
        if header and line.strip().startswith("[[") and _dotted(header.group(1)) == name:
            seen += 1
            if seen == index:
                return number
    return None


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
                f"{value!r} is not allowed; use {description}",
                field=where + key,
                line=line_of(text, section, key, index),
            )


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise RoutineError(
            f"not a valid TOML file: {exc}",
            field=source,
            line=int(m.group(1)) if m else None,
            hint="Fix the line shown, or run: companion routine init",
        ) from exc


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
    if "timezone" in data.get("reminders", {}) and data["reminders"]["timezone"]:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(data["reminders"]["timezone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise RoutineError(
                "unknown time zone; use a name like 'Europe/London'",
                field="reminders.timezone",
                line=line_of(text, "reminders", "timezone"),
            ) from exc


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` layered on ``base``: tables merge key by key, lists are replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = merge(base[key], value)
        else:
            out[key] = value
    return out


def _build(data: dict[str, Any]) -> Routine:
    exercises = []
    for item in data["exercise"]:
        ex = library.get(item["id"])
        default_dose = ex.default_seconds if ex.kind is library.Kind.TIMED else ex.default_reps
        exercises.append(
            ExerciseSettings(
                id=item["id"],
                reps=int(item.get("reps", default_dose)),
                sets=int(item.get("sets", 2)),
                seconds_per_rep=float(item.get("seconds_per_rep", ex.seconds_per_rep)),
                rest_seconds=int(item.get("rest_seconds", 30)),
            )
        )
    r = data["reminders"]
    return Routine(
        name=data["name"],
        affected_side=data["affected_side"],
        language=data["language"],
        exercises=tuple(exercises),
        speech=Speech(**data["speech"]),
        input=Inputs(**data["input"]),
        listening=Listening(**data["listening"]),
        reminders=Reminders(
            times=tuple(r["times"]),
            timezone=r["timezone"],
            grace_minutes=r["grace_minutes"],
            snooze_minutes=r["snooze_minutes"],
            max_snoozes=r["max_snoozes"],
        ),
        progression=Progression(**data["progression"]),
        safety=Safety(**data["safety"]),
    )


def defaults_data() -> dict[str, Any]:
    """The packaged default routine as plain data."""
    return tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))


def from_text(text: str, source: str = "routine") -> Routine:
    """A routine from TOML text layered over the defaults; RoutineError if anything is wrong."""
    data = _parse(text, source)
    validate(data, text)
    merged = merge(defaults_data(), data)
    check_whole(merged, text)
    return _build(merged)


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


def default() -> Routine:
    """The packaged default routine."""
    return _build(defaults_data())


def load(path: Path) -> Routine:
    """The routine in ``path`` if it exists, else the default routine."""
    if not path.exists():
        return default()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutineError(f"cannot read the routine file: {exc}", field=str(path)) from exc
    try:
        return from_text(text, str(path))
    except RoutineError as exc:
        exc.hint = exc.hint or f"The routine file is {path}. Check it with: companion routine check"
        raise
