"""Canonical commands, their spoken phrases (from prompts/), and which are live in each context."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import Enum, StrEnum
from functools import lru_cache
from pathlib import Path

from companion.paths import prompts_dir


class Command(str, Enum):
    """Everything the user can ask for, whatever the input (voice, key, switch, script)."""

    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    RESUME = "resume"
    NEXT = "next"
    BACK = "back"
    REPEAT = "repeat"
    SLOWER = "slower"
    FASTER = "faster"
    LOUDER = "louder"
    QUIETER = "quieter"
    HELP = "help"
    HOW_MANY = "how_many"
    TIRED = "tired"
    HURTS = "hurts"
    YES = "yes"
    NO = "no"
    NUMBER = "number"
    END = "end"
    LATER = "later"
    SKIP_TODAY = "skip_today"
    EMERGENCY = "emergency"
    DONE = "done"
    """One repetition of a self-paced exercise is done (a coin put down)."""


class Context(StrEnum):
    """What the companion is listening for; each context has its own live commands."""

    READY = "ready"
    """Waiting for the user to begin an exercise or a set."""
    COUNTING = "counting"
    """Repetitions counted, or a timed exercise running."""
    REST = "rest"
    """A rest between sets."""
    PAUSED = "paused"
    """Paused in the middle of something."""
    SELF_PACED = "self_paced"
    """A self-paced exercise: each repetition ends with "done"."""
    YESNO = "yesno"
    """A yes/no question."""
    NUMBER = "number"
    """A 0-10 rating."""
    ALERT = "alert"
    """"Call your emergency number now" has been said."""
    REMINDER = "reminder"
    """A reminder has just been spoken."""


C = Command
_ALWAYS = frozenset({C.HURTS, C.REPEAT, C.HELP, C.EMERGENCY})
_VOICE = frozenset({C.SLOWER, C.FASTER, C.LOUDER, C.QUIETER})
"""Speech speed and volume: heard everywhere, questions included."""

CONTEXTS: dict[Context, frozenset[Command]] = {
    # waiting for the user to begin an exercise or a set ("start" live, so never "stop")
    Context.READY: _ALWAYS
    | {
        C.START,
        C.NEXT,
        C.BACK,
        C.HOW_MANY,
        C.TIRED,
        C.SLOWER,
        C.FASTER,
        C.LOUDER,
        C.QUIETER,
        C.END,
        C.PAUSE,
    },
    # while repetitions are counted or a timed exercise runs ("stop" live, never "start")
    Context.COUNTING: _ALWAYS
    | {C.STOP, C.PAUSE, C.SLOWER, C.FASTER, C.LOUDER, C.QUIETER, C.HOW_MANY, C.TIRED},
    # a rest between sets
    Context.REST: _ALWAYS
    | {
        C.STOP,
        C.PAUSE,
        C.NEXT,
        C.HOW_MANY,
        C.TIRED,
        C.LOUDER,
        C.QUIETER,
        C.SLOWER,
        C.FASTER,
        C.END,
    },
    # paused in the middle of something
    Context.PAUSED: _ALWAYS
    | {
        C.RESUME,
        C.END,
        C.STOP,
        C.NEXT,
        C.BACK,
        C.HOW_MANY,
        C.TIRED,
        C.LOUDER,
        C.QUIETER,
        C.SLOWER,
        C.FASTER,
    },
    # a self-paced exercise: each repetition ends with "done" (no beat is counted)
    Context.SELF_PACED: _ALWAYS | _VOICE | {C.DONE, C.STOP, C.PAUSE, C.HOW_MANY, C.TIRED},
    # a yes/no question
    Context.YESNO: _ALWAYS | _VOICE | {C.YES, C.NO, C.STOP},
    # a 0-10 rating
    Context.NUMBER: _ALWAYS | _VOICE | {C.NUMBER, C.STOP},
    # "call your emergency number now" has been said: hear it again, or close ("it hurts"
    # says it again, as the "o" key and two switch presses do)
    Context.ALERT: frozenset({C.REPEAT, C.HELP, C.EMERGENCY, C.HURTS, C.END, C.STOP}),
    # a reminder has just been spoken
    Context.REMINDER: frozenset({C.START, C.LATER, C.SKIP_TODAY, C.REPEAT, C.HELP}),
}
"""Which commands are live in each listening context."""

SAYABLE = frozenset(c for c in Command if c is not C.NUMBER)
"""Commands said with a phrase (a number is said with the number words)."""

SAFETY = frozenset({C.STOP, C.HURTS, C.EMERGENCY})
"""Commands that act at once: never wait for a confirmation or the end-of-speech silence."""


@dataclass(frozen=True)
class Parsed:
    """A phrase understood as a command."""

    command: Command
    value: int | None = None


def normalise(text: str) -> str:
    """Lower case, apostrophes kept, other punctuation and extra spaces removed."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Vocabulary:
    """The phrases of one language: command phrases and number words."""

    phrases: dict[Command, tuple[str, ...]]
    numbers: dict[int, tuple[str, ...]]

    def phrases_for(self, commands: frozenset[Command]) -> dict[str, Parsed]:
        """Every phrase that means one of ``commands`` (numbers included when NUMBER is live)."""
        out: dict[str, Parsed] = {}
        for cmd in sorted(commands, key=lambda c: c.value):
            if cmd is C.NUMBER:
                for value, words in self.numbers.items():
                    for w in words:
                        out.setdefault(w, Parsed(C.NUMBER, value))
                    out.setdefault(str(value), Parsed(C.NUMBER, value))
            else:
                for p in self.phrases.get(cmd, ()):
                    out.setdefault(p, Parsed(cmd))
        return out

    def parse(self, text: str, live: frozenset[Command] | None = None) -> Parsed | None:
        """The command ``text`` means among ``live`` (all commands if None), else None.

        The whole utterance must be one phrase; otherwise the longest phrase found inside it
        wins (so "please stop now" is stop). Safety phrases are searched first.
        """
        said = normalise(text)
        if not said:
            return None
        table = self.phrases_for(live if live is not None else frozenset(Command))
        if said in table:
            return table[said]
        padded = f" {said} "
        found = [p for p in table if f" {p} " in padded]
        if not found:
            return None
        safety = [p for p in found if table[p].command in SAFETY]
        best = max(safety or found, key=len)
        return table[best]

    def teach(self, cmd: Command) -> str:
        """The phrase the companion teaches for ``cmd``."""
        return self.phrases[cmd][0]

    def with_words(self, extra: dict[Command, tuple[str, ...]]) -> Vocabulary:
        """This vocabulary with the user's own words added (the routine's [vocabulary]): each
        extra phrase means its command; the taught phrase stays the first."""
        phrases = dict(self.phrases)
        for cmd, words in extra.items():
            added = tuple(w for w in (normalise(p) for p in words) if w)
            phrases[cmd] = phrases.get(cmd, ()) + tuple(
                w for w in added if w not in phrases.get(cmd, ())
            )
        return Vocabulary(phrases=phrases, numbers=self.numbers)


def user_words(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[Command, tuple[str, ...]]:
    """The routine's [vocabulary] (command name, phrases) as commands and phrases."""
    return {Command(name): words for name, words in extra if words}


@lru_cache(maxsize=4)
def vocabulary(language: str = "en", root: Path | None = None) -> Vocabulary:
    """Load the phrases of ``language`` from ``prompts/<language>/commands.toml``."""
    path = (root or prompts_dir()) / language / "commands.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    phrases = {Command(k): tuple(normalise(p) for p in v) for k, v in data["phrases"].items()}
    numbers = {int(k): tuple(normalise(w) for w in v) for k, v in data["numbers"].items()}
    return Vocabulary(phrases=phrases, numbers=numbers)
