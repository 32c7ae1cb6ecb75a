"""The therapist's report and CSV export, from weeks of history written through the store."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import sqlite3
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from companion import library
from companion.cli.main import main
from companion.history.migrations import TABLES
from companion.history.store import HistoryStore
from companion.paths import prompts_dir
from companion.plan import Change
from companion.records import (
    Rating,
    SafetyAnswer,
    SessionEnded,
    SessionStarted,
    SetDone,
    Skipped,
    Stopped,
)
from companion.report.charts import STATUS_COLOURS

TZ = dt.timezone(dt.timedelta(hours=1))
PROGRAMME = ("palm_turn", "wrist_bend", "pen_spin")


@dataclass
class Expected:
    """What was written, counted independently of the report code."""

    first_session: dt.date
    reps: dict[dt.date, int] = field(default_factory=lambda: defaultdict(int))
    seconds: dict[dt.date, int] = field(default_factory=lambda: defaultdict(int))
    per_exercise: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    status: dict[dt.date, str] = field(default_factory=dict)
    pain: dict[dt.date, int] = field(default_factory=dict)
    effort: dict[dt.date, int] = field(default_factory=dict)
    stops: list[tuple[dt.date, str, str, str]] = field(default_factory=list)
    changes: list[tuple[dt.date, str, int, int]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    reminders: dict[tuple[dt.date, str], int] = field(default_factory=lambda: defaultdict(int))
    safety: list[str] = field(default_factory=list)
    """When each session with safety answers began (each answered no, no, no)."""


def build_history(db: Path, start: dt.date, days: int, seed: int = 7) -> Expected:
    """Write ``days`` days of varied practice (missed days, pain stops, skips, a repeat session,
    an interrupted session, dose changes) and return what a report must show."""
    rng = random.Random(seed)
    exp = Expected(first_session=start)
    with HistoryStore.open(db) as store:
        for i in range(days):
            day = start + dt.timedelta(days=i)
            kind = (
                "full"
                if i == 0
                else rng.choice(
                    ["full"] * 5 + ["missed", "pain_stop", "tired_skip", "twice", "interrupted"]
                )
            )
            remind_at = dt.datetime.combine(day, dt.time(8, 30), TZ)
            for outcome in ("fired", "missed") if kind == "missed" else ("fired", "started"):
                store.log_reminder(remind_at, day, outcome)
                exp.reminders[(day, outcome)] += 1
            if kind == "missed":
                exp.status[day] = "missed"
                continue
            reps = 10 + 2 * (i // 7)
            if i and i % 7 == 0:
                for ex in ("palm_turn", "wrist_bend"):
                    store.log_changes(day, [Change(ex, "up", reps - 2, reps, "up_easy")])
                    exp.changes.append((day, ex, reps - 2, reps))
                    exp.rows["changes"] += 1
            tries = ["early", "full"] if kind == "twice" else [kind]
            day_done = False
            for n_try, how in enumerate(tries):
                at = dt.datetime.combine(day, dt.time(9 + 4 * n_try, 0), TZ)
                plan = tuple((ex, 2, 15 if ex == "pen_spin" else reps) for ex in PROGRAMME)
                store.write(SessionStarted(at=at, day=day, planned=plan))
                exp.rows["sessions"] += 1
                for question in ("chest_pain", "dizziness", "pain_over_6"):
                    store.write(SafetyAnswer(at, question, "no"))
                    exp.rows["safety_answers"] += 1
                exp.safety.append(at.strftime("%Y-%m-%d %H:%M"))
                exp.rows["planned"] += len(plan)
                t, ended = at, None
                for ex, sets, dose in plan:
                    if how == "tired_skip" and ex == "pen_spin":
                        store.write(Skipped(at=t, exercise_id=ex, reason="tired"))
                        exp.stops.append((day, "skip", ex, "tired"))
                        exp.rows["skips"] += 1
                        continue
                    for n in range(1, sets + 1):
                        t += dt.timedelta(seconds=rng.randint(40, 90))
                        cut = (how == "pain_stop" and ex == "wrist_bend" and n == 2) or (
                            how in ("early", "interrupted") and ex == "wrist_bend"
                        )
                        done = rng.randint(1, dose - 1) if cut else dose
                        store.write(SetDone(t, ex, n, dose, done, 60.0, not cut))
                        exp.rows["sets"] += 1
                        timed = library.get(ex).kind is library.Kind.TIMED
                        (exp.seconds if timed else exp.reps)[day] += done
                        exp.per_exercise[ex] += done
                        pain, effort = rng.randint(0, 7), rng.randint(0, 8)
                        store.write(Rating(t, ex, n, "pain", pain))
                        store.write(Rating(t, ex, n, "effort", effort))
                        exp.rows["ratings"] += 2
                        exp.pain[day] = max(exp.pain.get(day, 0), pain)
                        exp.effort[day] = max(exp.effort.get(day, 0), effort)
                        if cut:
                            reason = {"pain_stop": "pain", "early": "user"}.get(how)
                            if reason:
                                store.write(Stopped(t, ex, reason))
                                exp.stops.append((day, "stop", ex, reason))
                                exp.rows["stops"] += 1
                                ended = "pain" if how == "pain_stop" else "stopped"
                            break
                    if ended or (how == "interrupted" and ex == "wrist_bend"):
                        break
                if how == "interrupted":
                    exp.stops.append((day, "session", "", "interrupted"))
                    continue  # never ended: the next session's start marks it interrupted
                store.write(SessionEnded(t, ended or "completed"))
                if ended:
                    exp.stops.append((day, "session", "", ended))
                day_done = day_done or (ended is None and how != "tired_skip")
            exp.status[day] = "done" if day_done else "partly"
        # a last session so that an interrupted one on the final day is closed too
        end = start + dt.timedelta(days=days)
        store.write(SessionStarted(dt.datetime.combine(end, dt.time(9), TZ), end, ()))
        store.write(SessionEnded(dt.datetime.combine(end, dt.time(9, 1), TZ), "stopped"))
        exp.rows["sessions"] += 1
    return exp


class Page(HTMLParser):
    """Collects figures' data attributes, tables' rows and the <svg> text of each figure."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, dict[str, object]] = {}
        self.tables: dict[str, list[list[str]]] = defaultdict(list)
        self.external: list[str] = []
        self._table = ""
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure":
            self.figures[str(a["data-chart"])] = json.loads(str(a["data-values"]))
        if tag == "table":
            self._table = str(a.get("id"))
        if tag == "tr":
            self.tables[self._table].append([])
        if tag in ("td", "th"):
            self._cell = []
        for name in ("src", "href", "xlink:href"):
            if a.get(name) and not str(a[name]).startswith("#"):
                self.external.append(f"{tag} {name}={a[name]}")
        if tag in ("link", "iframe", "object", "embed"):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


START = dt.date(2026, 3, 2)
DAYS = 24  # a little over three weeks
END = START + dt.timedelta(days=DAYS - 1)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Expected, str, Page]:
    home = tmp_path_factory.mktemp("home")
    exp = build_history(home / "history.sqlite3", START, DAYS)
    out = home / "out" / "report.html"
    args = ["report", "--data-dir", str(home), "--days", "28", "--end", END.isoformat()]
    assert main([*args, "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    page = Page()
    page.feed(html)
    return home, exp, html, page


def report_days() -> list[dt.date]:
    """The 28 days asked for, from the first recorded day on (the days before hold nothing)."""
    return [END - dt.timedelta(days=n) for n in range(27, -1, -1) if END - dt.timedelta(n) >= START]


def test_chart_data_carry_the_numbers_written(built: tuple[Path, Expected, str, Page]) -> None:
    _, exp, _, page = built
    assert set(page.figures) == {"reps-per-day", "per-exercise", "pain-effort", "calendar"}
    per_day = page.figures["reps-per-day"]
    pain_effort = page.figures["pain-effort"]
    calendar = page.figures["calendar"]
    for day in report_days():
        key = day.isoformat()
        assert sum(per_day[key].values()) == exp.reps.get(day, 0), key  # type: ignore[attr-defined]
        assert pain_effort[key] == [exp.pain.get(day), exp.effort.get(day)], key
        want = exp.status.get(day, "not started" if day < exp.first_session else "missed")
        assert calendar[key] == want, key
    assert page.figures["per-exercise"] == dict(exp.per_exercise)
    assert {"missed", "partly", "done"} <= set(calendar.values())


def test_svg_charts_show_the_same_numbers(built: tuple[Path, Expected, str, Page]) -> None:
    _, exp, html, _ = built
    for i, day in enumerate(report_days()):
        total = exp.reps.get(day, 0)
        label = re.search(rf'<g id="reps-per-day-t{i}">.*?<text[^>]*>([^<]*)</text>', html, re.S)
        if total:
            assert label is not None and label.group(1).strip() == str(total), day
        else:
            assert label is None, day
        cell = re.search(
            rf'<g id="calendar-day-{day.isoformat()}">\s*<path[^>]*fill: ([^;"]+)', html
        )
        want = exp.status.get(day, "not started" if day < exp.first_session else "missed")
        assert cell is not None and cell.group(1) == STATUS_COLOURS[want], (day, want)
    pain_group = re.search(r'<g id="pain-effort-pain">(.*?)</g>\s*</g>', html, re.S)
    assert pain_group is not None
    assert pain_group.group(1).count("<use ") == sum(1 for d in report_days() if d in exp.pain)
    for ex, total in exp.per_exercise.items():
        assert re.search(rf"<text[^>]*>\s*{total}\s*</text>", html), (ex, total)


def test_tables_list_days_changes_and_every_stop(built: tuple[Path, Expected, str, Page]) -> None:
    _, exp, _, page = built
    days = page.tables["days-table"][1:]
    assert len(days) == DAYS  # not 28: the report starts at the first recorded day
    for row, day in zip(days, report_days(), strict=True):
        assert row[0] == f"{day:%a %d %b %Y}"
        want = exp.status.get(day, "not started" if day < exp.first_session else "missed")
        assert row[1] == want
        assert int(row[3]) == exp.reps.get(day, 0) and int(row[4]) == exp.seconds.get(day, 0)
        assert row[6] == str(exp.pain.get(day, "")) and row[7] == str(exp.effort.get(day, ""))
    changes = page.tables["changes-table"][1:]
    assert [(r[3], r[4]) for r in changes] == [(str(o), str(n)) for _, _, o, n in exp.changes]
    rules = tomllib.loads((prompts_dir() / "en" / "progression.toml").read_text("utf-8"))
    names = tomllib.loads((prompts_dir() / "en" / "exercises.toml").read_text("utf-8"))
    for row, (_, ex, old, new) in zip(changes, exp.changes, strict=True):
        said = rules["up_easy"].format(exercise=names[ex]["name"], old=old, new=new, days=3)
        assert row[1] == names[ex]["name"] and row[5] == said[:1].upper() + said[1:]
    stops = page.tables["stops-table"][1:]
    got = sorted((r[0][:10], r[1], r[3]) for r in stops)
    words = tomllib.loads((prompts_dir() / "en" / "report.toml").read_text(encoding="utf-8"))
    said = words["reasons"]
    want = sorted((d.isoformat(), what, said[reason]) for d, what, _, reason in exp.stops)
    assert got == want
    assert {"interrupted", "pain", "stopped", "tired", "user"} <= {r for *_, r in exp.stops}


def test_safety_answers_are_listed_per_session(built: tuple[Path, Expected, str, Page]) -> None:
    _, exp, html, page = built
    rows = page.tables["safety-table"][1:]
    assert [r[0] for r in rows] == exp.safety
    assert {r[1] for r in rows} == {"no chest pain, no dizziness, pain 6 or less"}
    section = html.split('<section id="safety">', 1)[1].split("</section>", 1)[0]
    assert 'class="alarm' not in section  # nothing to highlight on these days
    summary = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    assert summary["Safety answers"] == f"{len(exp.safety)} sessions checked, 0 needing attention"


def test_summary_counts_sessions_and_reminders(built: tuple[Path, Expected, str, Page]) -> None:
    _, exp, html, _ = built
    summary = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))
    days = set(report_days())
    counts: dict[str, int] = defaultdict(int)
    for (day, outcome), n in exp.reminders.items():
        if day in days:
            counts[outcome] += n
    for outcome, n in counts.items():
        assert f"{n} {outcome}" in summary["Reminders"]
    assert summary["Sessions"] == str(exp.rows["sessions"] - 1)  # the closing one is after END
    assert summary["Repetitions (counted exercises)"] == str(sum(exp.reps.values()))


def test_the_page_is_self_contained(built: tuple[Path, Expected, str, Page]) -> None:
    _, _, html, page = built
    assert page.external == []
    assert "@import" not in html and "@font-face" not in html
    assert re.findall(r"url\((?!#)", html) == []
    pictures = len(page.tables["prescription-table"]) - 1  # one drawing per prescribed exercise
    assert pictures >= 1
    assert html.count("<svg") == 4 + pictures


def test_export_writes_every_table_as_csv(
    built: tuple[Path, Expected, str, Page], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, exp, _, _ = built
    out = tmp_path / "csv"
    assert main(["export", "--data-dir", str(home), "--csv", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    conn = sqlite3.connect(home / "history.sqlite3")
    for table in TABLES:
        with (out / f"{table}.csv").open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if table in exp.rows:
            assert len(rows) == exp.rows[table], table
    with (out / "sets.csv").open(newline="", encoding="utf-8") as f:
        sets = list(csv.DictReader(f))
    assert sum(int(r["done"]) for r in sets) == sum(exp.per_exercise.values())
    assert f"{out / 'sets.csv'}: {exp.rows['sets']} rows" in capsys.readouterr().out


def test_bad_destinations_and_missing_history_are_refused(
    built: tuple[Path, Expected, str, Page], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = built[0]
    a_file = tmp_path / "taken"
    a_file.write_text("keep me")
    assert main(["export", "--data-dir", str(home), "--csv", str(a_file)]) == 3
    assert a_file.read_text() == "keep me"
    assert main(["report", "--data-dir", str(home), "--out", str(tmp_path)]) == 3
    assert "folder" in capsys.readouterr().err
    empty = tmp_path / "empty"
    assert main(["report", "--data-dir", str(empty), "--out", str(tmp_path / "r.html")]) != 0
    assert "no history" in capsys.readouterr().err.lower()
    assert not (tmp_path / "r.html").exists() and not (empty / "history.sqlite3").exists()
    with pytest.raises(SystemExit):
        main(["report", "--data-dir", str(home), "--days", "0", "--out", str(tmp_path / "x")])


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    ("end", "days"),
    [(END, 1), (START - dt.timedelta(days=30), 7), (END + dt.timedelta(days=60), 30), (END, 400)],
)
def test_odd_periods_give_a_whole_page_without_warnings(
    built: tuple[Path, Expected, str, Page], tmp_path: Path, end: dt.date, days: int
) -> None:
    home, exp, _, _ = built
    out = tmp_path / "r.html"
    args = ["report", "--data-dir", str(home), "--end", end.isoformat(), "--days", str(days)]
    assert main([*args, "--out", str(out)]) == 0
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    shown = (end - max(end - dt.timedelta(days=days - 1), START)).days + 1 if end >= START else 1
    assert len(page.figures["calendar"]) == shown
    assert len(page.tables["days-table"]) == shown + 1
    total = sum(exp.reps[d] for d in exp.reps if end - dt.timedelta(days=days) < d <= end)
    got = sum(sum(v.values()) for v in page.figures["reps-per-day"].values())  # type: ignore[attr-defined]
    assert got == total
