"""What each routine setting means, and the fully commented routine file ``routine init`` writes."""

from __future__ import annotations

from typing import Any

import tomlkit

from companion import library, prompts
from companion.routine.schema import SCHEMA
from companion.routine.settings import defaults_data

SECTION_TITLES: dict[str, str] = {
    "": "About the person",
    "exercise": "Exercises, in the order they are done",
    "speech": "The voice",
    "input": "Ways to answer: voice, keyboard, single switch",
    "hand": "What the affected hand can do",
    "vocabulary": "The user's own words for commands",
    "listening": "Listening (speech recognition)",
    "reminders": "Daily reminders",
    "progression": "Making the programme harder or easier",
    "safety": "Safety",
}

DESCRIPTIONS: dict[tuple[str, str], str] = {
    ("", "name"): "First name, used in greetings. Leave empty for none.",
    ("", "affected_side"): "The weaker hand, the one that exercises.",
    ("", "language"): "Language of the spoken wording.",
    ("exercise", "id"): "Which exercise (see the list above).",
    ("exercise", "reps"): "Repetitions per set; for a timed exercise (pen_spin), seconds each way.",
    ("exercise", "sets"): "Sets per session.",
    ("exercise", "seconds_per_rep"): "Counting speed: seconds for one whole repetition.",
    ("exercise", "rest_seconds"): "Rest between sets, in seconds.",
    ("speech", "rate"): "Speaking speed in words per minute. 150 is slow and clear.",
    ("speech", "volume"): "Loudness, from quiet (0.1) to full (1.0).",
    ("speech", "voice"): "Voice name or id; leave empty for the default voice.",
    ("speech", "pause_seconds"): "Pause between spoken lines, in seconds; longer helps "
    "people with aphasia.",
    ("speech", "simple"): "Simpler language: short sentences, one idea each, no idioms.",
    ("input", "scan_seconds"): "Single switch: seconds each offered choice waits for a press.",
    ("hand", "pinch"): "The thumb and a finger can pinch. false: exercises that need a pinch "
    "are swapped for an easier one or left out, and the user is told.",
    ("input", "voice"): "Answer by speaking (needs a microphone).",
    ("input", "keyboard"): "Answer with keys (space = start, q or Esc = stop, ...).",
    ("input", "switch"): "Single-switch mode: one big key does everything.",
    (
        "listening",
        "end_silence_seconds",
    ): "Silence that ends a spoken command. Slow speakers: 2 to 2.5.",
    ("listening", "reprompt_seconds"): "Gently ask again after this many seconds; 0 = never ask.",
    ("listening", "engine"): "Speech recogniser: auto picks vosk if a model is installed.",
    ("listening", "model"): "Folder of a speech model; leave empty for the built-in one.",
    ("listening", "device"): "Microphone name or number (companion devices); empty = default.",
    ("listening", "reader"): "Check what was heard with a second English recogniser: far fewer "
    "mistakes, but about 450 MB more memory. false = off (small computers).",
    ("listening", "front_end"): "Noise suppression before recognition: webrtc, or none = off.",
    ("reminders", "times"): "Times of day for a spoken reminder, 24-hour clock.",
    ("reminders", "timezone"): "Time zone like Europe/London; leave empty for this computer's.",
    ("reminders", "grace_minutes"): "A reminder missed while the computer was off is still given "
    "this many minutes late.",
    ("reminders", "snooze_minutes"): "Minutes to wait after the user says later.",
    ("reminders", "max_snoozes"): "How many times later may be said.",
    ("progression", "days_needed"): "Easy days in a row before more repetitions are added.",
    ("progression", "max_pain"): "Highest pain (0-10) that still counts as an easy day.",
    ("progression", "max_effort"): "Highest effort (0-10) that still counts as an easy day.",
    ("progression", "rep_step"): "Repetitions (or seconds) added at a time.",
    ("progression", "caregiver_approval"): "A new exercise or level waits for a caregiver's yes.",
    ("progression", "gap_days"): "Missed days after which the programme restarts gently.",
    ("safety", "pre_session_check"): "Ask the safety questions (chest pain, dizziness, pain) "
    "before each session.",
    ("safety", "emergency_number"): "Phone number said with the stroke warning signs, e.g. 999.",
}
DESCRIPTIONS.update(
    {
        ("vocabulary", c): f"Extra words the user may say for {c.replace('_', ' ')}."
        for c in SCHEMA["vocabulary"]
    }
)
"""A plain sentence for every setting in ``SCHEMA``."""


def describe(section: str, key: str) -> str:
    """The comment for one setting: what it does and what is allowed."""
    allowed = SCHEMA[section][key][1]
    return f"{DESCRIPTIONS[(section, key)]} Allowed: {allowed}."


def _value(value: Any) -> str:
    return tomlkit.item(value).as_string()


def _exercise_catalogue() -> list[str]:
    words = prompts.load("en")
    lines = ["# Exercises you can use (companion exercises --steps shows how each is done):"]
    for level in (1, 2, 3):
        names = ", ".join(f"{e.id} ({words.exercise(e.id).name})" for e in library.by_level(level))
        lines.append(f"#   level {level}: {names}")
    lines.append(
        "# Add one with: companion routine add ID   Remove one: companion routine remove ID"
    )
    lines.append("# Each [[exercise]] below has these settings:")
    lines += [f"#   {key}: {describe('exercise', key)}" for key in SCHEMA["exercise"]]
    return lines


def commented_text(data: dict[str, Any] | None = None) -> str:
    """A complete routine file with a comment on every setting (``data`` defaults to defaults)."""
    data = data if data is not None else defaults_data()
    out = [
        "# Companion routine: the caregiver's settings.",
        "# Lines starting with # are comments and are kept when the file is edited.",
        "# Change a value here, or with: companion routine set KEY VALUE",
        "# Check the file with: companion routine check   See the result: companion routine show",
        "",
        f"# ---- {SECTION_TITLES['']} ----",
    ]
    for key in SCHEMA[""]:
        out += [f"# {describe('', key)}", f"{key} = {_value(data[key])}"]
    out += ["", f"# ---- {SECTION_TITLES['exercise']} ----", *_exercise_catalogue()]
    for item in data["exercise"]:
        out += ["", "[[exercise]]"]
        out += [f"{key} = {_value(item[key])}" for key in SCHEMA["exercise"] if key in item]
    for section in SCHEMA:
        if section in ("", "exercise"):
            continue
        out += ["", f"# ---- {SECTION_TITLES[section]} ----", f"[{section}]"]
        for key in SCHEMA[section]:
            out += [f"# {describe(section, key)}", f"{key} = {_value(data[section][key])}"]
    return "\n".join(out) + "\n"
