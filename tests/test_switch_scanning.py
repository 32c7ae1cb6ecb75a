"""Single-switch scanning (issue 20): the companion offers the answers one at a time and a press
picks the one just offered, so a switch user can answer "no"; numbers come in groups; a long
hold is "stop", two quick presses "it hurts"; no answer never becomes a choice."""

from __future__ import annotations

from companion import prompts
from companion.commands import CONTEXTS, Command
from companion.events import Heard, Listen, NotUnderstood
from companion.inputs.key_decoder import LONG_PRESS_S, KeyDecoder
from companion.inputs.scanning import ROUNDS, Scanner

C = Command
DWELL = 1.5


class Switch:
    """A switch user with a clock: presses, holds and waits; keeps what was offered."""

    def __init__(self, context: str, suggested: Command | None = None) -> None:
        self.d = KeyDecoder(switch=True, words=prompts.load("en"), scan_s=DWELL)
        self.d.listen(Listen(context, CONTEXTS[context], suggested))
        self.t = 0.0
        self.offered: list[str] = []
        self.heard: list[Heard | NotUnderstood] = []
        self.seen = 0
        """Offers already waited for."""

    def wait(self, seconds: float, quiet: bool = True) -> None:
        end = self.t + seconds
        while self.t < end:
            self.t = round(self.t + 0.05, 3)
            events, line = self.d.idle(self.t, quiet)
            self.heard += events
            if line is not None:
                self.offered.append(line)

    def wait_for(self, offer: str, limit: float = 60) -> None:
        """Wait until ``offer`` has just been said."""
        while offer not in self.offered[self.seen :]:
            assert self.t < limit, f"{offer!r} never offered; got {self.offered}"
            self.wait(0.05)
        self.seen += self.offered[self.seen :].index(offer) + 1

    def press(self) -> None:
        self.heard += self.d.key(" ", self.t)
        self.wait(LONG_PRESS_S + 0.2)

    def commands(self) -> list[tuple[Command, int | None]]:
        return [(e.command, e.value) for e in self.heard if isinstance(e, Heard)]


def test_a_switch_user_can_answer_no_to_chest_pain() -> None:
    """The old switch meant "the suggested thing" (yes) at a yes/no question: no "no" at all."""
    s = Switch("yesno")
    s.wait_for("Yes?")
    s.wait_for("No?")
    s.press()
    assert s.commands() == [(C.NO, None)]


def test_the_press_picks_the_choice_just_offered() -> None:
    s = Switch("yesno")
    s.wait_for("Yes?")
    s.press()
    assert s.commands() == [(C.YES, None)]
    s.wait(10)  # chosen: nothing more is offered until the session asks again
    assert s.offered == ["Yes?"]


def test_numbers_are_offered_in_groups_then_one_by_one() -> None:
    s = Switch("number")
    s.wait_for("0 to 3?")
    s.wait_for("4 to 6?")
    s.press()
    s.wait_for("4?")
    s.wait_for("5?")
    s.press()
    assert s.commands() == [(C.NUMBER, 5)]
    assert s.offered == ["0 to 3?", "4 to 6?", "4?", "5?"]


def test_seven_to_ten_reaches_ten() -> None:
    s = Switch("number")
    s.wait_for("7 to 10?")
    s.press()
    s.wait_for("10?")
    s.press()
    assert s.commands() == [(C.NUMBER, 10)]


def test_no_answer_never_becomes_a_choice_the_scan_rests() -> None:
    s = Switch("yesno")
    s.wait(DWELL * 2 * ROUNDS + 30)
    assert s.heard == []  # never a choice made for the user
    assert s.offered[-1].startswith("I will wait")
    assert s.offered.count("No?") == ROUNDS
    s.press()  # a press after resting starts the choices again, choosing nothing
    assert s.heard == []
    s.wait_for("Yes?")
    s.press()
    assert s.commands() == [(C.YES, None)]


def test_offers_wait_while_the_companion_is_speaking() -> None:
    s = Switch("yesno")
    s.wait(5, quiet=False)  # the question is still being said
    assert s.offered == []
    s.wait(0.1)
    assert s.offered == ["Yes?"]


def test_a_long_hold_is_stop_anywhere() -> None:
    for context in ("yesno", "number", "counting", "ready"):
        s = Switch(context, C.PAUSE if context == "counting" else None)
        t = s.t
        s.heard += s.d.key(" ", t)
        t += 0.5
        while t < 1.6:  # the key repeats while held
            s.heard += s.d.key(" ", t)
            events, _ = s.d.idle(t + 0.01)
            s.heard += events
            t += 0.033
        s.t = t
        s.wait(1.0)
        assert s.commands() == [(C.STOP, None)], context


def test_two_quick_presses_are_it_hurts() -> None:
    for context in ("yesno", "counting", "number"):
        s = Switch(context, C.PAUSE if context == "counting" else None)
        s.heard += s.d.key(" ", s.t)
        s.heard += s.d.key(" ", s.t + 0.25)
        s.wait(1.0)
        assert s.commands() == [(C.HURTS, None)], context


def test_while_counting_a_press_pauses_without_scanning() -> None:
    s = Switch("counting", C.PAUSE)
    s.wait(5)
    assert s.offered == []
    s.press()
    assert s.commands() == [(C.PAUSE, None)]


def test_scan_speed_is_the_dwell_after_each_offer() -> None:
    scanner = Scanner(prompts.load("en"), dwell_s=3.0)
    scanner.listen("yesno")
    assert scanner.tick(0.0, quiet=True) == "Yes?"
    assert scanner.tick(2.9, quiet=True) is None
    assert scanner.tick(3.0, quiet=True) == "No?"


def test_the_choice_is_the_one_offered_when_the_switch_went_down() -> None:
    """A press is decided a moment later (it might be a hold): the scan must not move on."""
    s = Switch("yesno")
    s.d.scanner.dwell_s = 0.3  # type: ignore[union-attr]
    s.wait_for("Yes?")
    s.press()  # decided after LONG_PRESS_S, longer than the dwell
    assert s.commands() == [(C.YES, None)]
    assert s.offered == ["Yes?"]
