"""The reminder conversation (pure): start, later (limited), skip today, no answer, help."""

from __future__ import annotations

import datetime as dt

import pytest

from companion import commands, prompts
from companion.commands import Command
from companion.events import Begin, Effect, End, Heard, Listen, NotUnderstood, Say, Tick
from companion.reminders.conversation import LIVE, Conversation, Settings

T0 = dt.datetime(2026, 3, 29, 9, 0, tzinfo=dt.timezone.utc)
WAIT = dt.timedelta(seconds=90)
WORDS = prompts.load("en")
VOCAB = commands.vocabulary("en")


def make(**changes: object) -> Conversation:
    base: dict[str, object] = {"max_snoozes": 2, "snooze_minutes": 15, "answer_wait": WAIT}
    base.update(changes)
    return Conversation(WORDS, VOCAB, Settings(**base))  # type: ignore[arg-type]


def keys(effects: list[Effect]) -> list[str]:
    return [e.key for e in effects if isinstance(e, Say)]


def ended(effects: list[Effect]) -> str | None:
    ends = [e.how for e in effects if isinstance(e, End)]
    return ends[0] if ends else None


def said(cmd: Command) -> Heard:
    return Heard(cmd, source="script", text=cmd.value)


def test_begin_says_the_reminder_and_the_choices_then_listens_for_reminder_commands() -> None:
    c = make()
    out = c.handle(Begin(), T0)
    assert keys(out) == ["reminders.reminder.first", "reminders.reminder.choices"]
    listen = [e for e in out if isinstance(e, Listen)]
    assert listen and listen[0].context == "reminder" and listen[0].commands == LIVE
    assert {Command.START, Command.LATER, Command.SKIP_TODAY} <= LIVE
    # the choices name the phrases the recogniser listens for
    choices = next(e.text for e in out if isinstance(e, Say) and e.key.endswith("choices"))
    for cmd in (Command.START, Command.LATER, Command.SKIP_TODAY):
        assert VOCAB.teach(cmd) in choices.lower()
    assert c.wake_at == T0 + WAIT


def test_name_and_lateness_are_said() -> None:
    out = make(name="Ann", late_since="10:30").handle(Begin(), T0)
    texts = [e.text for e in out if isinstance(e, Say)]
    assert "Ann" in texts[0]
    assert any("10:30" in t for t in texts)


@pytest.mark.parametrize(
    ("cmd", "outcome", "key"),
    [
        (Command.START, "started", "reminders.reminder.starting"),
        (Command.SKIP_TODAY, "skipped", "reminders.reminder.skipped"),
        (Command.LATER, "snoozed", "reminders.reminder.snoozed"),
    ],
)
def test_each_answer_ends_with_its_outcome(cmd: Command, outcome: str, key: str) -> None:
    c = make()
    c.handle(Begin(), T0)
    out = c.handle(said(cmd), T0 + dt.timedelta(seconds=5))
    assert ended(out) == outcome
    assert keys(out) == [key]
    assert c.finished and c.outcome == outcome and c.wake_at is None
    assert c.handle(said(Command.START), T0) == []  # nothing after the end


def test_snooze_says_how_long() -> None:
    c = make(snooze_minutes=20)
    c.handle(Begin(), T0)
    out = c.handle(said(Command.LATER), T0)
    assert "20" in next(e.text for e in out if isinstance(e, Say))


def test_later_is_refused_once_the_snoozes_are_used_up() -> None:
    c = make(max_snoozes=2, snoozes_used=2)
    first = c.handle(Begin(), T0)
    assert "reminders.reminder.choices_no_later" in keys(first)
    assert "reminders.reminder.help_no_later" in keys(c.handle(said(Command.HELP), T0))
    out = c.handle(said(Command.LATER), T0 + dt.timedelta(seconds=10))
    assert ended(out) is None
    assert keys(out) == [
        "reminders.reminder.no_more_snoozes",
        "reminders.reminder.choices_no_later",
    ]
    assert VOCAB.teach(Command.LATER) not in out[-2].text.lower()  # type: ignore[union-attr]
    assert ended(c.handle(said(Command.START), T0 + dt.timedelta(seconds=20))) == "started"


def test_no_answer_gives_one_gentle_second_reminder_then_lets_go() -> None:
    c = make()
    c.handle(Begin(), T0)
    assert c.handle(Tick(), T0 + WAIT - dt.timedelta(seconds=1)) == []  # too early: nothing
    second = c.handle(Tick(), T0 + WAIT)
    assert keys(second) == ["reminders.reminder.second", "reminders.reminder.choices"]
    assert c.wake_at == T0 + 2 * WAIT
    last = c.handle(Tick(), T0 + 2 * WAIT)
    assert ended(last) == "no_answer"
    assert keys(last) == ["reminders.reminder.no_answer"]


def test_help_and_repeat_answer_and_restart_the_wait() -> None:
    c = make()
    c.handle(Begin(), T0)
    later = T0 + dt.timedelta(seconds=60)
    assert keys(c.handle(said(Command.HELP), later))[0] == "reminders.reminder.help"
    assert c.wake_at == later + WAIT
    again = c.handle(said(Command.REPEAT), later)
    assert keys(again)[0] == "reminders.reminder.first"


def test_noise_offers_the_choices_again_but_cannot_keep_the_reminder_alive() -> None:
    c = make()
    c.handle(Begin(), T0)
    out = c.handle(NotUnderstood("the television", source="voice"), T0 + dt.timedelta(seconds=80))
    assert keys(out) == ["reminders.reminder.not_understood", "reminders.reminder.choices"]
    assert c.wake_at == T0 + WAIT  # the wait was not restarted


def test_every_reminder_line_exists_and_fills_its_placeholders() -> None:
    c = make(name="Ann", late_since="10:30", max_snoozes=0)
    lines: list[Effect] = []
    lines += c.handle(Begin(), T0)
    lines += c.handle(said(Command.HELP), T0)
    lines += c.handle(said(Command.LATER), T0)
    lines += c.handle(NotUnderstood("x"), T0)
    lines += c.handle(Tick(), T0 + WAIT)
    lines += c.handle(Tick(), T0 + 3 * WAIT)
    for e in lines:
        if isinstance(e, Say):
            assert "{" not in e.text and e.text.strip(), e
