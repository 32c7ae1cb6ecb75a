"""A session with no ending stored yet is called the same everywhere (it was "interrupted" in
the history summary, "not finished" in the report and "unfinished" in `companion plan`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from companion import prompts
from companion.history import practice_days
from companion.history.store import HistoryStore
from companion.records import UNFINISHED, Outcome, SessionEnded, SessionStarted, SetDone
from companion.report import data

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 2, 10, 30, tzinfo=UTC)


def test_a_running_session_is_unfinished_in_the_summary_and_the_report(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        store.write(SessionStarted(T0, T0.date(), (("palm_turn", 1, 10),)))
        store.write(SetDone(T0 + dt.timedelta(minutes=1), "palm_turn", 1, 10, 10, 40.0, True))
        store.write(SessionEnded(T0 + dt.timedelta(minutes=2), Outcome.COMPLETED))
        later = T0 + dt.timedelta(hours=2)
        store.write(SessionStarted(later, T0.date(), (("palm_turn", 1, 10),)))  # still running
        conn = store.connection
        [day] = practice_days.summary(conn, T0.date() + dt.timedelta(days=1)).days
        assert day.hows == ("completed", UNFINISHED)
        report = data.gather(conn, T0.date(), T0.date())
        assert [(s.what, s.reason) for s in report.stops] == [("session", UNFINISHED)]
    reasons = prompts.load("en").tables["report"]["reasons"]
    assert reasons[UNFINISHED] == "not finished yet"  # the words the report shows for it


def test_the_stored_endings_are_the_outcome_values(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        for i, how in enumerate(Outcome):
            if how is Outcome.INTERRUPTED:
                continue  # written by the store itself, never by a session
            start = T0 + dt.timedelta(hours=i)
            store.write(SessionStarted(start, T0.date(), ()))
            store.write(SessionEnded(start + dt.timedelta(minutes=1), how))
        stored = store.connection.execute("SELECT how, typeof(how) FROM sessions").fetchall()
    assert stored == [(h.value, "text") for h in Outcome if h is not Outcome.INTERRUPTED]
