"""Spoken wording, loaded from ``prompts/<language>/*.toml``; code refers to lines by key."""

from __future__ import annotations

import random
import string
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from companion.errors import BadInputError
from companion.paths import prompts_dir


@dataclass(frozen=True)
class ExerciseWording:
    """What is said for one exercise."""

    name: str
    steps: tuple[str, ...]
    safety: str
    phases: tuple[str, ...]
    directions: tuple[str, ...]


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Prompts:
    """All wording of one language. ``text("session.greeting", name="Ann")``."""

    language: str
    tables: dict[str, dict[str, Any]]

    def raw(self, key: str) -> Any:
        """The raw value at ``file.key`` (KeyError names the missing key)."""
        table, _, name = key.partition(".")
        node: Any = self.tables[table]
        for part in name.split("."):
            node = node[part]
        return node

    def text(self, key: str, variant: int | None = None, **values: object) -> str:
        """The line at ``key`` with ``{placeholders}`` filled; a list picks one variant."""
        node = self.raw(key)
        if isinstance(node, list):
            node = node[variant % len(node)] if variant is not None else random.choice(node)
        return str(node).format_map(_Lenient({k: v for k, v in values.items()}))

    def has(self, key: str) -> bool:
        """Whether ``key`` exists."""
        try:
            self.raw(key)
        except KeyError:
            return False
        return True

    def exercise(self, exercise_id: str, **values: object) -> ExerciseWording:
        """The wording of one exercise with ``{hand}``/``{other}`` filled in."""
        t = self.tables["exercises"][exercise_id]
        fill = _Lenient({k: v for k, v in values.items()})

        def f(s: str) -> str:
            s = s.format_map(fill)
            return s[:1].upper() + s[1:]

        return ExerciseWording(
            name=t["name"],
            steps=tuple(f(s) for s in t["steps"]),
            safety=f(t["safety"]),
            phases=tuple(t.get("phases", ())),
            directions=tuple(f(s) for s in t.get("directions", ())),
        )

    def equipment(self, item: str) -> str:
        """The spoken name of an equipment id."""
        return str(self.tables["exercises"]["equipment"][item])


def placeholders(text: str) -> set[str]:
    """The ``{names}`` used in a line."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@lru_cache(maxsize=4)
def load(language: str = "en", root: Path | None = None) -> Prompts:
    """Load every ``*.toml`` file of ``prompts/<language>/``."""
    folder = (root or prompts_dir()) / language
    if not folder.is_dir():
        raise BadInputError(f"No wording for language {language!r} (looked in {folder}).")
    tables: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            tables[path.stem] = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise BadInputError(f"The wording file {path} is not valid TOML: {exc}") from exc
    return Prompts(language=language, tables=tables)
