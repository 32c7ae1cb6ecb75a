"""The report starts at the first recorded day: asking for more days before it adds nothing, so a
ten-year report of a new user is as small as a one-day one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from companion.cli.main import main
from companion.history.store import HistoryStore
from companion.records import SessionEnded, SessionStarted, SetDone
from tests.test_report import Page

TZ = dt.timezone.utc
END = dt.date(2026, 5, 10)


def report(home: Path, days: int, out: Path) -> tuple[int, Page]:
    args = ["report", "--data-dir", str(home), "--end", END.isoformat(), "--days", str(days)]
    assert main([*args, "--out", str(out)]) == 0
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    return out.stat().st_size, page


def practise(store: HistoryStore, day: dt.date) -> None:
    at = dt.datetime.combine(day, dt.time(10), TZ)
    store.write(SessionStarted(at, day, (("palm_turn", 1, 10),)))
    store.write(SetDone(at + dt.timedelta(minutes=1), "palm_turn", 1, 10, 10, 40.0, True))
    store.write(SessionEnded(at + dt.timedelta(minutes=2), "completed"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A history with a missed reminder on 2 May, then practice on 5, 6 and 8 May."""
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        store.log_reminder(dt.datetime.combine(dt.date(2026, 5, 2), dt.time(9), TZ),
                           dt.date(2026, 5, 2), "missed")  # fmt: skip
        for day in (5, 6, 8):
            practise(store, dt.date(2026, 5, day))
    return tmp_path


def test_the_report_starts_at_the_first_recorded_day(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    month, page = report(home, 28, tmp_path / "month.html")
    assert "02 May 2026 to 10 May 2026" in capsys.readouterr().out  # the days the page shows
    decade, long_page = report(home, 3660, tmp_path / "decade.html")
    first = dt.date(2026, 5, 2)  # the missed reminder: recorded, so shown
    want = [(first + dt.timedelta(days=n)).isoformat() for n in range((END - first).days + 1)]
    for p in (page, long_page):
        assert list(p.figures["calendar"]) == want
        assert len(p.tables["days-table"]) == len(want) + 1
        calendar = p.figures["calendar"]
        assert [calendar[d] for d in ("2026-05-02", "2026-05-04", "2026-05-05", "2026-05-07")] == [
            "not started",
            "not started",
            "done",
            "missed",
        ]
    assert abs(decade - month) < 1024  # was about 1.9 KB more for each day asked for


def test_before_any_session_a_long_report_is_as_small_as_a_one_day_one(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.sqlite3"):
        pass  # a history that holds nothing yet
    one, one_page = report(tmp_path, 1, tmp_path / "one.html")
    decade, page = report(tmp_path, 3660, tmp_path / "decade.html")
    assert list(page.figures["calendar"]) == [END.isoformat()] == list(one_page.figures["calendar"])
    assert abs(decade - one) < 1024


def test_a_window_after_the_first_day_is_kept_as_asked(home: Path, tmp_path: Path) -> None:
    _, page = report(home, 3, tmp_path / "three.html")
    assert list(page.figures["calendar"]) == ["2026-05-08", "2026-05-09", "2026-05-10"]


@pytest.mark.parametrize("end", ["0001-01-01", "1999-12-31", "9999-12-31"])
def test_an_end_day_outside_the_sane_window_is_refused_plainly(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], end: str
) -> None:
    out = tmp_path / "r.html"
    with pytest.raises(SystemExit) as info:
        main(["report", "--data-dir", str(home), "--end", end, "--out", str(out)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"'{end}' is not a day from 2000-01-01 to" in err and "Traceback" not in err
    assert not out.exists()


def test_the_last_day_there_is_can_end_a_window(home: Path) -> None:
    from companion.history import daybook
    from companion.report import data

    last = dt.date.max
    with HistoryStore.open(home / "history.sqlite3") as store:
        numbers = data.gather(store.connection, last - dt.timedelta(days=2), last)
        book = daybook.build(store.connection, last - dt.timedelta(days=2), last)
    assert [d.day for d in numbers.days] == [last - dt.timedelta(days=n) for n in (2, 1, 0)]
    assert [d.day for d in book.days] == [d.day for d in numbers.days]
