"""The report in real headless Chromium: it renders, its check script passes, no JS errors."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib import image

from companion.cli.main import main
from tests.conftest import skip_or_fail
from tests.test_report import build_history

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("COMPANION_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on ``page`` with nothing fetched from the network."""
    if not Path(CHROMIUM).exists():
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            *extra,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    start = dt.date(2026, 1, 5)
    build_history(home / "history.sqlite3", start, 21, seed=3)
    out = home / "report.html"
    end = (start + dt.timedelta(days=20)).isoformat()
    assert main(["report", "--data-dir", str(home), "--end", end, "--out", str(out)]) == 0
    return out


def js_problems(stderr: str) -> list[str]:
    """Console errors and uncaught exceptions Chromium logged for the page."""
    return [
        line
        for line in stderr.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "SyntaxError" in line
    ]


def test_the_page_renders_and_its_own_check_passes(report: Path, tmp_path: Path) -> None:
    run = chromium(report, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    body = re.search(r"<body[^>]*>", run.stdout)
    assert body is not None, run.stdout[:500]
    assert 'data-rendered="ok"' in body.group(0), body.group(0)
    assert 'data-charts="4"' in body.group(0)
    assert js_problems(run.stderr) == []


def test_a_screenshot_shows_charts_not_a_blank_page(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    run = chromium(report, tmp_path / "profile", "--window-size=1100,3000", f"--screenshot={shot}")
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    pixels = image.imread(str(shot))
    rgb = pixels[..., :3]
    inked = (rgb.min(axis=2) < 0.9).mean()
    green = ((rgb[..., 1] > 0.4) & (rgb[..., 0] < 0.3) & (rgb[..., 2] < 0.3)).mean()
    assert inked > 0.05, f"only {inked:.1%} of the page is drawn on"
    assert green > 0.001, "no 'done' cells of the adherence calendar are visible"
    assert js_problems(run.stderr) == []


def test_a_broken_chart_and_a_script_error_are_caught(report: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    html = report.read_text(encoding="utf-8")
    start = html.index('<figure data-chart="calendar"')
    svg_start = html.index("<svg", start)
    svg_end = html.index("</svg>", svg_start) + len("</svg>")
    html = html[:svg_start] + html[svg_end:]
    html = html.replace("</body>", '<script>throw new Error("boom")</script></body>')
    broken.write_text(html, encoding="utf-8")
    run = chromium(broken, tmp_path / "profile", "--dump-dom")
    assert 'data-rendered="error: no chart in calendar"' in run.stdout
    assert any("boom" in line for line in js_problems(run.stderr)), run.stderr[-2000:]
