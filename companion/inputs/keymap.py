"""Which key means which command, by listening context (shown on screen as the key map).

Each key means one thing: ``n`` is only "no", ``q``/``x``/``s``/Esc only "stop" (which asks
before ending), ``o`` only "it hurts", ``a`` only the stroke warning signs."""

from __future__ import annotations

from companion.commands import CONTEXTS, Command, Context

C = Command

KEYS: dict[str, Command] = {
    "q": C.STOP,
    "x": C.STOP,
    "s": C.STOP,
    "\x1b": C.STOP,
    "o": C.HURTS,
    "a": C.EMERGENCY,
    "p": C.PAUSE,
    "c": C.RESUME,
    "k": C.NEXT,
    "b": C.BACK,
    "r": C.REPEAT,
    "h": C.HELP,
    "?": C.HELP,
    "-": C.SLOWER,
    "+": C.FASTER,
    "=": C.FASTER,
    "l": C.LOUDER,
    "v": C.QUIETER,
    "w": C.HOW_MANY,
    "t": C.TIRED,
    "y": C.YES,
    "e": C.END,
    "d": C.DONE,
    "u": C.LATER,
}
"""Keys and their commands (``n`` is "no", at a yes/no question only; ``k`` is "skip today"
while a reminder waits)."""

SUGGEST_KEYS = (" ", "\r", "\n")
"""Space or Enter: the suggested action (start, continue, done ...); never "yes"."""

ARROWS = {"C": C.NEXT, "D": C.BACK}
"""Arrow keys (Esc [ C / Esc [ D): right skips on, left goes back; up and down do nothing."""

LABELS: dict[Command, str] = {
    C.START: "SPACE start",
    C.RESUME: "c continue",
    C.YES: "y yes",
    C.NO: "n no",
    C.NUMBER: "0-9 number (1 then 0 = 10)",
    C.DONE: "SPACE/d done",
    C.STOP: "q/Esc stop",
    C.HURTS: "o it hurts",
    C.PAUSE: "p pause",
    C.NEXT: "k skip",
    C.BACK: "b back",
    C.REPEAT: "r repeat",
    C.HOW_MANY: "w where am I",
    C.TIRED: "t tired",
    C.SLOWER: "- slower",
    C.FASTER: "+ faster",
    C.LOUDER: "l louder",
    C.QUIETER: "v quieter",
    C.END: "e end",
    C.LATER: "u later",
    C.SKIP_TODAY: "k skip today",
    C.EMERGENCY: "a stroke signs",
    C.HELP: "h help",
}
"""How each command's key is shown, in the order of the key map."""

LEGEND = (
    "Keys: SPACE/ENTER do it   y yes   n no   0-9 numbers (1 then 0 = 10)   q/Esc stop   "
    "o it hurts   a stroke warning signs   p pause   c continue   k skip   b back   r repeat   "
    "h help   - slower   + faster   l louder   v quieter   w where am I   t tired   e end   "
    "d done"
)
REMINDER_LEGEND = (
    "Keys: SPACE/ENTER start   u later   k skip today   r repeat   h help   q/Esc stop   "
    "o it hurts   a stroke warning signs"
)
"""What the keys do while a reminder waits for an answer."""

TEACH_SKIP_KEYS = (" ", "\r", "\n", "n")
TEACH_STOP_KEYS = ("s", "\x1b", "e", "q")
TEACH_LEGEND = (
    "Keys: SPACE/ENTER or n skip this word   q/Esc stop (what is recorded is kept)   "
    "Single switch: press to skip a word"
)
"""``companion voice teach``: keys that skip the word asked for, or stop."""

SWITCH_LEGEND = (
    "Single switch: the choices are offered one at a time (Yes? ... No?); press when you hear "
    "the one you want. Numbers come in groups (0 to 3? 4 to 6? 7 to 10?), then one by one. "
    "Hold the switch down to stop. Press twice quickly for it hurts."
)


def command_for(
    key: str, context: Context, suggested: Command | None
) -> tuple[Command, int | None] | None:
    """The command a key means in ``context`` (None if it means nothing)."""
    if key in SUGGEST_KEYS:
        return (suggested, None) if suggested is not None else None
    if key.isdigit():
        return (C.NUMBER, int(key)) if context == Context.NUMBER else None
    if key == "n":
        return (C.NO, None) if context == Context.YESNO else None
    if key == "k" and context == Context.REMINDER:
        return C.SKIP_TODAY, None
    cmd = KEYS.get(key.lower())
    return (cmd, None) if cmd is not None else None


def keys_line(context: Context, suggested: Command | None) -> str:
    """The keys that do something now, for the status line: "SPACE start  k skip  q/Esc stop"."""
    live = CONTEXTS.get(context, frozenset())
    shown = []
    for cmd, label in LABELS.items():
        if cmd not in live:
            continue
        if cmd in (C.START, C.RESUME) and suggested is cmd:
            label = f"SPACE/{label}" if cmd is C.RESUME else label
        elif cmd is C.START:
            continue
        shown.append(label)
    return "   ".join(shown)


def spoken_keys(context: Context) -> list[tuple[str, Command]]:
    """(key, command) for the keys that do something now, in key-map order (for spoken help)."""
    live = CONTEXTS.get(context, frozenset())
    out: list[tuple[str, Command]] = []
    for cmd, label in LABELS.items():
        if cmd in live:
            out.append((label.split(" ", 1)[0].split("/")[0], cmd))
    return out
