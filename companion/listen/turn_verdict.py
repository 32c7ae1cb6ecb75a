"""The verdict on a finished turn, by ``own_voice``'s rules when it began in the companion's
voice (or its tail) and by ``decide``'s otherwise, and the ``Decision`` it becomes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from companion.classifier.combine_opinions import Verdict
from companion.commands import Parsed
from companion.listen import decide, own_voice
from companion.listen.companion_speech import CompanionSpeech
from companion.listen.live import Live
from companion.listen.settings import ListenerSettings
from companion.listen.turn import Turn, TurnOpinions
from companion.listen.verdict import Decision

log = logging.getLogger(__name__)


def verdict_on(
    text: str,
    confidence: float,
    live: Live,
    own: CompanionSpeech,
    turn: Turn,
    opinions: TurnOpinions,
    own_voice_word: Callable[[], Verdict | None],
    settings: ListenerSettings,
    start_s: float | None = None,
) -> Verdict | None:
    """The recogniser heard ``text`` (normalised) at ``confidence`` in ``turn``, its first
    word from ``start_s`` (None: not told)."""
    if not own.covers(turn.start_s):
        return decide.judge_turn(text, confidence, live, opinions, turn.stop_read, settings)
    verdict = own_voice.judge_over_own_voice(
        text,
        confidence,
        live,
        own.candidates(live.table),
        opinions,
        turn.stop_read,
        own_voice_word,
        settings,
        start_s,
    )
    if verdict is None:
        log.debug("ignored %r (%.2f): the companion is speaking %r", text, confidence, own.text)
    return verdict


def decision_for(verdict: Verdict, table: Mapping[str, Parsed], position_s: float) -> Decision:
    """The command ``verdict`` names (its phrase is one of ``table``'s), decided at
    ``position_s``."""
    assert verdict.phrase is not None
    parsed = table[verdict.phrase]
    return Decision(
        command=parsed.command,
        value=parsed.value,
        text=verdict.phrase,
        confidence=verdict.confidence,
        decided_at_s=round(position_s, 3),
        unsure=verdict.unsure,
    )
