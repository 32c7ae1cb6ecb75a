"""The session's wording for this user: the simpler-language lines (prompts/<lang>/simple.toml)
laid over the usual ones when the routine asks for them."""

from __future__ import annotations

from typing import Any

from companion.prompts import Prompts


def for_user(words: Prompts, simple: bool) -> Prompts:
    """``words`` with each line that has a simple variant replaced by it (when ``simple``)."""
    if not simple or "simple" not in words.tables:
        return words
    tables: dict[str, dict[str, Any]] = {k: dict(v) for k, v in words.tables.items()}
    for table, lines in words.tables["simple"].items():
        if table in tables and isinstance(lines, dict):
            tables[table] = _layer(tables[table], lines)
    return Prompts(language=words.language, tables=tables)


def _layer(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = _layer(base[key], value)
        else:
            out[key] = value
    return out
