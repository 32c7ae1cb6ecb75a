"""Comment-preserving, validated, atomic edits of the caregiver's routine file (tomlkit)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import AoT, Comment, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

from companion import files, library, locks
from companion.errors import AlreadyRunningError, BadInputError, RoutineError
from companion.routine import descriptions
from companion.routine.schema import SCHEMA
from companion.routine.settings import defaults_data, from_text

log = logging.getLogger(__name__)

EDIT_WAIT_SECONDS = 5.0
"""How long an edit waits for another edit of the routine (under a second) before giving up."""


def lock_file(path: Path) -> Path:
    """The lock file beside the routine that keeps its edits one at a time."""
    return path.with_name(path.name + ".lock")


def _busy(pid: int | None) -> AlreadyRunningError:
    who = f" (process {pid})" if pid else ""
    return AlreadyRunningError(
        f"Another change to the routine is being saved right now{who}; nothing was changed.",
        hint="Try again in a moment.",
    )


@contextlib.contextmanager
def editing(path: Path) -> Iterator[None]:
    """Hold the routine's edit lock around a read-modify-write, so no edit is lost."""
    with contextlib.suppress(OSError):  # a folder that cannot be made is reported by the lock
        path.parent.mkdir(parents=True, exist_ok=True)
    with locks.held(lock_file(path), wait=EDIT_WAIT_SECONDS, busy=_busy):
        yield


def init(path: Path, force: bool = False) -> None:
    """Write the fully commented default routine to ``path`` (never overwrites unless forced)."""
    if path.exists() and not force:
        raise BadInputError(
            f"A routine file already exists: {path}",
            hint="Nothing was changed. To start again from the defaults, "
            "run: companion routine init --force",
        )
    text = descriptions.commented_text()
    from_text(text, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, text)
    log.info("wrote the commented routine to %s", path)


def read_document(path: Path) -> tuple[str, TOMLDocument]:
    """The file's text and its comment-keeping document (the commented template if absent)."""
    if path.exists():
        try:
            text = path.read_bytes().decode("utf-8-sig")  # keeps CRLF line ends as they are
        except (OSError, UnicodeDecodeError) as exc:
            raise RoutineError(f"cannot read the routine file: {exc}", field=str(path)) from exc
    else:
        text = descriptions.commented_text()
    try:
        return text, tomlkit.parse(text)
    except ParseError as exc:
        raise RoutineError(
            f"not a valid TOML file: {exc}",
            field=str(path),
            line=exc.line,
            hint="Fix that line by hand; nothing was changed.",
        ) from exc
    except (TOMLKitError, RecursionError) as exc:  # tomlkit recurses once per level
        deep = isinstance(exc, RecursionError)
        raise RoutineError(
            "values are nested too deeply (lists or tables inside each other)"
            if deep
            else f"not a valid TOML file: {exc}",
            field=str(path),
            hint="Fix the file by hand; nothing was changed.",
        ) from exc


def save(path: Path, doc: TOMLDocument) -> str:
    """Validate the whole edited document, then write it atomically; returns the new text."""
    text = tomlkit.dumps(doc)
    try:
        from_text(text, str(path))
    except RoutineError as exc:
        exc.hint = f"Nothing was changed in {path}." + (f" {exc.hint}" if exc.hint else "")
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, text)
    return text


def parse_value(raw: str, example: Any) -> Any:
    """``raw`` as the type of ``example`` where it makes sense ("140" -> 140, "yes" -> True)."""
    if isinstance(example, str):
        return raw
    word = raw.strip().lower()
    if isinstance(example, bool):
        table = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
        return table.get(word, raw)
    if isinstance(example, list):
        stripped = raw.strip()
        if stripped.startswith("["):
            try:
                return tomlkit.parse(f"v = {stripped}")["v"].unwrap()
            except TOMLKitError:
                return raw
        return [p.strip() for p in stripped.split(",") if p.strip()]
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            continue
    return raw


def _check_key(section: str, key: str) -> None:
    if section not in SCHEMA:
        raise RoutineError(
            "no such section; allowed: "
            + ", ".join(s or "name/affected_side/language" for s in SCHEMA),
            field=section,
        )
    allowed = SCHEMA[section]
    if key not in allowed:
        where = f"{section}.{key}" if section else key
        raise RoutineError("no such setting; allowed here: " + ", ".join(allowed), field=where)


def _exercises(doc: TOMLDocument) -> AoT:
    """The document's [[exercise]] list, copied in from the defaults when the file has none."""
    if "exercise" not in doc:
        aot = tomlkit.aot()
        for item in defaults_data()["exercise"]:
            t = tomlkit.table()
            for k, v in item.items():
                t.add(k, v)
            aot.append(t)
        doc.append("exercise", aot)
    items = doc["exercise"]
    if not isinstance(items, AoT):
        raise RoutineError("must be one or more [[exercise]] tables", field="exercise")
    return items


def _find(items: AoT, exercise_id: str) -> Table | None:
    for t in items:
        if t.get("id") == exercise_id:
            return t
    return None


def _known(exercise_id: str) -> None:
    if exercise_id not in library.BY_ID:
        raise RoutineError(
            "unknown exercise; use one of " + ", ".join(library.BY_ID), field=exercise_id
        )


def set_value(doc: TOMLDocument, key: str, raw: str) -> Any:
    """Set dotted ``key`` (``speech.rate``, ``exercise.wrist_bend.reps``) from text; the value."""
    parts = key.split(".")
    defaults = defaults_data()
    if parts[0] == "exercise":
        if len(parts) != 3:
            raise RoutineError("use exercise.ID.SETTING, e.g. exercise.wrist_bend.reps", field=key)
        _, exercise_id, name = parts
        _known(exercise_id)
        _check_key("exercise", name)
        if name == "id":
            raise RoutineError("an exercise's id cannot be changed; use remove and add", field=key)
        table = _find(_exercises(doc), exercise_id)
        if table is None:
            raise RoutineError(
                "this exercise is not in the routine",
                field=key,
                hint=f"Add it first: companion routine add {exercise_id}",
            )
        value = parse_value(raw, defaults["exercise"][0][name])
        table[name] = value
        return value
    if len(parts) == 1:
        section, name = "", parts[0]
    elif len(parts) == 2:
        section, name = parts
    else:
        raise RoutineError("use SECTION.SETTING, e.g. speech.rate", field=key)
    _check_key(section, name)
    example = defaults[name] if not section else defaults[section][name]
    value = parse_value(raw, example)
    if not section:
        doc[name] = value
        return value
    if section not in doc:
        doc[section] = tomlkit.table()
    target = doc[section]
    if not isinstance(target, MutableMapping):  # [table], inline {table} or dotted.keys
        raise RoutineError(f"must be a table like [{section}]", field=section)
    target[name] = value
    return value


def add_exercise(
    doc: TOMLDocument, exercise_id: str, settings: dict[str, Any], position: int | None = None
) -> None:
    """Add an exercise (at 1-based ``position``, else at the end) with optional settings."""
    _known(exercise_id)
    items = _exercises(doc)
    if _find(items, exercise_id) is not None:
        raise RoutineError(
            "is already in the routine; change it with "
            f"companion routine set exercise.{exercise_id}.reps N",
            field=exercise_id,
        )
    table = tomlkit.table()
    table.add("id", exercise_id)
    ex = library.get(exercise_id)
    defaults = {
        "reps": ex.default_seconds if ex.kind is library.Kind.TIMED else ex.default_reps,
        "sets": 2,
        "seconds_per_rep": ex.seconds_per_rep,
        "rest_seconds": 30,
    }
    for k, v in {**defaults, **settings}.items():
        _check_key("exercise", k)
        table.add(k, v)
    if position is None or position > len(items):
        _take_trailing_comments(items[-1], table)
        items.append(table)
    else:
        table.add(tomlkit.nl())
        if position < 1:
            raise RoutineError("must be 1 or more", field="--position")
        items.insert(position - 1, table)


def _trailing(table: Table) -> list[Any]:
    """Pop the comments and blank lines after a table's last key (they precede what follows)."""
    body = table.value.body
    moved: list[Any] = []
    while body and body[-1][0] is None and isinstance(body[-1][1], (Comment, Whitespace)):
        moved.insert(0, body.pop()[1])
    return moved


def _take_trailing_comments(last: Table, new: Table) -> None:
    """Appending after ``last``: its trailing comments move down to stay after ``new``."""
    moved = _trailing(last)
    last.add(tomlkit.nl())
    for item in moved or [tomlkit.nl()]:
        new.add(item)


def _keep_trailing_comments(items: AoT, n: int) -> None:
    """Before table ``n`` is removed, hand its trailing comments to a neighbour (never lose one)."""
    moved = _trailing(items[n])
    if not any(isinstance(m, Comment) for m in moved):
        return
    if n > 0:
        prev = items[n - 1]
        while moved and isinstance(moved[0], Whitespace):
            moved.pop(0)
        for item in moved:
            prev.add(item)
    elif len(items) > 1:
        nxt = items[n + 1]
        after = _trailing(nxt)
        for item in [*moved, *after]:
            nxt.add(item)


def remove_exercise(doc: TOMLDocument, exercise_id: str) -> None:
    """Remove an exercise from the routine (never the last one)."""
    items = _exercises(doc)
    for n, t in enumerate(items):
        if t.get("id") == exercise_id:
            if len(items) == 1:
                raise RoutineError(
                    "is the only exercise left; a routine needs at least one", field=exercise_id
                )
            _keep_trailing_comments(items, n)
            del items[n]
            return
    what = "is not in the routine" if exercise_id in library.BY_ID else "unknown exercise"
    present = ", ".join(str(t.get("id")) for t in items)
    raise RoutineError(f"{what}; remove one of {present}", field=exercise_id)
