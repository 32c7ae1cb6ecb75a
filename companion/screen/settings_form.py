"""The caregiver's settings form: routine values in, each change checked on its own, all or none
saved through the routine editor (which validates the whole file and keeps its comments)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from companion import library, routine
from companion.errors import CompanionError, RoutineError
from companion.routine import edit as routine_edit
from companion.routine.carer_input import plain, refusal, shown, tidy

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", "Name (used when greeting)", ""),
    ("affected_side", "The affected (weaker) hand", "left or right"),
    ("reminders.times", "Reminder times", "24-hour times separated by commas, e.g. 09:00, 17:30"),
    ("safety.emergency_number", "Emergency number", "the number to call, e.g. 999 or 112"),
    ("speech.voice", "Voice", "leave empty for the usual voice"),
    ("speech.rate", "Speaking speed (words a minute)", "e.g. 150; lower is slower"),
    ("speech.volume", "Volume", "from 0 (silent) to 1 (full)"),
)
"""Top-level settings on the form: routine key, label, hint."""
EXERCISE_KEYS = ("reps", "sets")
DEFAULT_SETS = 2
"""Sets of an exercise whose line leaves them out (as the routine loader)."""
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("person", "The person", ("name", "affected_side")),
    ("exercises", "The exercises", ()),
    ("reminders", "Reminders and safety", ("reminders.times", "safety.emergency_number")),
    ("voice", "The voice", ("speech.voice", "speech.rate", "speech.volume")),
)
"""The form's parts (the set-up wizard's steps): name, title, top-level fields."""
Edit = tuple[str, str]
"""(form field, new text)."""


def in_section(key: str, section: str) -> bool:
    """Whether a form field belongs to a part of the form."""
    if section == "exercises":
        return key.startswith("exercise.")
    return any(key in keys for name, _, keys in SECTIONS if name == section)


@dataclass
class Outcome:
    """What became of a posted form."""

    saved: bool = False
    errors: dict[str, str] = field(default_factory=dict)
    """Form field -> the plain message shown next to it ("" key: about the whole file)."""
    changed: list[str] = field(default_factory=list)


def effective(path: Path) -> dict[str, Any]:
    """The routine in effect as plain data (the file over the defaults); RoutineError if bad."""
    if not path.exists():
        return routine.defaults_data()
    routine.load(path)
    return routine.merge(routine.defaults_data(), tomllib.loads(path.read_text("utf-8-sig")))


def current(data: Mapping[str, Any], key: str) -> Any:
    """The value of a dotted key in the effective data."""
    node: Any = data
    for part in key.split("."):
        node = node[part]
    return node


def values(data: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields filled from the effective routine."""
    out = {key: shown(current(data, key)) for key, _, _ in FIELDS}
    first = data["exercise"][0] if data["exercise"] else {}
    sets = first.get("sets", DEFAULT_SETS)
    for ex in library.LIBRARY:  # the usual dose for those not in the routine (yet)
        out[f"exercise.{ex.id}.reps"] = str(_usual(ex.id)["reps"])
        out[f"exercise.{ex.id}.sets"] = str(sets)
    for item in data["exercise"]:
        usual = _usual(item["id"])
        out[f"exercise.{item['id']}.include"] = "on"
        for k in EXERCISE_KEYS:  # a line left out: what the routine loader uses
            out[f"exercise.{item['id']}.{k}"] = str(item.get(k, usual[k]))
    return out


def _usual(exercise_id: str) -> dict[str, Any]:
    """The dose the routine loader uses for an exercise whose lines leave it out."""
    ex = library.BY_ID.get(exercise_id)
    if ex is None:  # not an exercise: the routine check says so, the form shows no dose
        return {"reps": "", "sets": DEFAULT_SETS}
    reps = ex.default_seconds if ex.kind is library.Kind.TIMED else ex.default_reps
    return {"reps": reps, "sets": DEFAULT_SETS}


def _message(exc: CompanionError) -> str:
    text = exc.message
    if isinstance(exc, RoutineError) and exc.field and text.startswith(exc.field):
        text = text.split(": ", 1)[-1]
    text = plain(text)
    return text[:1].upper() + text[1:]


def _edits(data: Mapping[str, Any], form: Mapping[str, str]) -> list[Edit]:
    """(form field, new text) for every field the caregiver changed."""
    before = values(data)
    edits = []
    for key, _, _ in FIELDS:
        if key in form and tidy(key, form[key]) != before[key]:
            edits.append((key, tidy(key, form[key])))
    for ex in library.LIBRARY:
        inc = f"exercise.{ex.id}.include"
        if (inc in form) != (inc in before):
            edits.append((inc, "on" if inc in form else ""))
        for k in EXERCISE_KEYS:
            name = f"exercise.{ex.id}.{k}"
            if (
                inc in form
                and inc in before
                and name in form
                and tidy(name, form[name]) != before[name]
            ):
                edits.append((name, tidy(name, form[name])))
    return edits


def _apply(doc: tomlkit.TOMLDocument, key: str, raw: str, form: Mapping[str, str]) -> None:
    parts = key.split(".")
    if parts[0] == "exercise" and parts[2] == "include":
        if raw:
            settings = {}
            for k in EXERCISE_KEYS:
                field = f"exercise.{parts[1]}.{k}"
                text = tidy(field, form.get(field, ""))
                if text:
                    settings[k] = routine_edit.parse_value(text, 1)
            routine_edit.add_exercise(doc, parts[1], settings, None)
        else:
            routine_edit.remove_exercise(doc, parts[1])
        return
    routine_edit.set_value(doc, key, raw)


def _trials(path: Path, text: str, form: Mapping[str, str]) -> tuple[list[Edit], dict[str, str]]:
    """The changed fields, and a message for each that the routine refuses on its own."""
    data = routine.merge(routine.defaults_data(), tomllib.loads(text))
    edits = _edits(data, form)
    errors: dict[str, str] = {}
    for key, raw in edits:
        if refusal(key, raw):
            errors[key] = refusal(key, raw)
            continue
        trial = tomlkit.parse(text)
        try:
            _apply(trial, key, raw, form)
            routine.from_text(tomlkit.dumps(trial), str(path))
        except CompanionError as exc:
            errors[key] = _message(exc)
    return edits, errors


def check(path: Path, form: Mapping[str, str]) -> dict[str, str]:
    """Form field -> message, for each changed field the routine would refuse (nothing saved)."""
    text, _ = routine_edit.read_document(path)
    return _trials(path, text, form)[1]


def save(path: Path, form: Mapping[str, str]) -> Outcome:
    """Check each changed field alone, then save all of them together, or nothing. A new
    install gets the commented routine file even when nothing was changed."""
    out = Outcome()
    with routine_edit.editing(path):
        text, _ = routine_edit.read_document(path)
        edits, out.errors = _trials(path, text, form)
        if out.errors or (not edits and path.exists()):
            return out
        _, doc = routine_edit.read_document(path)
        try:
            for key, raw in edits:
                _apply(doc, key, raw, form)
            routine_edit.save(path, doc)
        except CompanionError as exc:
            out.errors[""] = _message(exc)
            return out
    out.saved, out.changed = True, [k for k, _ in edits]
    return out
