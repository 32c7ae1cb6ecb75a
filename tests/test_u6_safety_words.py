"""The answer to "Shall we stop for today?" after pain is worded like the other answers in the
history's safety list (it read "STOPPED FOR TODAY (yes)", found in a user trial)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from companion.cli.main import main
from companion.history.store import HistoryStore
from companion.records import Rating, SafetyAnswer, SessionEnded, SessionStarted, Stopped

TZ = dt.timezone.utc
DAY = dt.date(2026, 12, 3)


def test_stopped_for_today_reads_like_the_other_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = dt.datetime.combine(DAY, dt.time(9), TZ)
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        store.write(SessionStarted(at=at, day=DAY, planned=(("palm_turn", 2, 10),)))
        store.write(SafetyAnswer(at, "chest_pain", "no", "Any chest pain?"))
        t = at + dt.timedelta(minutes=1)
        store.write(Stopped(t, "palm_turn", "pain"))
        store.write(Rating(t, "palm_turn", 1, "pain", 8))
        store.write(SafetyAnswer(t, "stop_for_today", "yes", "Shall we stop for today?"))
        store.write(SessionEnded(t, "pain"))
    assert main(["history", "--data-dir", str(tmp_path), "--date", DAY.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "no chest pain" in out
    assert "stopped for today after pain" in out, out
    assert "STOPPED FOR TODAY" not in out
