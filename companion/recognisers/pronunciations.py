"""A PocketSphinx pronunciation dictionary, read for the few words a listener needs.

PocketSphinx holds the whole dictionary it is given in every decoder: the US English one
(135,000 words) costs about 22 MB per decoder, and a session runs four decoders (measured).
A listener needs a few hundred of those words. ``Pronunciations`` finds their lines in the
dictionary file when asked; the engine starts its decoders on those and adds any other word
when a phrase first needs it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from companion.errors import ModelError


def base_word(head: str) -> str:
    """``read`` for ``read(2)`` (an alternative pronunciation), else the word itself."""
    if head.endswith(")") and "(" in head:
        return head[: head.index("(")]
    return head


class Pronunciations:
    """The dictionary file ``path`` (``word phone phone ...`` per line, alternatives written
    ``word(2)``), looked up by word."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lines(self, words: Iterable[str]) -> list[tuple[str, str]]:
        """``(entry, phones)`` of every pronunciation of ``words``, in the file's order (a
        word before its alternatives). Words the file lacks are left out."""
        wanted = set(words)
        if not wanted:
            return []
        try:
            text = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ModelError(
                f"The pronunciation dictionary {self.path} cannot be read: {exc}"
            ) from exc
        found: list[tuple[str, str]] = []
        for line in text.splitlines():
            parts = line.split(maxsplit=1)
            if len(parts) == 2 and base_word(parts[0]) in wanted:
                found.append((parts[0], parts[1].split("#", 1)[0].strip()))
        return found

    def write(self, words: Iterable[str], out: Path) -> set[str]:
        """Write a dictionary of ``words`` only to ``out``; the words it holds."""
        found = self.lines(words)
        out.write_text("".join(f"{entry} {phones}\n" for entry, phones in found), "utf-8")
        return {base_word(entry) for entry, _ in found}
