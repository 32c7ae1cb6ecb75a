"""The user's own words for commands (the routine's [vocabulary]), checked: each means one
command only, is a short phrase, and can be said to the recogniser (every word of it is in
PocketSphinx's pronunciation dictionary: a word it cannot pronounce it can never hear)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache

from companion.commands import Command, normalise, vocabulary
from companion.errors import CompanionError, RoutineError
from companion.routine.lines import line_of

log = logging.getLogger(__name__)

MAX_WORDS = 4
"""Words in one of the user's phrases ("please stop now" is three)."""


def check_vocabulary(
    extra: Mapping[str, Sequence[str]], text: str, engine: str | None = None
) -> None:
    """A user's word may not already mean another command (or a number), nor be given twice,
    nor be longer than ``MAX_WORDS`` words; with PocketSphinx (``engine`` not "vosk") each
    of its words must be in the recogniser's dictionary. RoutineError naming the field."""
    built_in = vocabulary("en")
    taken = {p: c for c, ps in built_in.phrases.items() for p in ps}
    taken.update({w: Command.NUMBER for ws in built_in.numbers.values() for w in ws})
    for key, phrases in extra.items():
        for phrase in phrases:
            said = normalise(phrase)

            def refuse(why: str, key: str = key) -> RoutineError:
                return RoutineError(
                    why, field=f"vocabulary.{key}", line=line_of(text, "vocabulary", key)
                )

            other = taken.get(said)
            if other is not None and other.value != key:
                raise refuse(f"'{phrase}' already means {other.value}; choose another word")
            if len(said.split()) > MAX_WORDS:
                raise refuse(
                    f"'{phrase}' is too long: the user's own words are a word or a short "
                    f"phrase of up to {MAX_WORDS} words"
                )
            taken[said] = Command(key)
    if engine == "vosk":
        return
    words = sorted({w for ps in extra.values() for p in ps for w in normalise(p).split()})
    missing = [w for w in words if w not in pronounced(tuple(words))]
    if missing:
        key = next(k for k, ps in extra.items() for p in ps if missing[0] in normalise(p).split())
        raise RoutineError(
            f"the recogniser cannot say '{missing[0]}' (it is not in its pronunciation "
            "dictionary), so it could never hear it; choose a common English word",
            field=f"vocabulary.{key}",
            line=line_of(text, "vocabulary", key),
        )


@lru_cache(maxsize=8)
def pronounced(words: tuple[str, ...]) -> frozenset[str]:
    """Those of ``words`` PocketSphinx's US English dictionary has (all of them when it
    cannot be read: the listener then says so itself)."""
    if not words:
        return frozenset()
    try:  # deferred: the recognisers' parts are not needed to read a routine otherwise
        from companion.recognisers.pocketsphinx_model import default_model_dir, find_model
        from companion.recognisers.pronunciations import Pronunciations, base_word

        _, dictionary = find_model(default_model_dir())
        found = Pronunciations(dictionary).lines(words)
    except (CompanionError, ImportError, OSError) as exc:
        log.info("the user's own words are not checked against the dictionary: %s", exc)
        return frozenset(words)
    return frozenset(base_word(entry) for entry, _ in found)
