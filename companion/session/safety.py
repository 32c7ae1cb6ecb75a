"""The safety side of a session: the pre-session questions, and "call your emergency number
now" (chest pain, stroke warning signs) said in short lines that can be repeated."""

from __future__ import annotations

import datetime as dt

from companion import records
from companion.records import Outcome, Reason
from companion.session.exercises import ExerciseFlow
from companion.session.state import ALERT_REPEAT_S, ALERT_REPEATS, Alert, Stage

QUESTION_IDS = ("chest_pain", "dizziness", "pain_over_6")
"""Stable history ids of the pre-session questions, in the order of prompts' safety.questions."""
ALERT_REASONS = {Outcome.SAFETY_CHECK: "chest_pain", Outcome.WARNING_SIGNS: "warning_signs"}
"""Why the "call now" alert was shown, by how the session ended, as the history records it."""


def record(s: ExerciseFlow, question: str, answer: str, text: str, now: dt.datetime) -> None:
    """Put a safety answer into the health record (see ``records.SafetyAnswer``)."""
    s.record(records.SafetyAnswer(now, question, answer, text))


def emergency_number(s: ExerciseFlow) -> str:
    """The routine's emergency number, or words saying "your emergency number"."""
    return s.routine.safety.emergency_number or s.words.text("safety.emergency_fallback")


def ask(s: ExerciseFlow, now: dt.datetime) -> None:
    """Ask the current pre-session question."""
    text = s.words.text("safety.questions", variant=s.safety_q)
    s.say_text(text, "safety.questions")
    s.last_prompt = [text]
    s.enter(Stage.SAFETY, now)


def answer(s: ExerciseFlow, yes: bool, now: dt.datetime) -> None:
    """Keep the answer; a "yes" ends the session (chest pain: call now); else ask on."""
    question = s.words.text("safety.questions", variant=s.safety_q)
    s.safety_answers.append((question, yes))
    qid = QUESTION_IDS[s.safety_q] if s.safety_q < len(QUESTION_IDS) else f"q{s.safety_q + 1}"
    record(s, qid, "yes" if yes else "no", question, now)
    if yes:
        answers = s.words.raw("safety.answer_yes")
        if answers[s.safety_q % len(answers)] == "call_now":
            alert(s, "safety.call_now_lines", Outcome.SAFETY_CHECK, now)
        else:
            stop_kindly(s, now)
        return
    s.safety_q += 1
    if s.safety_q < len(s.words.raw("safety.questions")):
        ask(s, now)
    else:
        s.say_text(s.words.text("safety.all_clear"), "safety.all_clear")
        s.after_safety(now)


def stop_kindly(s: ExerciseFlow, now: dt.datetime) -> None:
    """Not today: say so kindly (with the emergency number) and end the session."""
    s.say_text(
        s.words.text("safety.stop_kindly", emergency_number=emergency_number(s)),
        "safety.stop_kindly",
    )
    s.record(records.Stopped(now, "", Reason.SAFETY_CHECK))
    s.end(Outcome.SAFETY_CHECK, now)


def alert(s: ExerciseFlow, key: str, how: Outcome, now: dt.datetime) -> None:
    """Say "call your emergency number now" in short lines, one at a time; the session is
    recorded as ended at once, but stays to repeat them until the user closes it."""
    s.stop_speech()
    s.halt(now)
    if s.progress is not None and s.index < len(s.items):
        s.record_set(now, completed=False)
    s.record(records.Stopped(now, s.current_exercise(), Reason(how)))
    number = emergency_number(s)
    lines = [line.format(emergency_number=number) for line in s.words.raw(key)]
    options = "safety.alert_options_switch" if s.switch else "safety.alert_options"
    lines.append(s.words.text(options))
    s.alert = Alert(lines, how)
    record(s, "call_now_alert", ALERT_REASONS.get(how, how), " ".join(lines[:-1]), now)
    s.record(records.SessionEnded(now, how))
    s.last_prompt = list(lines)
    s.stage = Stage.ALERT
    say_alert(s, now)
    s.listen()


def say_alert(s: ExerciseFlow, now: dt.datetime) -> None:
    """The alert lines, each on its own; said again by itself a few times."""
    assert s.alert is not None
    for line in s.alert.lines:
        s.say_text(line, "alert")
    s.wake_at = now + dt.timedelta(seconds=ALERT_REPEAT_S)


def alert_tick(s: ExerciseFlow, now: dt.datetime) -> None:
    """Nothing heard for a while: say it again; after a few times, stop saying it but keep it
    on screen (the captions and the page) until a key, the switch or a word closes it."""
    assert s.alert is not None
    s.alert.repeats += 1
    if s.alert.repeats > ALERT_REPEATS:
        s.wake_at = None
        s.listen()
    else:
        say_alert(s, now)


def quiet_alert(s: ExerciseFlow) -> None:
    """ "Stop" at the alert (a key, the switch, the page, the word): quiet at once and not said
    again by itself, but it stays on screen until "finish" closes it ("repeat" says it again).
    Someone in danger may press stop in a hurry, or to talk on the phone: the number stays."""
    assert s.alert is not None
    s.stop_speech()
    s.alert.repeats = ALERT_REPEATS
    s.wake_at = None
    s.listen()


def close_alert(s: ExerciseFlow) -> None:
    """The alert is closed: the session is over (already recorded)."""
    assert s.alert is not None
    s.close(s.alert.how)
