"""The paths that once trapped users (issue 20): interruptions return to their question, pain
never loops, chest pain and warning signs say "call now", a day with nothing done is skipped."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from companion import doctor, paths, progression, records, routine
from companion.commands import Command
from companion.events import End, Record, StopSpeech
from companion.history import practice_days
from companion.history.store import HistoryStore
from companion.session.state import Stage
from tests.session_driver import T0, Driver, at_stage, make_plan, make_routine

C = Command
REPO = Path(__file__).resolve().parent.parent
CHEST = "Do you have any chest pain right now?"
DIZZY = "Do you feel dizzy in a new way today?"
PAIN_Q = "Is your pain today more than 6 out of 10?"


def after(said: list[str], line: str) -> str:
    """The line said right after the last ``line``."""
    i = len(said) - 1 - said[::-1].index(line)
    return said[i + 1]


# ---- 1. an interruption returns to exactly the question it left ---------------------------


def test_stop_at_a_safety_question_comes_back_to_that_question() -> None:
    d = Driver(safety=True).begin().script("no", "stop", "no")
    said = d.said()
    assert after(said, "All right. We will carry on.") == DIZZY
    assert said.count("Do you want to end the session? Say yes or no.") == 1
    d.script("no", "no")
    assert d.session.safety_answers == [(CHEST, False), (DIZZY, False), (PAIN_Q, False)]
    assert d.stage is Stage.READY
    said = d.said()
    assert said.index(PAIN_Q) < said.index("Thank you. All clear. Let's begin.")


@pytest.mark.parametrize(
    "interrupt",
    [("stop", "no"), ("help",), ("what can i say",), ("repeat",), ("banana",), ("tired",)],
    ids=lambda lines: "-".join(lines),
)
def test_any_interruption_returns_to_the_dizziness_question(interrupt: tuple[str, ...]) -> None:
    d = Driver(safety=True).begin().script("no", *interrupt)
    assert d.stage is Stage.SAFETY
    assert d.said()[-1] == DIZZY
    d.script("no", "no")
    assert [q for q, _ in d.session.safety_answers] == [CHEST, DIZZY, PAIN_Q]
    assert d.stage is Stage.READY


def test_an_unsure_answer_is_checked_then_the_same_question_asked_again() -> None:
    d = Driver(safety=True).begin().script("no")
    d.say(C.YES, unsure=True)
    assert d.said()[-1] == "I heard yes. Is that right? Say yes or no."
    d.say(C.NO)
    assert d.said()[-2:] == ["Sorry. Please say it again.", DIZZY]
    d.say(C.NO, unsure=True)
    d.say(C.STOP)  # an interruption inside an interruption
    d.say(C.NO)
    assert d.said()[-1] == "I heard no. Is that right? Say yes or no."
    d.say(C.YES)  # the confirmed "no" answers the dizziness question
    assert d.session.safety_answers == [(CHEST, False), (DIZZY, False)]
    assert d.said()[-1] == PAIN_Q


def test_stop_at_the_pain_question_comes_back_to_it() -> None:
    d = at_stage(Stage.PAIN)
    d.script("stop", "no")
    assert d.stage is Stage.PAIN
    assert d.said()[-1].startswith("Any pain?")
    d.script("1", "2")
    assert [(r.kind, r.value) for r in d.records(records.Rating)] == [("pain", 1), ("effort", 2)]


# ---- 2. "it hurts" at the safety questions --------------------------------------------------


def test_it_hurts_at_the_safety_questions_records_pain_and_carries_on() -> None:
    d = Driver(safety=True).begin().script("no", "it hurts", "3", "no", "no")
    assert [(r.exercise_id, r.kind, r.value) for r in d.records(records.Rating)] == [
        ("", "pain", 3)
    ]
    assert [(s.exercise_id, s.reason) for s in d.records(records.Stopped)] == [("", "pain")]
    assert [q for q, _ in d.session.safety_answers] == [CHEST, DIZZY, PAIN_Q]
    said = d.said()
    assert after(said, "Thank you. I have noted it.") == DIZZY
    assert any(s.startswith("Today: 2 exercises") for s in said)
    assert any(s.startswith("Exercise 1 of 2") for s in said)
    assert "Shall we skip this exercise? Say yes or no." not in said
    assert d.stage is Stage.READY and said[-1].startswith("Set 1 of 2")


def test_severe_pain_before_the_exercises_means_no_exercise_today() -> None:
    d = Driver(safety=True).begin().script("no", "it hurts", "8")
    assert d.stage is Stage.DONE
    assert d.records(records.SessionEnded)[-1].how == "safety_check"
    assert not d.records(records.SetDone)


# ---- 3. pain after a set never loops --------------------------------------------------------


def test_declining_the_skip_after_pain_rests_then_goes_on_with_fewer() -> None:
    d = Driver(make_plan(("palm_turn", 3, 4), ("wrist_bend", 1, 3))).begin()
    d.script("start", "5", "no")
    assert d.said()[-2:] == [
        "We will do 2 each time from now on.",
        "How hard was that? Say a number from 0 to 10. 0 means very easy.",
    ]
    d.script("3")
    assert d.stage is Stage.REST
    d.script("start", "5")  # pain again at the lower dose: no more of it today
    assert any(s.startswith("It still hurts. We will leave Palm up and down") for s in d.said())
    assert d.said()[-1].startswith("Set 1 of 1")  # on to the next exercise
    sets = [(s.exercise_id, s.set_number, s.planned, s.done) for s in d.records(records.SetDone)]
    assert sets == [("palm_turn", 1, 4, 4), ("palm_turn", 2, 4, 2)]
    assert [s.reason for s in d.records(records.Skipped)] == ["pain"]


def test_the_old_loop_start_5_no_is_never_the_same_set_twice() -> None:
    d = Driver().begin().script("start", "5", "no", "3", "start", "5", "no", end=True)
    numbers = [(s.exercise_id, s.set_number) for s in d.records(records.SetDone)]
    assert len(numbers) == len(set(numbers))
    assert sum(s.done for s in d.records(records.SetDone)) < 6  # never 3 + 3 at full dose


@pytest.mark.parametrize("value", [7, 10])
def test_severe_pain_after_a_set_ends_the_exercise_and_offers_to_stop(value: int) -> None:
    d = Driver().begin().script("start", str(value))
    assert d.said()[-3:] == [
        "That is too much pain. Rest your hand.",
        "We will leave Palm up and down for today.",
        "Shall we stop for today? Say yes or no.",
    ]
    d.script("yes")
    assert d.records(records.SessionEnded)[-1].how == "pain"
    d = Driver().begin().script("start", str(value), "no")
    assert d.session.index == 1 and d.said()[-1].startswith("Set 1 of 2")


def test_pain_ten_on_the_last_exercise_ends_the_day() -> None:
    d = Driver(make_plan(("palm_turn", 2, 3))).begin().script("start", "10")
    assert d.records(records.SessionEnded)[-1].how == "pain"
    assert "We stopped because of pain." in d.said()[-2]


def test_it_hurts_nine_then_two_noes_never_restarts_the_same_dose() -> None:
    d = at_stage(Stage.COUNTING).script("it hurts", "9", "no")
    assert d.session.index == 1  # palm turns are over for today
    assert not d.records(records.SetDone)[1:]  # no second palm-turn set
    assert [r.reason for r in d.records(records.Skipped)] == ["pain"]


# ---- 4. chest pain: call now ----------------------------------------------------------------


def test_chest_pain_says_call_the_number_now_in_short_lines_and_can_be_repeated() -> None:
    d = Driver(safety=True, emergency_number="999").begin()
    effects = d.script("yes").last
    lines = d.said(effects)
    assert "Call 999 now." in lines
    assert not any("If you feel worse" in s for s in lines)
    assert all(len(s.split()) <= 18 for s in lines)
    assert d.records(records.SessionEnded)[-1].how == "safety_check"
    assert d.stage is Stage.ALERT and d.listening().suggested is C.REPEAT
    assert d.said(d.script("repeat").last) == lines
    d.script("finish")
    assert isinstance(d.effects[-1], End) and d.effects[-1].how == "safety_check"


# ---- 5. a day with nothing done is skipped --------------------------------------------------


def test_skipping_every_exercise_is_a_skipped_day_said_kindly() -> None:
    d = Driver().begin().script("next", "next")
    assert d.said()[-1] == "This is the last exercise. Skip it and end for today? Say yes or no."
    d.script("no")
    assert d.stage is Stage.READY and d.said()[-1].startswith("Set 1 of 2")
    d.script("next", "yes")
    assert d.records(records.SessionEnded)[-1].how == "skipped"
    said = " ".join(d.said())
    assert "0 movements" not in said and "Well done" not in said
    assert "We did no exercises today. That is all right." in said


def test_a_skipped_day_never_counts_toward_progression(tmp_path: Path) -> None:
    r = routine.default()
    day1 = T0.date()
    d = Driver().begin().script("next", "next", "yes")
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        for rec in d.records():
            store.write(rec)
        summary = practice_days.summary(store.connection, day1 + dt.timedelta(days=1))
    assert summary.days[0].hows == ("skipped",)
    plan = progression.plan_for(r, summary, day1 + dt.timedelta(days=1))
    assert plan.practice_days == 0 and plan.changes == ()


# ---- 6. pain and effort rules ---------------------------------------------------------------


def test_stop_and_it_hurts_are_taught_every_session_shorter_later() -> None:
    said = Driver().begin().said()
    assert "If anything hurts, say it hurts. I will stop at once." in said
    assert "To stop at any time, say stop." in said
    plan = dataclasses.replace(make_plan(), practice_days=5)
    said = Driver(plan).begin().said()
    assert "Remember: say stop, or it hurts, at any time." in said
    assert not any("If anything hurts" in s for s in said)


def test_effort_nine_offers_fewer_and_progression_does_not_go_up(tmp_path: Path) -> None:
    d = at_stage(Stage.EFFORT).script("9")
    assert d.said()[-2:] == [
        "That was hard work. Take it easy.",
        "Shall we do fewer repetitions? Say yes or no.",
    ]
    d.script("yes")
    assert "We will do one each time from now on." in d.said()
    d.script("start", "0", "2", "start", "0", "2", "start", "0", "2")
    assert d.records(records.SessionEnded)[-1].how == "completed"
    sets = [(s.set_number, s.planned, s.done) for s in d.records(records.SetDone)][:2]
    assert sets == [(1, 3, 3), (2, 3, 1)]  # the lower dose falls short of the plan
    r = dataclasses.replace(
        make_routine(), progression=dataclasses.replace(make_routine().progression, max_effort=9)
    )
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        for rec in d.records():
            store.write(rec)
        summary = practice_days.summary(store.connection, T0.date() + dt.timedelta(days=3))
    days = [summary.days[0]] * 1
    for n in (1, 2):
        days.append(dataclasses.replace(summary.days[0], day=T0.date() + dt.timedelta(days=n)))
    plan = progression.plan_for(
        r, dataclasses.replace(summary, days=tuple(days)), T0.date() + dt.timedelta(days=3)
    )
    assert all(c.kind != "up" for c in plan.changes if c.exercise_id == "palm_turn")


# ---- 7. emergency ---------------------------------------------------------------------------


def test_warning_signs_in_short_lines_with_the_number_and_repeat() -> None:
    d = Driver(emergency_number="112").begin()
    d.say(C.START)
    d.advance(4.5)
    effects = d.say(C.EMERGENCY)
    assert isinstance(effects[0], StopSpeech)
    lines = d.said(effects)
    assert len(lines) >= 4 and all(len(s.split()) <= 18 for s in lines)
    assert "Call 112 now." in lines
    assert lines[-1].startswith("To hear this again, say repeat")
    assert [r.reason for r in d.records(records.Stopped)] == ["warning_signs"]
    assert d.records(records.SessionEnded)[-1].how == "warning_signs"  # on disk at once
    assert d.said(d.say(C.REPEAT)) == lines
    assert d.said(d.advance(59)) == []
    assert d.said(d.advance(1)) == lines  # said again by itself, for a user who cannot ask
    d.script(end=True)  # the user walks away: the session closes, nothing more recorded
    assert isinstance(d.effects[-1], End) and d.effects[-1].how == "warning_signs"
    assert len(d.records(records.SessionEnded)) == 1
    assert not any(isinstance(e, Record) for e in d.effects[-2:])


def test_an_alert_nobody_closes_goes_quiet_but_stays_until_a_key_closes_it() -> None:
    d = Driver(safety=True, emergency_number="999").begin().script("yes")
    d.advance(60 * 3)
    assert d.said().count("Call 999 now.") == 4 and d.stage is Stage.ALERT
    d.advance(60 * 60)
    assert d.said().count("Call 999 now.") == 4, "said again and again with nobody there"
    assert d.stage is Stage.ALERT and not any(isinstance(e, End) for e in d.effects)
    d.script("finish")
    assert d.stage is Stage.DONE and isinstance(d.effects[-1], End)
    assert [r.how for r in d.records(records.SessionEnded)] == ["safety_check"]


def test_doctor_warns_when_the_emergency_number_is_missing(tmp_path: Path) -> None:
    found = doctor.check_emergency_number(doctor.context(str(tmp_path)))
    assert found.status is doctor.Status.WARN
    assert "routine set emergency_number" in found.fix or "emergency_number" in found.fix
    paths.resolve(str(tmp_path)).routine_file.write_text(
        '[safety]\nemergency_number = "999"\n', encoding="utf-8"
    )
    found = doctor.check_emergency_number(doctor.context(str(tmp_path)))
    assert found.status is doctor.Status.OK and "999" in found.detail


# ---- hard to use: plurals ---------------------------------------------------------------------


def test_one_exercise_left_is_singular() -> None:
    d = Driver().begin()
    d.say(C.HOW_MANY)
    assert "1 exercise left after this one." in d.said(d.last)


# ---- end to end through the command line -----------------------------------------------------


def run_session(data: Path, script: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), "session"]
    cmd += ["--script", "-", "--no-voice", "--time-scale", "50"]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=120, input=script, cwd=REPO, check=False
    )


def test_cli_stop_at_a_safety_question_then_a_whole_pain_path(tmp_path: Path) -> None:
    script = "no\nstop\nno\nno\nno\nstart\n5\nno\n3\nstart\n0\n2\nfinish\nyes\n"
    result = run_session(tmp_path, script)
    assert result.returncode == 0, result.stderr
    captions = result.stdout.splitlines()
    assert after(captions, "All right. We will carry on.") == DIZZY
    assert PAIN_Q in captions
    db = sqlite3.connect(tmp_path / "history.sqlite3")
    sets = db.execute("select exercise_id, set_number, planned, done from sets").fetchall()
    assert [s[:2] for s in sets] == [("palm_turn", 1), ("palm_turn", 2)]
    assert sets[1][3] < sets[1][2]  # the second set at a lower dose
    kinds = db.execute("select kind, value from ratings order by id").fetchall()
    assert kinds == [("pain", 5), ("effort", 3), ("pain", 0), ("effort", 2)]


def test_it_hurts_at_the_pain_question_never_repeats_the_finished_set() -> None:
    d = at_stage(Stage.PAIN).script("it hurts", "3", "no")
    assert d.said()[-1].startswith("How hard was that?")  # the set was done: ask its effort
    d.script("2")
    assert d.stage is Stage.REST
    d.script("start", "0", "1")
    numbers = [s.set_number for s in d.records(records.SetDone)]
    assert numbers == [1, 2]
    assert [s.done for s in d.records(records.SetDone)] == [3, 1]


def test_a_skipped_day_is_no_practice_in_the_streak_or_the_report(tmp_path: Path) -> None:
    from companion.history import daybook
    from companion.report import data

    day1, day2 = T0.date(), T0.date() + dt.timedelta(days=1)
    skipped = Driver().begin().script("next", "next", "yes")
    done = Driver(dataclasses.replace(make_plan(("palm_turn", 1, 3)), day=day2)).begin()
    done.script("start", "0", "1")
    assert done.records(records.SessionEnded)[-1].how == "completed"
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        for rec in skipped.records() + done.records():
            store.write(rec)
        book = daybook.build(store.connection, day1, day2, today=day2)
        report = data.gather(store.connection, day1, day2)
    assert (book.current_streak, book.longest_streak) == (1, 1)
    assert [d.status for d in report.days] == [data.MISSED, data.DONE]


def test_finish_during_a_rest_asks_then_the_rest_goes_on() -> None:
    d = at_stage(Stage.REST)
    assert C.END in d.listening().commands  # the "e" key and "finish" work in a rest too
    d.script("finish")
    assert d.stage is Stage.CONFIRM_END
    d.script("no")
    assert d.stage is Stage.REST
    d.advance(60)
    assert d.stage is Stage.READY and d.said()[-1].startswith("Set 2 of 2")


# ---- routine init asks for the emergency number --------------------------------------------


def test_routine_init_asks_for_the_emergency_number_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty
    import select
    import time

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path), "routine",
         "init"],
        stdin=follower, stdout=follower, stderr=follower, cwd=REPO, close_fds=True,
    )  # fmt: skip
    os.close(follower)
    shown = b""
    try:
        deadline = time.monotonic() + 30
        while b"Emergency number" not in shown:
            assert time.monotonic() < deadline, shown
            if select.select([leader], [], [], 0.1)[0]:
                shown += os.read(leader, 4096)
        os.write(leader, b"12x\n")  # not a number: asked again
        while shown.count(b"Emergency number") < 2:
            assert time.monotonic() < deadline, shown
            if select.select([leader], [], [], 0.1)[0]:
                shown += os.read(leader, 4096)
        os.write(leader, b"999\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert b"not a phone number" in shown
    assert routine.load(tmp_path / "routine.toml").safety.emergency_number == "999"


def test_routine_init_takes_the_number_as_an_option_and_refuses_a_bad_one(tmp_path: Path) -> None:
    def init(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "companion.cli.main", "--data-dir", str(tmp_path), "routine",
             "init", *extra],
            capture_output=True, text=True, cwd=REPO, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip

    bad = init("--emergency-number", "call mum")
    assert bad.returncode != 0 and "not a phone number" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "routine.toml").exists()
    plain = init()  # no terminal, no number: written, and said how to set it later
    assert plain.returncode == 0 and "routine set safety.emergency_number" in plain.stdout
    good = init("--force", "--emergency-number", "+44 20 7946 0000")
    assert good.returncode == 0, good.stderr
    r = routine.load(tmp_path / "routine.toml")
    assert r.safety.emergency_number == "+44 20 7946 0000"
