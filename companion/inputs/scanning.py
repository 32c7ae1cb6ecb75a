"""Auditory scanning for a single switch: the choices offered one at a time, a press picks
the one just offered (pure: times in, lines to say and commands out)."""

from __future__ import annotations

from dataclasses import dataclass

from companion.commands import Command, Context
from companion.events import Heard
from companion.prompts import Prompts

C = Command
ROUNDS = 3
"""Rounds of offers with no press before the scan rests (it never chooses by itself)."""
NUMBER_GROUPS = ((0, 3), (4, 6), (7, 10))
"""A rating is offered in these groups first, then each number of the chosen group."""

CHOICES: dict[Context, tuple[Command, ...]] = {
    Context.YESNO: (C.YES, C.NO),
    Context.READY: (C.START, C.NEXT, C.END),
    Context.PAUSED: (C.RESUME, C.NEXT, C.END),
    Context.ALERT: (C.REPEAT, C.END),
    Context.REMINDER: (C.START, C.LATER, C.SKIP_TODAY),
}
"""What is offered in each context; a number question offers NUMBER_GROUPS. Contexts not
here (counting, rest, a self-paced set) are not scanned: a press does the suggested thing."""


@dataclass(frozen=True)
class Offer:
    """One choice: a command, or numbers from ``low`` to ``high`` (a group when they differ)."""

    command: Command
    low: int = 0
    high: int = 0

    @property
    def group(self) -> bool:
        """Whether choosing this narrows to its numbers rather than answering."""
        return self.command is C.NUMBER and self.high > self.low


def offers_for(context: Context) -> tuple[Offer, ...]:
    """The choices scanned in ``context`` (empty when it is not scanned)."""
    if context == Context.NUMBER:
        return tuple(Offer(C.NUMBER, lo, hi) for lo, hi in NUMBER_GROUPS)
    return tuple(Offer(c) for c in CHOICES.get(context, ()))


def scanned(context: Context) -> bool:
    """Whether a press in ``context`` picks from offered choices."""
    return bool(offers_for(context))


class Scanner:
    """Offers the choices of the current context in turn, ``dwell_s`` apart once each has been
    said; after ``ROUNDS`` rounds without a press it rests until the next press."""

    def __init__(self, words: Prompts, dwell_s: float) -> None:
        self.words = words
        self.dwell_s = dwell_s
        self.full: tuple[Offer, ...] = ()
        self.offers: tuple[Offer, ...] = ()
        self.pos = -1
        self.rounds = 0
        self.resting = False
        self.next_at: float | None = None

    def listen(self, context: Context) -> None:
        """A new question: start offering its choices (after it has been said)."""
        self.full = self.offers = offers_for(context)
        self._restart()

    def _restart(self) -> None:
        self.offers = self.full
        self.pos, self.rounds, self.resting, self.next_at = -1, 0, False, None

    def text(self, offer: Offer) -> str:
        """What is said for an offer: "Yes?", "4 to 6?", "5?"."""
        if offer.command is C.NUMBER:
            if offer.group:
                return self.words.text("scan.offer.group", low=offer.low, high=offer.high)
            return self.words.text("scan.offer.number", n=offer.low)
        return self.words.text(f"scan.offer.{offer.command.value}")

    def tick(self, at: float, quiet: bool) -> str | None:
        """Time ``at`` passes; ``quiet``: nothing is being said. Returns a line to say."""
        if not self.offers or self.resting:
            return None
        if not quiet:
            if self.pos >= 0:
                self.next_at = at + self.dwell_s  # the wait starts once the offer is said
            return None
        if self.next_at is not None and at < self.next_at:
            return None
        self.pos += 1
        if self.pos >= len(self.offers):
            self.rounds += 1
            if self.offers != self.full:  # one round of a group's numbers, then the groups
                self.offers = self.full
            self.pos = 0
            if self.rounds >= ROUNDS:
                self.resting, self.pos = True, -1
                return self.words.text("scan.resting")
        self.next_at = at + self.dwell_s
        return self.text(self.offers[self.pos])

    def press(self, at: float) -> Heard | None:
        """A short press: the choice just offered, a group narrowed, or the scan restarted."""
        if not self.full:
            return None
        if self.resting or self.pos < 0 or not self.offers:
            self._restart()
            return None
        offer = self.offers[self.pos]
        if offer.group:
            self.offers = tuple(Offer(C.NUMBER, n, n) for n in range(offer.low, offer.high + 1))
            self.pos, self.rounds, self.next_at = -1, 0, None
            return None
        self.offers, self.pos = (), -1  # chosen: nothing more until the session asks again
        value = offer.low if offer.command is C.NUMBER else None
        return Heard(offer.command, value, source="switch", text=self.text(offer))
