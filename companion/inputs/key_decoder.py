"""Pure key logic: keys and their times in, events out (no terminal, no clock); the single
switch's presses, holds and scanning too."""

from __future__ import annotations

from companion.commands import Command, Context
from companion.events import Heard, Listen, NotUnderstood
from companion.inputs.keymap import ARROWS, SUGGEST_KEYS, command_for
from companion.inputs.scanning import Scanner, scanned
from companion.prompts import Prompts
from companion.prompts import load as load_prompts

LONG_PRESS_S = 0.7
"""A switch press is decided this long after it began (a hold repeats the key meanwhile)."""
HOLD_PRESSES = 3
"""A switch held down (the key repeating) at least this many times: stop."""
TEN_WAIT_S = 0.8
"""After "1" in a number question, how long to wait for a "0" (ten)."""
ESC_WAIT_S = 0.1
"""After Esc, how long to wait for the rest of an arrow key (Esc [ C) before it means stop."""
SCAN_SECONDS = 2.0
"""Switch scanning: how long each choice waits for a press, once said (the routine's
``input.scan_seconds``)."""

Out = list[Heard | NotUnderstood]


class KeyDecoder:
    """Pure key logic: keys and their times in, events out (no terminal, no clock).

    Switch mode scans: the choices are offered one at a time and a press picks the one just
    offered; a long hold is "stop" and two quick presses "it hurts"."""

    def __init__(
        self, switch: bool = False, words: Prompts | None = None, scan_s: float = SCAN_SECONDS
    ) -> None:
        self.switch = switch
        self.context = Context.READY
        self.suggested: Command | None = None
        self.scanner: Scanner | None = None
        if switch:
            if words is None:
                words = load_prompts("en")
            self.scanner = Scanner(words, scan_s)
        self._presses: list[float] = []
        self._held = False
        self._digit: tuple[str, float] | None = None
        self._esc: tuple[str, float] | None = None

    def listen(self, listen: Listen) -> None:
        """The session's current context."""
        self.context, self.suggested = listen.context, listen.suggested
        if self.scanner is not None:
            self.scanner.listen(listen.context)

    def expect(self, listen: Listen) -> None:
        """The session is about to ask in ``listen``'s context: keys mean its answers from now
        (a switch's scan follows at ``listen``, once the question is out)."""
        if not self.switch:
            self.context, self.suggested = listen.context, listen.suggested

    def key(self, key: str, at: float) -> Out:
        """A key was read at time ``at`` (seconds)."""
        if self.switch:
            if key in SUGGEST_KEYS:
                self._presses.append(at)
            return []
        out: Out = []
        if self._esc is not None:
            sequence = self._esc[0] + key
            if sequence == "\x1b" + key and key not in "[O":
                self._esc = None
                out += self._decode("\x1b", at)  # Esc, then another key
            elif len(sequence) == 2:
                self._esc = (sequence, at)
                return out
            else:
                self._esc = None
                arrow = ARROWS.get(key)
                if arrow is not None:
                    out.append(Heard(arrow, source="key", text="arrow"))
                return out  # up, down and the rest of a sequence do nothing
        if key == "\x1b":
            self._esc = (key, at)
            return out
        return out + self._decode(key, at)

    def _decode(self, key: str, at: float) -> Out:
        out: Out = []
        if self._digit is not None:
            first, _ = self._digit
            self._digit = None
            if first == "1" and key == "0":
                return [Heard(Command.NUMBER, 10, source="key", text="10")]
            out.append(Heard(Command.NUMBER, int(first), source="key", text=first))
        if key == "1" and self.context == Context.NUMBER:
            self._digit = (key, at)
            return out
        found = command_for(key, self.context, self.suggested)
        if found is None:
            out.append(NotUnderstood(repr(key), source="key"))
        else:
            out.append(Heard(found[0], found[1], source="key", text=key))
        return out

    def idle(self, at: float, quiet: bool = True) -> tuple[Out, str | None]:
        """Time passes with no key (``quiet``: nothing is being said): decide pending keys and
        presses. Returns events and a line to say (a scanned choice)."""
        if self._esc is not None and at - self._esc[1] >= ESC_WAIT_S:
            self._esc = None
            return self._decode("\x1b", at), None
        if self._digit is not None and at - self._digit[1] >= TEN_WAIT_S:
            first, _ = self._digit
            self._digit = None
            return [Heard(Command.NUMBER, int(first), source="key", text=first)], None
        if self._presses:  # the scan holds still until the press is decided
            return self._switch_presses(at), None
        line = self.scanner.tick(at, quiet) if self.scanner is not None else None
        return [], line

    def _switch_presses(self, at: float) -> Out:
        first, last = self._presses[0], self._presses[-1]
        out: Out = []
        holding = len(self._presses) >= HOLD_PRESSES and last - first >= LONG_PRESS_S * 0.5
        if holding and not self._held:
            self._held = True
            out.append(Heard(Command.STOP, source="switch", text="long press"))
        if at - last < 0.15 or at - first < LONG_PRESS_S:
            return out
        presses, held = len(self._presses), self._held
        self._held, self._presses = False, []
        if held:
            return out
        if presses >= 2:
            return [Heard(Command.HURTS, source="switch", text="two presses")]
        if self.scanner is not None and scanned(self.context):
            chosen = self.scanner.press(at)
            return [chosen] if chosen is not None else []
        if self.suggested is None:
            return [NotUnderstood("switch", source="switch")]
        return [Heard(self.suggested, source="switch", text="press")]
