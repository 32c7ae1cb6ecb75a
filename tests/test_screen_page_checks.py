"""What issue 23 asks of the session page beyond axe's AA rules, measured in headless Chromium:
every target at least 64 px with space between targets, the caption at 7:1 contrast or more
(axe's enhanced-contrast rule), nothing moving by itself, nothing loaded from outside this
computer, and each new state on screen within 100 ms of the session's event. Also: every page
has its screenshot in docs/screens/, and the README shows each one."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from companion.screen.reminder_state import decide
from tests.test_screen_a11y import AXE, PAGES, QUESTION, served
from tests.test_screen_browser import browser_page

REPO = Path(__file__).resolve().parent.parent
MIN_TARGET_PX = 64
MIN_GAP_PX = 8
TARGETS = "#main button, #main a, #main input[type=submit], nav a"

BOXES = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(e => e.offsetParent !== null)
  .map(e => { const r = e.getBoundingClientRect();
              return {text: (e.textContent || e.value || '').trim().slice(0, 30),
                      x: r.left, y: r.top, w: r.width, h: r.height}; })"""


def _boxes(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate(BOXES, TARGETS))


def _overlap(a: dict[str, Any], b: dict[str, Any], gap: float) -> bool:
    """Whether two boxes come closer than ``gap`` px on both axes."""
    return not (
        a["x"] + a["w"] + gap <= b["x"]
        or b["x"] + b["w"] + gap <= a["x"]
        or a["y"] + a["h"] + gap <= b["y"]
        or b["y"] + b["h"] + gap <= a["y"]
    )


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_session_page_targets_are_large_and_apart_and_the_caption_has_7_to_1(
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    now = dt.datetime.now(dt.timezone.utc)
    with served(tmp_path) as (url, live), sync_api.sync_playwright() as p:
        page = browser_page(p)
        page.set_viewport_size({"width": 1280, "height": 900})
        small: dict[str, list[str]] = {}
        close: dict[str, list[tuple[str, str]]] = {}
        views = {
            "idle": {},
            "reminder": {"reminder": decide([(now, "fired")], [], True, now, dt.timezone.utc)},
            "0-10 question": {**QUESTION, "reminder": None},
            "yes/no question": {**QUESTION, "context": "yes_no", "commands": ["yes", "no"]},
        }
        for name, changes in views.items():
            live.update(**changes)
            page.goto(url)
            boxes = _boxes(page)
            assert boxes, name
            small[name] = [
                f"{b['text']} {b['w']:.0f}x{b['h']:.0f}"
                for b in boxes
                if min(b["w"], b["h"]) < MIN_TARGET_PX
            ]
            close[name] = [
                (a["text"], b["text"])
                for i, a in enumerate(boxes)
                for b in boxes[i + 1 :]
                if _overlap(a, b, MIN_GAP_PX)
            ]
            page.evaluate(AXE.read_text(encoding="utf-8"))
            contrast = page.evaluate(
                "async () => (await axe.run('#caption', {runOnly: {type: 'rule', "
                "values: ['color-contrast-enhanced']}})).violations.length"
            )
            assert contrast == 0, name
        assert not any(small.values()), str(small)
        assert not any(close.values()), str(close)


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_every_page_loads_only_from_this_computer_and_nothing_moves_by_itself(
    tmp_path: Path,
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with served(tmp_path) as (url, live), sync_api.sync_playwright() as p:
        page = browser_page(p)
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        moving = {}
        for path in PAGES:
            page.goto(url + path.lstrip("/"))
            if path == "/":  # the session's progress as it changes
                live.update(**QUESTION)
                live.update(day_done=0.6, rep=4)
                page.wait_for_timeout(200)
            moving[path] = page.evaluate("document.getAnimations().length")
        assert {k: v for k, v in moving.items() if v} == {}
    assert asked and all(u.startswith((url, "data:")) for u in asked), asked


OBSERVE = """() => { window.__seen = {};
  new MutationObserver(() => {
    const v = document.getElementById('session').dataset.version;
    if (!(v in window.__seen)) { window.__seen[v] = Date.now(); }
  }).observe(document.getElementById('session'),
             {attributes: true, childList: true, subtree: true, characterData: true}); }"""


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_each_new_state_is_on_the_page_within_100_ms(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with served(tmp_path) as (url, live), sync_api.sync_playwright() as p:
        page = browser_page(p)
        page.goto(url)
        page.wait_for_function("() => document.getElementById('session') !== null")
        page.wait_for_timeout(500)  # the event stream is open
        page.evaluate(OBSERVE)
        sent: dict[str, float] = {}
        for rep in range(1, 21):
            at = time.time() * 1000
            live.update(**{**QUESTION, "rep": rep, "caption": f"{rep}"})
            sent[str(live.snapshot()["version"])] = at
            time.sleep(0.15)
        page.wait_for_timeout(300)
        seen: dict[str, float] = page.evaluate("() => window.__seen")
    delays = [seen[v] - at for v, at in sent.items() if v in seen]
    assert len(delays) == len(sent), (sorted(sent), sorted(seen))
    assert statistics.median(delays) <= 100, delays
    assert max(delays) <= 1000, delays  # a loaded machine may be slow once, never lost


SCREENS = {
    "/": "session-counting.png",
    "/ (0-10 question)": "session-pain-scale.png",
    "/ (reminder)": "session-reminder.png",
    "/exercises": "exercises.png",
    "/care": "caregiver.png",
    "/care/settings": "settings-refused.png",
    "/care/setup": "setup-wizard.png",
    "/care/history": "history.png",
    "/report": "report.png",
    "/report/data": "downloads.png",
    "/pair": "pair.png",
}
"""Each page (and each state of the session page) and its screenshot."""


def test_every_page_has_a_screenshot_and_the_readme_shows_each() -> None:
    assert {page.split(" ")[0] for page in SCREENS} >= set(PAGES)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\((docs/screens/[^)]+\.png)\)", readme))
    for name in SCREENS.values():
        png = REPO / "docs" / "screens" / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        assert png.stat().st_size > 5000, name  # a picture, not an empty page
        assert f"docs/screens/{name}" in shown, name
    assert "`companion screen" in readme and "scripts/screen_screenshots.py" in readme


def test_the_readme_begins_with_the_carers_five_steps() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", readme, flags=re.MULTILINE)
    assert headings[0] == "For carers: the first five steps"
    section = readme[readme.index("## For carers") : readme.index(f"## {headings[1]}")]
    steps = re.findall(r"^\d\. \*\*(.+?)\.\*\*", section, flags=re.MULTILINE)
    assert steps == ["Set up", "Check", "First session", "Reminders", "Report"]


def test_every_page_has_a_strict_content_security_policy(tmp_path: Path) -> None:
    import httpx

    with served(tmp_path) as (url, _live):
        for path in [*PAGES, "/pair", "/state", "/static/screen.css", "/pictures/coin_drop.svg"]:
            csp = httpx.get(url + path.lstrip("/"), timeout=30).headers["content-security-policy"]
            rules = dict(rule.strip().split(" ", 1) for rule in csp.split(";") if rule.strip())
            assert rules["default-src"] in ("'self'", "'none'"), path
            assert rules["frame-ancestors"] == "'none'", path
            for rule, sources in rules.items():
                assert "http" not in sources and "*" not in sources, (path, rule, sources)
