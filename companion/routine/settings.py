"""The routine: frozen, validated settings from the caregiver's TOML over packaged defaults."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from companion import library
from companion.errors import RoutineError
from companion.routine.lines import too_deep_line
from companion.routine.schema import SCHEMA, check_whole, validate

DEFAULTS_FILE = Path(__file__).parent.parent / "default_routine.toml"


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
    pause_seconds: float = 0.3
    """Pause between spoken lines (aphasia guidance: longer pauses help)."""
    simple: bool = False
    """Simpler language: short sentences, one idea each, no idioms."""


@dataclass(frozen=True)
class Inputs:
    """Which ways in are on."""

    voice: bool
    keyboard: bool
    switch: bool
    """Single-switch mode: one key does everything."""
    scan_seconds: float = 2.0
    """Single switch: how long each offered choice waits for a press."""


@dataclass(frozen=True)
class Hand:
    """What the affected hand can do."""

    pinch: bool = True
    """The thumb and a finger can pinch; false: exercises that need it are swapped or left out."""


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
    reader: bool = True
    """Check what was heard with the Moonshine reader (more accurate; more memory)."""
    front_end: str = "none"
    """Noise suppression before recognition: webrtc or none (companion/audio/frontend.py)."""


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
class UserWords:
    """The user's own words for commands, set by the caregiver ([vocabulary]):
    ``words.stop`` is the tuple of extra phrases for "stop"."""

    pairs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(command name, phrases) for each command given words."""

    def __getattr__(self, name: str) -> tuple[str, ...]:
        if name not in SCHEMA["vocabulary"]:
            raise AttributeError(name)
        return next((words for key, words in self.pairs if key == name), ())


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
    hand: Hand = Hand()
    vocabulary: UserWords = UserWords()
    """The user's own words for commands, set by the caregiver."""

    @property
    def other_side(self) -> str:
        """The stronger side."""
        return "right" if self.affected_side == "left" else "left"


def _parse(text: str, source: str) -> dict[str, Any]:
    deep = too_deep_line(text)
    if deep is not None:
        raise RoutineError(
            "keys are nested too deeply (too many dots)",
            field=source,
            line=deep,
            hint="A routine needs at most section.setting; fix the file by hand.",
        )
    try:
        return tomllib.loads(text)
    except RecursionError as exc:  # tomllib recurses once per level of [ or {
        raise RoutineError(
            "values are nested too deeply (lists or tables inside each other)",
            field=source,
            hint="A routine needs at most a list of times; fix the file by hand.",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise RoutineError(
            f"not a valid TOML file: {exc}",
            field=source,
            line=int(m.group(1)) if m else None,
            hint="Fix the line shown, or run: companion routine init",
        ) from exc
    except ValueError as exc:  # a number of thousands of digits (Python's conversion limit)
        raise RoutineError(
            "a number is far too long", field=source, hint="Fix the file by hand."
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
        hand=Hand(**data["hand"]),
        vocabulary=UserWords(tuple((k, tuple(v)) for k, v in data["vocabulary"].items() if v)),
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
