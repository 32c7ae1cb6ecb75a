"""Defects found by trying the safety paths as a user and caregiver would (keys, switch,
scripts): each test failed before its fix."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from companion import records
from companion.history import safety_words
from companion.history.queries import SafetyRow
from companion.session.state import Stage
from tests.session_cli import REPO, run_session, session_env
from tests.session_driver import Driver, make_plan

DIZZY = "Do you feel dizzy in a new way today?"
HOW_BAD = "How bad is the pain? Say a number from 0 to 10."


def test_it_hurts_again_at_the_pain_level_question_asks_it_once_at_the_safety_check() -> None:
    """ "It hurts" said again while "How bad is the pain?" is asked (the user repeats
    themselves): the level is asked once more, one answer is kept, then the safety question."""
    d = Driver(safety=True).begin().script("no", "it hurts", "it hurts", "3")
    assert [(r.kind, r.value) for r in d.records(records.Rating)] == [("pain", 3)]
    assert [a.answer for a in d.records(records.SafetyAnswer) if a.question == "pain_now"] == ["3"]
    assert len(d.records(records.Stopped)) == 1
    assert d.stage is Stage.SAFETY and d.said()[-1] == DIZZY


def test_it_hurts_again_at_the_pain_level_question_during_a_set_records_one_stop() -> None:
    d = Driver(make_plan(("palm_turn", 2, 4), ("wrist_bend", 1, 3))).begin()
    d.script("start")
    d.advance(4.5)
    d.script("it hurts", "it hurts")
    assert d.stage is Stage.HURT_LEVEL and d.said()[-1] == HOW_BAD
    d.script("3")
    assert [(s.exercise_id, s.reason) for s in d.records(records.Stopped)] == [
        ("palm_turn", "pain")
    ]
    assert d.stage is Stage.OFFER_SKIP


def test_it_hurts_at_stop_for_today_never_brings_back_the_exercise_left_for_today() -> None:
    """Severe pain left the exercise for today; "it hurts" at "Shall we stop for today?" with a
    milder level once offered to skip it and, on "no", started it again at half the dose."""
    d = Driver(make_plan(("palm_turn", 2, 4), ("wrist_bend", 1, 3))).begin()
    d.script("start")
    d.advance(4.5)
    d.script("it hurts", "8")
    assert d.said()[-2:] == [
        "We will leave Palm up and down for today.",
        "Shall we stop for today? Say yes or no.",
    ]
    d.script("it hurts", "3")
    assert [(r.kind, r.value) for r in d.records(records.Rating)] == [("pain", 8), ("pain", 3)]
    assert d.stage is Stage.OFFER_END_PAIN
    assert d.said()[-1] == "Shall we stop for today? Say yes or no."
    d.script("no")
    assert d.said()[-1].startswith("Set 1 of 1")
    assert any(s.startswith("Exercise 2 of 2: Wrist bend") for s in d.said()[-8:])
    assert all(e.exercise_id != "palm_turn" for e in d.records(records.SetDone)[1:])


def test_history_says_it_hurt_at_the_safety_questions_not_that_the_session_stopped(
    tmp_path: Path,
) -> None:
    """ "It hurts" at the safety questions (level 2), then a whole session: the caregiver's
    history read "completed: ...; session stopped (pain)", as if the session had been stopped."""
    day = dt.date(2026, 3, 2)
    script = tmp_path / "answers.txt"
    script.write_text((REPO / "tests" / "scripts" / "level1_full.txt").read_text())
    lines = script.read_text().splitlines()
    first_no = lines.index("no")
    lines[first_no + 1 : first_no + 1] = ["it hurts", "2"]
    script.write_text("\n".join(lines) + "\n")
    ran = run_session(tmp_path / "data", script, scale=50, day=day)
    assert ran.returncode == 0, ran.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path / "data"),
         "history", "--days", "1", "--date", day.isoformat()],
        capture_output=True, text=True, timeout=60, cwd=REPO, env=session_env(),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    [line] = [x for x in shown.stdout.splitlines() if x.startswith("Mon 2026-03-02")]
    assert " completed: " in line
    assert "session stopped" not in line
    assert "it hurt at the safety questions" in line
    plan = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path / "data"),
         "plan", "--date", "2026-03-03"],
        capture_output=True, text=True, timeout=60, cwd=REPO, env=session_env(),
    )  # fmt: skip
    assert "because something hurt last time" in plan.stdout


def test_the_answer_to_skip_after_pain_is_kept_with_the_safety_answers() -> None:
    """ "Shall we skip this exercise?" after pain is a safety answer: a "no" (going on, with
    fewer) was recorded nowhere, so the caregiver could not tell the user chose to go on."""
    d = Driver(make_plan(("palm_turn", 1, 4), ("wrist_bend", 2, 3))).begin()
    d.script("start")
    d.advance(4.5)
    d.script("it hurts", "3", "no")
    d.until(Stage.READY).script("start")
    d.until(Stage.PAIN).script("1", "2", "start")  # after the rest: the next exercise
    d.until(Stage.PAIN).script("5", "yes")  # pain after a whole set, then skip
    kept = [(a.question, a.answer, a.text) for a in d.records(records.SafetyAnswer)]
    offer = "Shall we skip this exercise? Say yes or no."
    assert kept == [("skip_after_pain", "no", offer), ("skip_after_pain", "yes", offer)]


def test_history_words_for_the_skip_after_pain_answers() -> None:
    def row(answer: str) -> SafetyRow:
        return SafetyRow(1, dt.date(2026, 3, 2), "", "skip_after_pain", answer, "")

    assert safety_words.brief(row("no")) == "went on after pain, fewer repetitions"
    assert safety_words.brief(row("yes")) == "skipped for pain"


def test_pain_after_the_last_set_of_an_exercise_never_offers_to_skip_what_is_done() -> None:
    """Pain 5 after an exercise's last set: "Shall we skip this exercise?" asked about an
    exercise already done (a "yes" logged it as skipped); now the advice, then the effort."""
    d = Driver(make_plan(("palm_turn", 1, 3), ("wrist_bend", 1, 3))).begin()
    d.script("start")
    d.until(Stage.PAIN).script("5")
    assert "Shall we skip this exercise? Say yes or no." not in d.said()
    assert d.stage is Stage.EFFORT
    assert d.said()[-2:] == [
        "That is more pain than we want. Rest your hand.",
        "How hard was that? Say a number from 0 to 10. 0 means very easy.",
    ]
    d.script("3")
    assert not d.records(records.Skipped)
    assert d.stage is Stage.READY and d.said()[-1].startswith("Set 1 of 1")


def test_history_never_says_a_question_was_answered_yes_after_pain_8_there(
    tmp_path: Path,
) -> None:
    """ "It hurts", 8, at the safety questions (every question answered no): the history said
    the session ended because "a safety question was answered yes"."""
    ran = run_session(tmp_path, "-", scale=50, day=dt.date(2026, 3, 2), stdin="no\nit hurts\n8\n")
    assert ran.returncode == 0, ran.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path),
         "history", "--days", "1", "--date", "2026-03-02"],
        capture_output=True, text=True, timeout=60, cwd=REPO, env=session_env(),
    )  # fmt: skip
    [line] = [x for x in shown.stdout.splitlines() if x.startswith("Mon 2026-03-02")]
    assert "answered yes" not in line
    assert "ended: stopped at the safety questions" in line


def test_it_hurts_at_the_call_now_alert_says_the_alert_again(tmp_path: Path) -> None:
    """ "It hurts" said (or scripted) at the "call your emergency number now" alert was "not
    understood"; the "o" key and two switch presses already said the alert again there."""
    ran = run_session(tmp_path, "-", scale=50, stdin="yes\nit hurts\nfinish\n")
    assert ran.returncode == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert not any(x.startswith("Sorry, I did not understand") for x in lines)
    assert lines.count("Call your emergency number now.") == 2
    assert "[session ended: safety_check]" in ran.stderr
