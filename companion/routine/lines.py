"""Where a setting sits in the routine's TOML text (line numbers for error messages)."""

from __future__ import annotations

import re

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


MAX_DOTS = 100
"""More dots than this on one line (outside text and comments) is a key nested absurdly deep:
Python's TOML reader takes seconds to minutes on such keys, so they are refused before it."""


def too_deep_line(text: str) -> int | None:
    """The first line whose keys hold more than ``MAX_DOTS`` dots, if any (a cheap scan)."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count(".") <= MAX_DOTS:
            continue
        dots, quote, escaped = 0, "", False
        for c in line:
            if quote:
                if escaped:
                    escaped = False
                elif c == "\\" and quote == '"':
                    escaped = True
                elif c == quote:
                    quote = ""
            elif c in "\"'":
                quote = c
            elif c == "#":
                break
            elif c == ".":
                dots += 1
        if dots > MAX_DOTS:
            return number
    return None
