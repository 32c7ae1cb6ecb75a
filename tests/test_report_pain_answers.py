"""The report's every-stop table shows the pain level given in answer to "it hurts" (found in a
user trial: "no rating" though the rating was in the history), and "it hurts" at the safety
questions reads as what it was, not as a stop: real sessions, real SQLite file, real report."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report_html import rows as _rows
from tests.report_html import section as _section
from tests.session_cli import REPO, run_session, session_env

DAY = dt.date(2026, 3, 2)


def _report(data: Path) -> str:
    out = data / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data),
         "report", "--end", DAY.isoformat(), "--out", str(out)],
        capture_output=True, text=True, timeout=120, cwd=REPO, env=session_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8")


def _summary(html: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html))


def _session(data: Path, answers: list[str]) -> None:
    script = data.parent / "answers.txt"
    script.write_text("\n".join(answers) + "\n")
    ran = run_session(data, script, scale=50, day=DAY)
    assert ran.returncode == 0, ran.stderr


@pytest.mark.timeout(300)
def test_pain_given_at_the_safety_questions_is_shown_and_no_stop_is_counted(
    tmp_path: Path,
) -> None:
    """no / it hurts / 1 / no / no, then a whole session: the row read "stop | | pain | no
    rating | safety stop" and the summary counted a safety stop in a completed session."""
    lines = (REPO / "tests" / "scripts" / "level1_full.txt").read_text().splitlines()
    first_no = lines.index("no")
    lines[first_no + 1 : first_no + 1] = ["it hurts", "1"]
    _session(tmp_path / "data", lines)
    html = _report(tmp_path / "data")
    stops = _rows(_section(html, "stops"))
    assert [r[1:] for r in stops] == [["it hurts", "at the safety questions", "pain", "pain 1", ""]]
    assert 'class="safety-stop"' not in _section(html, "stops")
    assert _summary(html)["Stops and skips"].startswith("0, of which 0 safety stops")
    assert ["at the safety questions", "1", "1", "1.0"] in _rows(_section(html, "pain-by-exercise"))
    days = _rows(_section(html, "days"))
    assert days[-1][1] == "done" and days[-1][-1] == "0"  # no stop that day


@pytest.mark.timeout(300)
def test_severe_pain_at_the_safety_questions_is_one_safety_stop_with_its_level(
    tmp_path: Path,
) -> None:
    """ "It hurts", 8, at the safety questions: it counted as two safety stops, the first with
    "no rating"."""
    _session(tmp_path / "data", ["no", "it hurts", "8"])
    html = _report(tmp_path / "data")
    stops = _rows(_section(html, "stops"))
    assert [r[1:] for r in stops] == [
        ["it hurts", "at the safety questions", "pain", "pain 8", ""],
        ["stop", "", "stopped at the safety questions", "pain 8", "safety stop"],
        ["session", "", "stopped at the safety questions", "pain 8", "same stop as the row above"],
    ]
    assert _summary(html)["Stops and skips"].startswith("1, of which 1 safety stop ")


@pytest.mark.timeout(300)
def test_the_level_given_after_it_hurts_in_a_set_is_shown_with_that_stop(tmp_path: Path) -> None:
    """ "It hurts" during a set, level 2, then going on: the stop read "no rating" (the level is
    recorded just after the stop, and only a rating before it was looked for)."""
    _session(tmp_path / "data", ["no", "no", "no", "start", "wait 1", "it hurts", "2", "no"])
    html = _report(tmp_path / "data")
    stop = _rows(_section(html, "stops"))[0]
    assert stop[1:] == ["stop", "Palm up and down", "pain", "pain 2", "safety stop"]
