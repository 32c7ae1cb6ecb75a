"""Counted nouns in what the command line and the report print: ``1 session``, ``2 sessions``."""

from __future__ import annotations


def plural(n: int, word: str, many: str = "") -> str:
    """``n`` and ``word``, in the plural unless ``n`` is 1 (``many``: an irregular plural)."""
    return f"{n} {word if n == 1 else many or word + 's'}"
