"""Property tests: random and malformed routine files give a Routine or a clear RoutineError."""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion import library, routine
from companion.errors import RoutineError
from companion.routine import descriptions as routine_doc
from companion.routine import edit as routine_edit

TEMPLATE = routine_doc.commented_text()
KEYS = [(s, k) for s, keys in routine.SCHEMA.items() for k in keys]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["left", "right", "en", "auto", "vosk", "09:00", "24:00", "Europe/London"]),
    st.sampled_from(list(library.BY_ID)),
    st.dates(),
    st.times(),
    st.datetimes(),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
inline_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=6)


def _toml_safe(value: Any) -> Any:
    """Values tomlkit can write (None has no TOML form; lists must be one type for old tomls)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return [_toml_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _toml_safe(v) for k, v in value.items()}
    return value


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """Documents shaped like a routine, with random keys and values in random places."""
    doc: dict[str, Any] = {}
    for section, key in draw(st.lists(st.sampled_from(KEYS), max_size=8)):
        value = draw(values)
        if section == "":
            doc[key] = value
        elif section == "exercise":
            items = doc.setdefault("exercise", [{"id": draw(st.sampled_from(list(library.BY_ID)))}])
            if isinstance(items, list):
                items[-1][key] = value
        else:
            table = doc.setdefault(section, {})
            if isinstance(table, dict):
                table[key] = value
    if draw(st.booleans()):
        doc[draw(st.text(min_size=1, max_size=10))] = draw(values)
    return doc


def _keys(value: Any) -> list[str]:
    """Every table key anywhere in a document."""
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in (k, *_keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def assert_clear(exc: RoutineError) -> None:
    """A clear error: a message, and the field it is about."""
    assert str(exc).strip()
    assert exc.field, str(exc)
    assert "Traceback" not in str(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_gives_a_routine_or_a_clear_error(text: str) -> None:
    try:
        routine.from_text(text)
    except RoutineError as exc:
        assert_clear(exc)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_random_documents_give_a_routine_or_an_error_naming_field_and_line(
    doc: dict[str, Any],
) -> None:
    text = tomlkit.dumps(_toml_safe(doc))
    try:
        r = routine.from_text(text)
    except RoutineError as exc:
        assert_clear(exc)
        if all(re.fullmatch(r"[A-Za-z0-9_]+", k) for k in _keys(doc)):
            assert exc.line is not None, (str(exc), text)
        if exc.line is not None:
            assert 1 <= exc.line <= len(text.splitlines())
            name = exc.field.rsplit(".", 1)[-1]
            line = text.splitlines()[exc.line - 1]
            assert name in line or name.startswith("exercise"), (exc, line)
        return
    assert isinstance(r, routine.Routine)
    assert r.exercises


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damaged_template_lines_give_only_clear_errors(data: st.DataObject) -> None:
    lines = TEMPLATE.splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        n = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["delete", "replace", "duplicate", "truncate"]))
        if action == "delete":
            del lines[n]
        elif action == "replace":
            lines[n] = data.draw(st.text(max_size=40))
        elif action == "duplicate":
            lines.insert(n, lines[n])
        else:
            lines[n] = lines[n][: data.draw(st.integers(0, max(0, len(lines[n]) - 1)))]
        if not lines:
            lines = [""]
    try:
        routine.from_text("\n".join(lines))
    except RoutineError as exc:
        assert_clear(exc)


@settings(max_examples=200, deadline=None)
@given(
    key=st.sampled_from([k for k in KEYS if k[0] not in ("", "exercise")]),
    value=inline_values,
)
def test_a_wrong_value_in_the_template_names_its_field_and_exact_line(
    key: tuple[str, str], value: Any
) -> None:
    section, name = key
    check = routine.SCHEMA[section][name][0]
    item = tomlkit.item(_toml_safe(value))
    text = re.sub(
        rf"(?m)^(\[{section}\][^\[]*?^){name} = .*$",
        lambda m: m.group(1) + f"{name} = {item.as_string()}",
        TEMPLATE,
        count=1,
    )
    parsed = tomllib.loads(text)[section][name]
    try:
        r = routine.from_text(text)
    except RoutineError as exc:
        assert not check(parsed) or (section, name) == ("reminders", "timezone")
        assert exc.field == f"{section}.{name}"
        assert exc.line is not None
        assert text.splitlines()[exc.line - 1].startswith(f"{name} = ")
        assert routine.SCHEMA[section][name][1] in str(exc) or "time zone" in str(exc)
        return
    assert check(parsed)
    got = getattr(getattr(r, section), name)
    assert got == (tuple(parsed) if isinstance(parsed, list) else parsed)


@settings(max_examples=100, deadline=None)
@given(
    rate=st.integers(80, 260),
    volume=st.floats(0.1, 1.0),
    reps=st.integers(1, 60),
    sets=st.integers(1, 6),
    times=st.lists(st.times().map(lambda t: t.strftime("%H:%M")), max_size=12, unique=True),
    ids=st.lists(st.sampled_from(list(library.BY_ID)), min_size=1, max_size=9, unique=True),
)
def test_every_allowed_value_loads_as_written(
    rate: int, volume: float, reps: int, sets: int, times: list[str], ids: list[str]
) -> None:
    doc = {
        "speech": {"rate": rate, "volume": volume},
        "reminders": {"times": times},
        "exercise": [{"id": i, "reps": reps, "sets": sets} for i in ids],
    }
    r = routine.from_text(tomlkit.dumps(doc))
    assert (r.speech.rate, r.speech.volume, r.reminders.times) == (rate, volume, tuple(times))
    assert [(e.id, e.reps, e.sets) for e in r.exercises] == [(i, reps, sets) for i in ids]


def test_dates_are_not_names() -> None:
    try:
        routine.from_text(f"name = {dt.date(2024, 1, 1).isoformat()}\n")
    except RoutineError as exc:
        assert exc.field == "name" and exc.line == 1
    else:
        raise AssertionError("a date was accepted as a name")


EDIT_KEYS = [
    *(k for k in routine.SCHEMA[""]),
    *(f"{s}.{k}" for s in routine.SCHEMA if s not in ("", "exercise") for k in routine.SCHEMA[s]),
    *(
        f"exercise.{ex}.{k}"
        for ex in ("palm_turn", "wrist_bend", "coin_drop")
        for k in routine.SCHEMA["exercise"]
    ),
    "speech.pitch",
    "exercise.palm_turn",
    "nonsense",
]


@settings(max_examples=150, deadline=None)
@given(
    key=st.sampled_from(EDIT_KEYS),
    raw=st.one_of(
        st.text(max_size=20),
        st.integers(-5, 400).map(str),
        st.sampled_from(["yes", "off", "right", "vosk", "09:00,17:30", "[", "0.5", "Europe/Paris"]),
    ),
)
def test_an_edit_is_either_saved_whole_or_refused_leaving_the_file_unchanged(
    key: str, raw: str
) -> None:
    from tests.test_routine_edit import COMMENTED, comment_lines

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "routine.toml"
        path.write_text(COMMENTED, encoding="utf-8")
        before = path.read_bytes()
        try:
            _, doc = routine_edit.read_document(path)
            value = routine_edit.set_value(doc, key, raw)
            routine_edit.save(path, doc)
        except RoutineError as exc:
            assert_clear(exc)
            assert path.read_bytes() == before
            assert os.listdir(tmp) == ["routine.toml"]
            return
        text = path.read_text(encoding="utf-8")
        for comment in comment_lines(COMMENTED):
            assert comment in text
        r = routine.load(path)
        parts = key.split(".")
        if parts[0] == "exercise":
            got = getattr(next(e for e in r.exercises if e.id == parts[1]), parts[2])
        elif len(parts) == 2:
            got = getattr(getattr(r, parts[0]), parts[1])
        else:
            got = getattr(r, parts[0])
        assert got == (tuple(value) if isinstance(value, list) else value)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-16")))
def test_any_bytes_in_the_file_give_a_routine_or_a_clear_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "routine.toml"
        path.write_bytes(data)
        try:
            routine.load(path)
        except RoutineError as exc:
            assert_clear(exc)
        assert path.read_bytes() == data
