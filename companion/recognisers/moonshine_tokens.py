"""The Moonshine reader's written side: the tokenizer's pieces, how a phrase may be written,
and text to token ids (no model, no numpy: pure text)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

BYTE_TOKENS = range(3, 259)
"""Single-byte fallback tokens (never a written word's piece)."""
SPACE = "\u2581"
"""The tokenizer's mark for a word boundary."""
STOPS = (".", ",", "!", "?")
"""Ends of a phrase besides the end token."""


def written_forms(phrase: str, value: int | None = None) -> list[str]:
    """How a transcript may write ``phrase``: as said, capitalised, with "I" upper case, and
    the number as digits."""
    cased = " ".join("I" if w == "i" else ("I'm" if w == "i'm" else w) for w in phrase.split())
    forms = [cased, cased[:1].upper() + cased[1:]]
    if value is not None:
        forms.append(str(value))
    return list(dict.fromkeys(forms))


def read_tokens(path: Path) -> list[bytes]:
    """The tokenizer's pieces: each a length byte (7 bits, a second byte for more) and bytes."""
    data = path.read_bytes()
    pieces: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n >= 128:
            if i >= len(data):
                raise ValueError("truncated")
            n = (n & 0x7F) | (data[i] << 7)
            i += 1
        if i + n > len(data):
            raise ValueError("truncated")
        pieces.append(data[i : i + n])
        i += n
    return pieces


class Tokenizer:
    """Written text to the model's token ids (longest known piece first)."""

    def __init__(self, pieces: Sequence[bytes]) -> None:
        self.ids: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            if i < BYTE_TOKENS.stop:
                continue
            try:
                self.ids.setdefault(piece.decode("utf-8"), i)
            except UnicodeDecodeError:
                continue
        self.longest = max((len(p) for p in self.ids), default=1)
        self.stops = [self.ids[s] for s in STOPS if s in self.ids]

    def pieces_after(self, written: str) -> list[tuple[int, int]]:
        """(token id, characters it covers) of each piece that ``written`` (text in the
        tokenizer's form: words marked by ``SPACE``) may begin with; a word's mark alone is
        never one (the model gives it about 0.001 before anything: every text would then
        look worth scoring)."""
        out = []
        for j in range(2 if written.startswith(SPACE) else 1, min(len(written), self.longest) + 1):
            token = self.ids.get(written[:j])
            if token is not None:
                out.append((token, j))
        return out

    def encode(self, text: str) -> list[int] | None:
        """Token ids of ``text`` as a transcript's next words, or None if it cannot be written."""
        s = SPACE + text.replace(" ", SPACE)
        out: list[int] = []
        i = 0
        while i < len(s):
            for j in range(min(len(s), i + self.longest), i, -1):
                token = self.ids.get(s[i:j])
                if token is not None:
                    out.append(token)
                    i = j
                    break
            else:
                return None
        return out
