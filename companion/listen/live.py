"""What may be heard now: the live phrases of the session's context, and what each means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from companion.commands import SAFETY, Command, Context, Parsed, Vocabulary
from companion.recognisers.moonshine_tokens import written_forms


@dataclass(frozen=True)
class Live:
    """The phrases live in one context (set by ``Listener.set_context``)."""

    context: Context | None = None
    """None before the first context."""
    commands: frozenset[Command] = frozenset()
    table: Mapping[str, Parsed] = field(default_factory=dict)
    """Each live phrase with what it means."""
    safety: frozenset[str] = frozenset()
    """The live phrases of safety commands."""
    forms: Mapping[str, list[str]] = field(default_factory=dict)
    """How a transcript may write each live phrase (for the reader)."""
    quick_stop: bool = False
    """In this context "stop" never waits for the reader."""

    def forms_of(self, command: Command | None) -> dict[str, list[str]]:
        """The written forms of the live phrases meaning ``command`` (what the reader is
        asked about when only that command is in question)."""
        return {p: f for p, f in self.forms.items() if self.table[p].command is command}


def live_for(
    context: Context,
    commands: frozenset[Command],
    vocabulary: Vocabulary,
    quick_stop_contexts: frozenset[Context],
) -> Live:
    """The live phrases for ``commands`` in ``context``."""
    table = vocabulary.phrases_for(commands)
    return Live(
        context=context,
        commands=commands,
        table=table,
        safety=frozenset(p for p, v in table.items() if v.command in SAFETY),
        forms={p: written_forms(p, v.value) for p, v in table.items()},
        quick_stop=context in quick_stop_contexts,
    )
