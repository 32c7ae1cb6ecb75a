"""The therapist's first page: prescription with pictures, pain never hidden under effort, pain
by exercise, every stop with its pain and safety stops marked, counts that read as counts."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from companion import library, routine
from companion.cli.main import main
from companion.history.store import HistoryStore
from companion.plan import Change
from companion.records import Rating, SafetyAnswer, SessionEnded, SessionStarted, SetDone, Stopped
from tests.report_html import rows as _rows
from tests.report_html import section as _section

TZ = dt.timezone(dt.timedelta(hours=1))
DAY1 = dt.date(2026, 5, 4)
DAY2 = DAY1 + dt.timedelta(days=1)


def _history(db: Path) -> None:
    """Day 1: one quiet session. Day 2: pain 6 and effort 6 on wrist bend, then a pain stop."""
    with HistoryStore.open(db) as store:
        for day, pain, effort in ((DAY1, 2, 4), (DAY2, 6, 6)):
            at = dt.datetime.combine(day, dt.time(9), TZ)
            plan = (("palm_turn", 1, 10), ("wrist_bend", 2, 10))
            store.write(SessionStarted(at=at, day=day, planned=plan))
            store.write(SafetyAnswer(at, "chest_pain", "no"))
            t = at + dt.timedelta(minutes=1)
            store.write(SetDone(t, "palm_turn", 1, 10, 10, 60.0, True))
            store.write(Rating(t, "palm_turn", 1, "pain", 1))
            store.write(Rating(t, "palm_turn", 1, "effort", 3))
            t += dt.timedelta(minutes=1)
            cut = day == DAY2
            store.write(SetDone(t, "wrist_bend", 1, 10, 4 if cut else 10, 60.0, not cut))
            store.write(Rating(t, "wrist_bend", 1, "pain", pain))
            store.write(Rating(t, "wrist_bend", 1, "effort", effort))
            if cut:
                store.write(Stopped(t + dt.timedelta(seconds=5), "wrist_bend", "pain"))
                store.write(SessionEnded(t + dt.timedelta(seconds=6), "pain"))
            else:
                store.write(SessionEnded(t, "completed"))
        store.log_changes(DAY2, [Change("palm_turn", "up", 8, 10, "up_easy")])


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("home")
    _history(home / "history.sqlite3")
    out = home / "report.html"
    args = ["report", "--data-dir", str(home), "--end", DAY2.isoformat(), "--out", str(out)]
    assert main(args) == 0
    return out.read_text(encoding="utf-8")


def _points(group: str) -> list[tuple[float, float]]:
    return [
        (float(x), float(y)) for x, y in re.findall(r'<use [^>]*x="([\d.]+)" y="([\d.]+)"', group)
    ]


def test_pain_is_drawn_over_effort_and_beside_it(html: str) -> None:
    chart = html.split('data-chart="pain-effort"', 1)[1].split("</figure>", 1)[0]
    effort_at, pain_at = (
        chart.index('id="pain-effort-effort"'),
        chart.index('id="pain-effort-pain"'),
    )
    assert effort_at < pain_at  # drawn later: on top
    effort = _points(re.search(r'id="pain-effort-effort">(.*?)</g>\s*</g>', chart, re.S).group(1))  # type: ignore[union-attr]
    pain = _points(re.search(r'id="pain-effort-pain">(.*?)</g>\s*</g>', chart, re.S).group(1))  # type: ignore[union-attr]
    assert len(pain) == len(effort) == 2
    # day 2: pain 6 and effort 6 on the same height, but not on the same spot
    assert pain[1][1] == pytest.approx(effort[1][1])
    assert abs(pain[1][0] - effort[1][0]) > 3
    assert "pain (filled dots" in chart and "effort (hollow squares" in chart


def test_the_first_page_begins_with_the_prescription_and_its_pictures(html: str) -> None:
    order = [
        html.index(f'<section id="{s}">')
        for s in (
            "prescription",
            "summary",
            "charts",
            "stops",
            "pain-by-exercise",
            "changes",
            "days",
        )
    ]
    assert order == sorted(order)
    rx = _section(html, "prescription")
    rows = _rows(rx)
    names = [r[1] for r in rows]
    assert names[:2] == ["Palm up and down", "Wrist bend"]
    assert rx.count("<svg") == len(rows)  # a drawing per exercise, from the screen's pictures
    assert "start and end position" in rx
    palm = rows[0]
    assert palm[2] == "1"  # level
    assert re.match(r"\d+ sets? of \d+ repetitions", palm[3])
    assert palm[4] == f"{DAY2:%d %b %Y}"  # its dose changed on day 2
    assert rows[1][4] == f"{DAY1:%d %b %Y}"  # first planned on day 1


def test_pain_by_exercise_and_every_stop_with_its_pain(html: str) -> None:
    pain = {r[0]: r[1:] for r in _rows(_section(html, "pain-by-exercise"))}
    assert pain["Wrist bend"] == ["2", "6", "4.0"]
    assert pain["Palm up and down"] == ["2", "1", "1.0"]
    stops = _rows(_section(html, "stops"))
    stop = next(r for r in stops if r[1] == "stop")
    assert stop[2] == "Wrist bend" and stop[4] == "pain 6" and stop[5] == "safety stop"
    session = next(r for r in stops if r[1] == "session")
    assert session[4] == "pain 6" and session[5] == "same stop as the row above"
    assert _section(html, "stops").count('class="safety-stop"') == 1
    summary = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert summary["Stops and skips"].startswith("1, of which 1 safety stop")


def test_counts_read_as_counts_and_plurals_are_right(html: str) -> None:
    summary = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert "Pain ratings" not in summary
    assert summary["Pain (0-10)"] == "highest 6, from 4 pain ratings"
    assert summary["Safety answers"] == "2 sessions checked, 0 needing attention"
    assert summary["Days"].startswith("2 days")
    assert "1 sessions" not in html and "1 days" not in html


def test_one_session_is_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        at = dt.datetime.combine(DAY1, dt.time(9), TZ)
        store.write(SessionStarted(at=at, day=DAY1, planned=(("palm_turn", 1, 10),)))
        store.write(SafetyAnswer(at, "chest_pain", "no"))
        store.write(SessionEnded(at, "stopped"))
    out = tmp_path / "r.html"
    args = ["report", "--data-dir", str(tmp_path), "--end", DAY1.isoformat(), "--out", str(out)]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "1 session," in said and "1 sessions" not in said
    html = out.read_text(encoding="utf-8")
    summary = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert summary["Safety answers"] == "1 session checked, 0 needing attention"
    assert summary["Days"].startswith("1 day (")


def test_days_before_the_first_session_are_not_rows_of_zeros(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "history.sqlite3") as store:
        early = DAY1 - dt.timedelta(days=2)
        store.log_reminder(dt.datetime.combine(early, dt.time(9), TZ), early, "missed")
        at = dt.datetime.combine(DAY1, dt.time(9), TZ)
        store.write(SessionStarted(at=at, day=DAY1, planned=(("palm_turn", 1, 10),)))
        store.write(SetDone(at, "palm_turn", 1, 10, 10, 60.0, True))
        store.write(SessionEnded(at, "completed"))
    out = tmp_path / "r.html"
    args = ["report", "--data-dir", str(tmp_path), "--end", DAY1.isoformat(), "--out", str(out)]
    assert main(args) == 0
    rows = _rows(_section(out.read_text(encoding="utf-8"), "days"))
    assert len(rows) == 3
    for row in rows[:2]:
        assert row[1] == "not started (before the first session)"
        assert set(row[2:]) == {""}  # no "0 of 0", no zeros
    assert rows[2][1] == "done" and rows[2][5] == "1 of 1"


def _companion(data: Path, *args: str, stdin: str | None = None) -> str:
    cmd = [sys.executable, "-m", "companion.cli.main", *args, "--data-dir", str(data)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=200, input=stdin)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("script", "safety"),
    [
        ("no\nno\nno\nstart\nwait 1\nit hurts\n9\nyes\n", 1),  # ended for pain
        ("no\nno\nno\nstart\nwait 1\nstop\nyes\n", 0),  # stopped by the user
    ],
    ids=["pain", "user"],
)
def test_a_session_ended_by_a_stop_counts_as_one_stop(
    tmp_path: Path, script: str, safety: int
) -> None:
    args = ("--script", "-", "--no-voice", "--time-scale", "50")
    _companion(tmp_path, "session", *args, stdin=script)
    out = tmp_path / "r.html"
    _companion(tmp_path, "report", "--out", str(out))
    html = out.read_text(encoding="utf-8")
    stops = _rows(_section(html, "stops"))
    assert stops[-1][1] == "session"  # the session ended early, shown...
    if safety:  # the pain given in answer to "it hurts" is shown with the stop itself
        assert stops[0][1:6] == ["stop", "Palm up and down", "pain", "pain 9", "safety stop"]
    assert [r[5] for r in stops[1:]] == ["same stop as the row above"] * (len(stops) - 1)
    summary = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert summary["Stops and skips"].startswith(f"1, of which {safety} safety stop")  # ...once
    assert _section(html, "stops").count('class="safety-stop"') == safety
    days = _rows(_section(html, "days"))
    assert days[-1][-1] == ("1" if stops[0][1] == "stop" else "0")


def test_the_prescription_with_all_nine_pictures_repeats_no_id(tmp_path: Path) -> None:
    _history(tmp_path / "history.sqlite3")
    planned = {e.id for e in routine.default().exercises}
    for ex in library.LIBRARY:
        if ex.id not in planned:
            assert main(["routine", "add", ex.id, "--data-dir", str(tmp_path)]) == 0
    out = tmp_path / "r.html"
    args = ["report", "--data-dir", str(tmp_path), "--end", DAY2.isoformat(), "--out", str(out)]
    assert main(args) == 0
    html = out.read_text(encoding="utf-8")
    assert _section(html, "prescription").count("<marker") == 9
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in set(ids) if ids.count(i) > 1)
    assert set(re.findall(r"url\(#([^)]+)\)", html)) <= set(ids)
