"""Which key means which command, by listening context (shown on screen as the key map)."""

from __future__ import annotations

from companion.commands import Command

C = Command

KEYS: dict[str, Command] = {
    "s": C.STOP,
    "\x1b": C.STOP,
    "p": C.PAUSE,
    "c": C.RESUME,
    "n": C.NEXT,
    "b": C.BACK,
    "r": C.REPEAT,
    "h": C.HELP,
    "?": C.HELP,
    "-": C.SLOWER,
    "+": C.FASTER,
    "=": C.FASTER,
    "l": C.LOUDER,
    "q": C.QUIETER,
    "w": C.HOW_MANY,
    "t": C.TIRED,
    "x": C.HURTS,
    "!": C.HURTS,
    "y": C.YES,
    "e": C.END,
    "u": C.LATER,
    "k": C.SKIP_TODAY,
}
"""Keys and their commands; ``n`` means no when a yes/no question is asked."""

SUGGEST_KEYS = (" ", "\r", "\n")
"""Space or Enter: the suggested action (start, continue, yes ...)."""

LEGEND = (
    "Keys: SPACE/ENTER do it   s/ESC stop   x it hurts   p pause   c continue   n next/no   "
    "y yes   b back   r repeat   h help   - slower   + faster   l louder   q quieter   "
    "w how many left   t tired   e end   0-9 numbers (1 then 0 = 10)"
)
REMINDER_LEGEND = "Keys: SPACE/ENTER start   u later   k skip today   r repeat   h help"
"""What the keys do while a reminder waits for an answer."""

TEACH_SKIP_KEYS = (" ", "\r", "\n", "n")
TEACH_STOP_KEYS = ("s", "\x1b", "e")
TEACH_LEGEND = (
    "Keys: SPACE/ENTER or n skip this word   s/ESC stop (what is recorded is kept)   "
    "Single switch: press to skip a word"
)
"""``companion voice teach``: keys that skip the word asked for, or stop."""

SWITCH_LEGEND = (
    "Single switch: press SPACE for the suggested action; hold it down to stop. "
    "For a number: press once for 0, again for 1, and so on, then wait."
)


def command_for(
    key: str, context: str, suggested: Command | None
) -> tuple[Command, int | None] | None:
    """The command a key means in ``context`` (None if it means nothing)."""
    if key in SUGGEST_KEYS:
        if suggested is not None:
            return suggested, None
        if context == "yesno":
            return C.YES, None
        return None
    if key.isdigit():
        return (C.NUMBER, int(key)) if context == "number" else None
    if key == "n" and context == "yesno":
        return C.NO, None
    cmd = KEYS.get(key.lower())
    return (cmd, None) if cmd is not None else None
