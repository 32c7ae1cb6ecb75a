"""The reminders daemon with the real scheduler, real SQLite files and real processes."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.session_cli import recorded_sessions, waiting_session

pytestmark = pytest.mark.slow

ZONE = "Europe/London"
TZ = ZoneInfo(ZONE)
REPO = Path(__file__).resolve().parent.parent
TOLERANCE = dt.timedelta(seconds=1)


def write_routine(data: Path, **reminders: object) -> None:
    settings = {"timezone": ZONE, **reminders}
    lines = ["[reminders]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    data.mkdir(parents=True, exist_ok=True)
    (data / "routine.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def soon(*seconds: int) -> list[str]:
    """``--at`` arguments for reminders ``seconds`` after the daemon's start-up has ended
    (however long start-up takes on a busy machine)."""
    return [a for n in seconds for a in ("--at", f"+{n}")]


def reminder_times(line: str) -> list[tuple[str, dt.datetime]]:
    """(label, due) of each reminder time in the daemon's "running; reminders at ..." line."""
    running = line_time(line).astimezone(TZ)
    labels = line.split("running; reminders at ", 1)[1].split(";", 1)[0].split(", ")
    out = []
    for label in labels:
        due = dt.datetime.combine(running.date(), dt.time.fromisoformat(label), tzinfo=TZ)
        if due < running - dt.timedelta(seconds=1):
            due += dt.timedelta(days=1)
        out.append((label, due))
    return out


class Daemon:
    """One ``companion daemon`` process; its output goes to a file we can poll."""

    count = 0
    started: list[Daemon] = []
    """Every daemon a test started (all are stopped when the test ends, even if it failed)."""

    def __init__(self, data: Path, *args: str) -> None:
        Daemon.count += 1
        self.out = data / f"daemon-{Daemon.count}.out"
        with self.out.open("w") as f:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "companion.cli.main",
                    "daemon",
                    "--data-dir",
                    str(data),
                    "--no-voice",
                    *args,
                ],
                stdout=f,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env=_env(),
            )
        Daemon.started.append(self)

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def reminders(self) -> list[tuple[str, dt.datetime]]:
        """(label, due) of each reminder time, once the daemon says it is running."""
        return reminder_times(self.wait_for("running; reminders at "))

    def wait_for(self, needle: str, timeout: float = 15) -> str:
        """The first output line containing ``needle`` (fails after ``timeout`` seconds)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in self.text().splitlines():
                if needle in line:
                    return line
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"daemon never printed {needle!r}; output:\n{self.text()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            print(self.text())  # shown with the failure
            raise
        if code != 0:
            print(self.text())
        return code


@pytest.fixture(autouse=True)
def _stop_daemons() -> Iterator[None]:
    yield
    while Daemon.started:
        d = Daemon.started.pop()
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(timeout=10)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COMPANION_DATA_DIR", None)
    env["PYTHONPATH"] = str(REPO)
    return env


def line_time(line: str) -> dt.datetime:
    return dt.datetime.fromisoformat(line.split(" ", 1)[0])


@pytest.fixture
def data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


def outcomes(data: Path) -> list[tuple[dt.datetime, str, str]]:
    """(at, day, outcome) rows of the history's reminders table, in order."""
    with sqlite3.connect(data / "history.sqlite3") as conn:
        rows = conn.execute("SELECT at, day, outcome FROM reminders ORDER BY id").fetchall()
    return [(dt.datetime.fromisoformat(a), d, o) for a, d, o in rows]


def said(data: Path, key: str) -> list[dt.datetime]:
    """When each line with prompt ``key`` was said (from the event log)."""
    out = []
    path = data / "events.log"
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        at, kind, details = line.split("\t", 2)
        if kind == "say" and json.loads(details).get("key") == key:
            out.append(dt.datetime.fromisoformat(at))
    return out


def stored_jobs(data: Path) -> dict[str, float]:
    """Job id -> next run time (epoch seconds) straight from the reminder store's plain rows."""
    with sqlite3.connect(data / "reminders.sqlite3") as conn:
        rows = conn.execute("SELECT id, next_run FROM jobs").fetchall()
    return {i: dt.datetime.fromisoformat(at).timestamp() for i, at in rows}


def wait_until(predicate: object, timeout: float = 15) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    pytest.fail("condition not met in time")


FIRST = "reminders.reminder.first"


def test_reminder_fires_on_time_then_later_then_start_runs_the_session(data: Path) -> None:
    write_routine(data, snooze_minutes=1, max_snoozes=2)
    (data / "answers.txt").write_text("later\nstart\n")
    # the session waits (far longer than the test) so it is surely running when looked for
    (data / "session.txt").write_text("wait 86400\n")
    d = Daemon(
        data,
        *soon(2),
        "--script",
        str(data / "answers.txt"),
        "--time-scale",
        "20",
        "--session-script",
        str(data / "session.txt"),
    )
    try:
        ((_, due),) = d.reminders()
        d.wait_for("starting today's session", timeout=20)
        # the session has begun once its row is in the history (it writes it at its start)
        wait_until(lambda: _sessions(data) or "session ended" in d.text(), timeout=60)
        assert "session ended" not in d.text()
        assert _session_children(data), "the session should be running now"
    finally:
        assert d.stop() == 0  # stopping the daemon also ends the session it started
    assert _session_children(data) == []
    rows = outcomes(data)
    assert [o for _, _, o in rows] == ["fired", "snoozed", "fired", "started"]
    assert {day for _, day, _ in rows} == {due.date().isoformat()}
    first, second = said(data, FIRST)
    assert abs(first - due) <= TOLERANCE, (first, due)
    snoozed_at = rows[1][0]
    back = snoozed_at + dt.timedelta(minutes=1) / 20
    assert abs(second - back) <= TOLERANCE, (second, back)
    assert said(data, "reminders.reminder.snoozed") and said(data, "reminders.reminder.starting")
    # the session ran as a child process and wrote today's session to the same history
    # (stopped with the daemon, so it never ended)
    assert [day for (day,) in _sessions(data)] == [dt.date.today().isoformat()]


def _session_children(data: Path) -> list[int]:
    """Pids of ``companion session`` processes working on ``data``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"session" in args and str(data).encode() in args:
            found.append(int(proc.name))
    return found


def _sessions(data: Path) -> list[tuple[str]]:
    with sqlite3.connect(data / "history.sqlite3") as conn:
        return conn.execute("SELECT day FROM sessions").fetchall()


def test_a_snooze_stored_by_one_process_fires_in_the_next(data: Path) -> None:
    write_routine(data, snooze_minutes=1)
    (data / "one.txt").write_text("later\n")
    (data / "two.txt").write_text("start\n")
    one = Daemon(data, *soon(2), "--script", str(data / "one.txt"), "--time-scale", "5")
    ((label, due),) = one.reminders()
    one.wait_for("snoozed until")
    assert one.stop() == 0
    jobs = stored_jobs(data)
    snooze = jobs[f"snooze {label}"]
    assert snooze is not None
    back = dt.datetime.fromtimestamp(snooze, dt.timezone.utc)
    assert back > dt.datetime.now(dt.timezone.utc), "the test machine was too slow"
    # the second process knows nothing of that reminder: no --at, the routine says 10:30
    two = Daemon(data, "--script", str(data / "two.txt"), "--no-session")
    try:
        two.wait_for("started", timeout=20)
    finally:
        two.stop()
    first, second = said(data, FIRST)
    assert abs(first - due) <= TOLERANCE
    assert abs(second - back) <= TOLERANCE, (second, back)
    assert [o for _, _, o in outcomes(data)] == ["fired", "snoozed", "fired", "started"]
    assert f"snooze {label}" not in stored_jobs(data)
    assert f"reminder {label}" not in stored_jobs(data)  # not in the routine any more
    assert "reminder 10:30" in stored_jobs(data)


def _missed_while_down(
    data: Path, seconds: list[int], script: str
) -> tuple[Daemon, list[tuple[str, dt.datetime]]]:
    """Start a daemon with reminders ``seconds`` ahead, stop it, let them pass, start again."""
    one = Daemon(data, *soon(*seconds))
    reminders = one.reminders()
    assert one.stop() == 0
    first = min(due for _, due in reminders)
    assert dt.datetime.now(TZ) < first, "the test machine was too slow to stop in time"
    for label, _ in reminders:
        assert f"reminder {label}" in stored_jobs(data)
    last = max(due for _, due in reminders)
    while dt.datetime.now(TZ) < last + dt.timedelta(seconds=1):
        time.sleep(0.1)
    (data / "answers.txt").write_text(script)
    at_args = [a for label, _ in reminders for a in ("--at", label)]
    two = Daemon(data, *at_args, "--script", str(data / "answers.txt"), "--no-session")
    return two, reminders


def test_missed_while_down_within_grace_is_delivered_once_at_start(data: Path) -> None:
    write_routine(data, grace_minutes=30)
    two, ((label1, due1), (label2, due2)) = _missed_while_down(data, [3, 5], "skip today\n")
    try:
        running = line_time(two.wait_for("running"))
        two.wait_for(": skipped")
        time.sleep(1.5)  # nothing more may come
    finally:
        two.stop()
    rows = outcomes(data)
    # the older one is logged missed, only the latest is given, and only once
    assert [(o, at) for at, _, o in rows if o == "missed"] == [("missed", due1)]
    assert [o for _, _, o in rows if o != "missed"] == ["fired", "skipped"]
    (delivered,) = said(data, FIRST)
    assert abs(delivered - running) <= TOLERANCE, (delivered, running)
    assert due2 < delivered
    # delivered once: a third start, still within the grace window, gives nothing again
    three = Daemon(data, *[a for x in (label1, label2) for a in ("--at", x)], "--no-session")
    try:
        three.wait_for("running")
    finally:
        assert three.stop() == 0
    assert said(data, FIRST) == [delivered]
    assert len(outcomes(data)) == len(rows)


def test_missed_while_down_outside_grace_is_logged_missed_and_not_said(data: Path) -> None:
    write_routine(data, grace_minutes=0)
    two, ((_, due),) = _missed_while_down(data, [3], "start\n")
    try:
        two.wait_for(": missed")
        two.wait_for("running")
        time.sleep(1.5)
    finally:
        two.stop()
    assert [(at, o) for at, _, o in outcomes(data)] == [(due, "missed")]
    assert said(data, FIRST) == []


def test_no_answer_gives_a_second_reminder_and_the_next_time_still_asks(data: Path) -> None:
    write_routine(data)
    (data / "answers.txt").write_text("wait 60\n")
    d = Daemon(data, *soon(2, 6), "--script", str(data / "answers.txt"), "--answer-seconds", "1.5")
    try:
        ((_, due), (_, due2)) = d.reminders()
        # wait for the history, not the spoken line: each outcome is written once the
        # reminder's last line has been said (stopping in between leaves it unwritten)
        wait_until(lambda: len(outcomes(data)) >= 4, timeout=30)
    finally:
        d.stop()
    assert "already let go" not in d.text()
    assert len(said(data, "reminders.reminder.no_answer")) == 2
    # each reminder time stands on its own: the unanswered first does not cancel the second
    assert [o for _, _, o in outcomes(data)] == ["fired", "no_answer", "fired", "no_answer"]
    first, later = said(data, FIRST)
    (second, _) = said(data, "reminders.reminder.second")
    assert abs(first - due) <= TOLERANCE
    assert abs(later - due2) <= TOLERANCE, (later, due2)
    # the gentle second reminder comes after the 1.5 s answer wait, not before (a busy machine
    # may make it a little late)
    assert 1.4 <= (second - first).total_seconds() <= 3.0, (first, second)


def test_only_one_daemon_at_a_time(data: Path) -> None:
    write_routine(data)
    one = Daemon(data)
    try:
        one.wait_for("running")
        two = subprocess.run(
            [
                sys.executable,
                "-m",
                "companion.cli.main",
                "daemon",
                "--data-dir",
                str(data),
                "--no-voice",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=_env(),
            timeout=30,
        )
    finally:
        assert one.stop() == 0
    assert two.returncode == 7
    assert "already running" in two.stderr and f"pid {one.proc.pid}" in two.stderr


def _run(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion.cli.main", *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_env(),
        timeout=30,
    )


def test_a_damaged_job_store_is_refused_clearly_and_left_alone(data: Path) -> None:
    store = data / "reminders.sqlite3"
    store.write_bytes(b"this is not a database\n" * 50)
    before = store.read_bytes()
    result = _run(data, "daemon", "--no-voice")
    assert result.returncode == 6
    assert "damaged" in result.stderr and str(store) in result.stderr
    assert "Traceback" not in result.stderr
    assert store.read_bytes() == before
    listed = _run(data, "reminders", "list")
    assert listed.returncode == 6 and "damaged" in listed.stderr


def test_a_foreign_database_is_not_taken_over(data: Path) -> None:
    store = data / "reminders.sqlite3"
    with sqlite3.connect(store) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
    result = _run(data, "daemon", "--no-voice")
    assert result.returncode == 6
    assert "not a reminder store" in result.stderr
    with sqlite3.connect(store) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert names == {"photos"}


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("[reminders\ntimes = 3\n", "line"),
        ('[reminders]\ntimes = ["25:00"]\n', "reminders.times (line 2)"),
        ('[reminders]\ntimezone = "Mars/Base"\n', "reminders.timezone (line 2)"),
    ],
)
def test_a_bad_routine_is_refused_clearly(data: Path, text: str, expect: str) -> None:
    (data / "routine.toml").write_text(text)
    result = _run(data, "daemon", "--no-voice")
    assert result.returncode == 3, result.stderr
    assert expect in result.stderr and "Traceback" not in result.stderr
    assert not (data / "reminders.sqlite3").exists()
    listed = _run(data, "reminders", "list")
    assert listed.returncode == 3 and expect in listed.stderr
    # the lock was released: a fixed routine starts at once
    write_routine(data)
    d = Daemon(data)
    d.wait_for("running")
    assert d.stop() == 0


def test_changed_times_take_effect_on_sighup_and_keep_the_store(data: Path) -> None:
    write_routine(data, times=["10:30"], snooze_minutes=60)
    (data / "answers.txt").write_text("later\n")
    d = Daemon(data, "--script", str(data / "answers.txt"), *soon(2))
    try:
        ((label, _),) = d.reminders()
        d.wait_for("snoozed until")
        assert f"snooze {label}" in stored_jobs(data)
        listed = _run(data, "reminders", "list")
        assert listed.returncode == 0
        assert f"the {label} reminder comes back at" in listed.stdout
        assert f"running (pid {d.proc.pid})" in listed.stdout
    finally:
        d.stop()
    d = Daemon(data)  # the routine's own times now
    try:
        d.wait_for("running")
        assert set(stored_jobs(data)) == {"reminder 10:30", f"snooze {label}"}
        write_routine(data, times=["07:15", "19:45"], snooze_minutes=60)
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for("routine reloaded")
        assert set(stored_jobs(data)) == {"reminder 07:15", "reminder 19:45", f"snooze {label}"}
        (data / "routine.toml").write_text("[reminders\n")
        d.proc.send_signal(signal.SIGHUP)
        d.wait_for("was not reloaded")
        assert d.proc.poll() is None  # a broken edit does not stop the reminders
        assert "reminder 07:15" in stored_jobs(data)
    finally:
        assert d.stop() == 0
    # the stored 07:15 job fires at 07:15 London time
    nxt = dt.datetime.fromtimestamp(stored_jobs(data)["reminder 07:15"] or 0, TZ)
    assert (nxt.hour, nxt.minute, nxt.second) == (7, 15, 0)
    assert dt.timedelta(0) < nxt - dt.datetime.now(TZ) <= dt.timedelta(days=1)


def _easy_days(data: Path, days: int) -> None:
    """Completed, painless sessions on the ``days`` days before today (London)."""
    from companion import routine
    from companion.history.store import HistoryStore
    from companion.records import Rating, SessionEnded, SessionStarted, SetDone

    r = routine.load(data / "routine.toml")
    today = dt.datetime.now(TZ).date()
    with HistoryStore.open(data / "history.sqlite3") as store:
        for back in range(days, 0, -1):
            day = today - dt.timedelta(days=back)
            at = dt.datetime.combine(day, dt.time(10), tzinfo=TZ)
            store.write(SessionStarted(at, day, tuple((e.id, e.sets, e.reps) for e in r.exercises)))
            for e in r.exercises:
                for n in range(1, e.sets + 1):
                    store.write(SetDone(at, e.id, n, e.reps, e.reps, 40.0, True))
                    store.write(Rating(at, e.id, n, "pain", 0))
                    store.write(Rating(at, e.id, n, "effort", 2))
            store.write(SessionEnded(at + dt.timedelta(minutes=10), "completed"))


def test_the_day_s_plan_is_prepared_and_its_changes_recorded(data: Path) -> None:
    from companion import routine
    from companion.history.store import HistoryStore
    from companion.progression import today_plan

    write_routine(data)
    _easy_days(data, 3)
    today = dt.datetime.now(TZ).date()
    with HistoryStore.open(data / "history.sqlite3") as store:
        expected = today_plan(routine.load(data / "routine.toml"), store, today).changes
    assert expected, "three easy days should change the plan"
    d = Daemon(data)
    try:
        d.wait_for(f"plan for {today} prepared")
        d.wait_for("running")
    finally:
        assert d.stop() == 0
    with sqlite3.connect(data / "history.sqlite3") as conn:
        rows = conn.execute(
            "SELECT exercise_id, kind, old, new, rule FROM changes WHERE day = ?",
            (today.isoformat(),),
        ).fetchall()
    assert sorted(rows) == sorted((c.exercise_id, c.kind, c.old, c.new, c.rule) for c in expected)


def test_no_reminder_while_a_session_is_going_on(data: Path) -> None:
    write_routine(data, snooze_minutes=30)
    with waiting_session(data, seconds=120):  # a real session, holding session.lock
        d = Daemon(data, *soon(2))
        try:
            ((label, _),) = d.reminders()
            line = d.wait_for("a session is going on")
        finally:
            assert d.stop() == 0
    assert outcomes(data) == [] and said(data, FIRST) == []
    back = dt.datetime.fromtimestamp(stored_jobs(data)[f"snooze {label}"] or 0, dt.timezone.utc)
    assert abs(back - (line_time(line) + dt.timedelta(minutes=30))) <= TOLERANCE


def test_a_crashed_session_does_not_hold_back_the_reminder(data: Path) -> None:
    write_routine(data, snooze_minutes=30)
    with waiting_session(data, seconds=120) as session:
        session.kill()  # SIGKILL: its history row stays unfinished until the next session
        session.wait(timeout=30)
    assert recorded_sessions(data) == [(None, None)]
    (data / "answers.txt").write_text("later\n")
    d = Daemon(data, *soon(2), "--script", str(data / "answers.txt"), "--no-session")
    try:
        d.reminders()
        d.wait_for("snoozed until")
    finally:
        assert d.stop() == 0
    assert "a session is going on" not in d.text()
    assert [o for _, _, o in outcomes(data)] == ["fired", "snoozed"]
    assert len(said(data, FIRST)) == 1


def test_a_damaged_history_is_refused_clearly_and_left_alone(data: Path) -> None:
    history = data / "history.sqlite3"
    history.write_bytes(b"\x00garbage" * 100)
    before = history.read_bytes()
    result = _run(data, "daemon", "--no-voice")
    assert result.returncode == 6, result.stderr
    assert str(history) in result.stderr and "Traceback" not in result.stderr
    assert history.read_bytes() == before
    assert not (data / "reminders.sqlite3").exists()


def test_a_planted_reminder_store_runs_nothing_and_is_converted(data: Path) -> None:
    from tests.test_reminders_store import Planted, old_store

    write_routine(data, times=["10:30"])
    marker = data.parent / "code-ran"
    payload = pickle.dumps(Planted(marker))
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).timestamp()
    old_store(
        data / "reminders.sqlite3",
        [("reminder 10:30", later, payload), ("snooze 10:30", later, payload)],
    )
    listed = _run(data, "reminders", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stdout + listed.stderr
    assert "the 10:30 reminder comes back at" in listed.stdout
    d = Daemon(data)
    try:
        d.wait_for("running")
        assert "old reminder store was converted" in d.text()
    finally:
        assert d.stop() == 0
    assert not marker.exists(), "unpickling the planted row ran its command"
    assert "Traceback" not in d.text()
    assert set(stored_jobs(data)) == {"reminder 10:30", "snooze 10:30"}


def test_a_reminder_cut_off_by_a_killed_daemon_is_asked_again_after_restart(data: Path) -> None:
    write_routine(data, grace_minutes=30)
    (data / "one.txt").write_text("wait 600\n")  # no answer while the first daemon runs
    one = Daemon(data, *soon(2), "--script", str(data / "one.txt"))
    ((label, due),) = one.reminders()
    one.wait_for(": fired")
    wait_until(lambda: said(data, FIRST))  # the question was being asked
    one.proc.kill()  # SIGKILL: no clean-up at all
    one.proc.wait(timeout=10)
    (data / "two.txt").write_text("skip today\n")
    two = Daemon(data, "--at", label, "--script", str(data / "two.txt"), "--no-session")
    try:
        two.wait_for(": skipped", timeout=20)
    finally:
        assert two.stop() == 0
    first, again = said(data, FIRST)
    assert abs(first - due) <= TOLERANCE
    assert again > first
    assert [o for _, _, o in outcomes(data)] == ["fired", "fired", "skipped"]
    # and once answered it is not asked a third time
    three = Daemon(data, "--at", label, "--no-session")
    try:
        three.wait_for("running")
    finally:
        assert three.stop() == 0
    assert len(said(data, FIRST)) == 2
    assert [o for _, _, o in outcomes(data)] == ["fired", "fired", "skipped"]


def test_a_routine_edit_takes_effect_in_the_running_daemon_without_a_signal(data: Path) -> None:
    write_routine(data, times=["10:30"])
    d = Daemon(data)
    try:
        d.wait_for("running")
        assert set(stored_jobs(data)) == {"reminder 10:30"}
        write_routine(data, times=["07:15", "19:45"])
        d.wait_for("routine reloaded", timeout=20)
        assert set(stored_jobs(data)) == {"reminder 07:15", "reminder 19:45"}
        (data / "routine.toml").write_text("[reminders\n")
        d.wait_for("was not reloaded", timeout=20)
        assert d.proc.poll() is None
        assert set(stored_jobs(data)) == {"reminder 07:15", "reminder 19:45"}
    finally:
        assert d.stop() == 0
    assert d.text().count("routine reloaded") == 1
    assert d.text().count("was not reloaded") == 1  # once per change, not once per look


def test_a_data_folder_with_question_mark_and_hash_in_its_name_works(tmp_path: Path) -> None:
    data = tmp_path / "da?ta#1%3F x"
    write_routine(data)
    (data / "answers.txt").write_text("skip today\n")
    d = Daemon(data, *soon(2), "--script", str(data / "answers.txt"), "--no-session")
    try:
        ((label, _),) = d.reminders()
        d.wait_for(": skipped", timeout=20)
    finally:
        assert d.stop() == 0
    assert (data / "reminders.sqlite3").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [data.name]
    assert f"reminder {label}" in stored_jobs(data)
    assert [o for _, _, o in outcomes(data)] == ["fired", "skipped"]
    listed = _run(data, "reminders", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr


def test_a_bad_row_in_the_reminder_store_is_reported_skipped_and_kept(data: Path) -> None:
    write_routine(data, times=["10:30"])
    d = Daemon(data)
    d.wait_for("running")
    assert d.stop() == 0
    bad = ("snooze 10:30", "snooze", "10:30", "not a time", 1)
    with sqlite3.connect(data / "reminders.sqlite3") as conn:
        conn.execute("INSERT INTO jobs VALUES (?, ?, ?, ?, ?)", bad)
    listed = _run(data, "reminders", "list")
    assert listed.returncode == 0, listed.stderr
    assert "'snooze 10:30'" in listed.stdout and "was not understood" in listed.stdout
    assert "Traceback" not in listed.stdout + listed.stderr
    d = Daemon(data)
    try:
        line = d.wait_for("problem:")
        d.wait_for("running")
    finally:
        assert d.stop() == 0
    assert "'snooze 10:30'" in line and "skipped" in line
    assert "Traceback" not in d.text()
    with sqlite3.connect(data / "reminders.sqlite3") as conn:
        assert bad in conn.execute("SELECT * FROM jobs").fetchall()  # left for a person to see
