"""A safety answer in a few words ("no chest pain", "pain 2"), in capitals when alarming."""

from __future__ import annotations

from companion.history.queries import ReminderSafetyRow, SafetyRow

_BRIEF = {
    ("chest_pain", "no"): "no chest pain",
    ("chest_pain", "yes"): "CHEST PAIN (yes)",
    ("dizziness", "no"): "no dizziness",
    ("dizziness", "yes"): "DIZZY (yes)",
    ("pain_over_6", "no"): "pain 6 or less",
    ("pain_over_6", "yes"): "PAIN OVER 6 (yes)",
    ("stop_for_today", "no"): "did not stop for today",
    ("stop_for_today", "yes"): "stopped for today after pain",
    ("skip_after_pain", "no"): "went on after pain, fewer repetitions",
    ("skip_after_pain", "yes"): "skipped for pain",
    ("call_now_alert", "chest_pain"): "CALL-NOW ALERT SHOWN (chest pain)",
    ("call_now_alert", "warning_signs"): "CALL-NOW ALERT SHOWN (stroke warning signs)",
}


def brief(row: SafetyRow) -> str:
    """A few words for one answer ("no chest pain", "pain 2"); capitals when alarming."""
    if row.question == "pain_now":
        text = f"pain {row.answer}"
        return text.upper() if row.alarming else text
    known = _BRIEF.get((row.question, row.answer))
    if known is not None:
        return known
    text = f"{row.question.replace('_', ' ')}: {row.answer}"
    return text.upper() if row.alarming else text


_AT_REMINDER = {
    ("reminder", "pain"): "IT HURTS, said at a reminder (no exercise that day)",
    ("reminder", "warning_signs"): "STROKE WARNING SIGNS at a reminder (told to call for help now)",
    ("screen", "pain"): "IT HURTS, pressed on the screen (no session running)",
}


def at_reminder(row: ReminderSafetyRow) -> str:
    """A few words, in capitals (always alarming), for "it hurts" or the warning signs said at
    a reminder, or "It hurts" pressed on the screen, with no session running."""
    known = _AT_REMINDER.get((row.place, row.what))
    return known or f"{row.what.replace('_', ' ')} at a {row.place}".upper()
