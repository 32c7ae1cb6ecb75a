"""The report's Prescription shows the dose in effect, not the routine file's: after
progression raised an exercise, the table said the file's reps next to "At this dose since"
the day of the raise (found in a user trial: 3 shown, the plan said 5)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from companion.cli.main import main
from companion.history.store import HistoryStore
from companion.plan import Change
from companion.records import SessionEnded, SessionStarted, SetDone
from tests.report_html import rows, section

TZ = dt.timezone.utc
DAY1 = dt.date(2026, 12, 2)
DAY2 = DAY1 + dt.timedelta(days=1)


def _history(db: Path) -> None:
    """Palm turn at 10 (the default routine's) on day 1, raised to 12 on day 2."""
    with HistoryStore.open(db) as store:
        for day, reps in ((DAY1, 10), (DAY2, 12)):
            at = dt.datetime.combine(day, dt.time(9), TZ)
            store.write(SessionStarted(at=at, day=day, planned=(("palm_turn", 2, reps),)))
            for n in (1, 2):
                t = at + dt.timedelta(minutes=n)
                store.write(SetDone(t, "palm_turn", n, reps, reps, 60.0, True))
            store.write(SessionEnded(at + dt.timedelta(minutes=3), "completed"))
            if day == DAY2:
                store.log_changes(DAY2, [Change("palm_turn", "up", 10, 12, "up_easy")])


def test_the_prescription_shows_the_dose_progression_set(tmp_path: Path) -> None:
    _history(tmp_path / "history.sqlite3")
    out = tmp_path / "report.html"
    args = ["report", "--data-dir", str(tmp_path), "--end", DAY2.isoformat(), "--out", str(out)]
    assert main(args) == 0
    table = rows(section(out.read_text(encoding="utf-8"), "prescription"))
    palm = [r for r in table if "Palm up and down" in r]
    assert len(palm) == 1, table
    assert "2 sets of 12 repetitions, rest 30 s" in palm[0], palm
    assert "03 Dec 2026" in palm[0]
    # an exercise no session planned yet keeps the routine's dose
    wrist = [r for r in table if any("2 sets of 10 repetitions" in c for c in r)]
    assert len(wrist) == 2, table
