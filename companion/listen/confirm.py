"""Confirmation: how sure a result must be to be taken, and when the session asks "I heard
... Is that right?" before acting on it (never for a safety command)."""

from __future__ import annotations

from companion.commands import SAFETY, Context, Parsed
from companion.listen.settings import ListenerSettings


def confirms(context: Context | None, settings: ListenerSettings) -> bool:
    """In ``context`` a weak result is kept, unsure (to be confirmed), rather than dropped."""
    return context in settings.confirm_contexts


def min_confidence(
    parsed: Parsed | None, context: Context | None, settings: ListenerSettings
) -> float:
    """The recogniser's confidence below which its phrase ``parsed`` is rejected."""
    if parsed is not None and parsed.command in SAFETY:
        return settings.safety_min_confidence
    if confirms(context, settings):
        return settings.confirm_min_confidence
    return settings.min_confidence


def is_unsure(parsed: Parsed, doubt: bool, confidence: float, settings: ListenerSettings) -> bool:
    """An accepted command is confirmed first: an opinion doubted it, or it is below
    ``unsure_below``; never a safety command."""
    return parsed.command not in SAFETY and (doubt or confidence < settings.unsure_below)
