"""Screenshots of the screen's pages for docs/screen.md (headless Chromium, a real session).

.venv/bin/python scripts/screen_screenshots.py [--out docs/screens]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion import paths  # noqa: E402
from companion.screen import guard  # noqa: E402
from companion.screen.app import Screen  # noqa: E402
from companion.screen.live import Live  # noqa: E402
from companion.screen.pairing import Pairing  # noqa: E402
from companion.screen.reminder_state import decide  # noqa: E402
from companion.screen.server import ScreenServer  # noqa: E402
from tests.test_report import build_history  # noqa: E402
from tests.test_screen_browser import CHROMIUM, CHROMIUM_ARGS, session_with_screen  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data:
        history = paths.resolve(data).ensure().history_db  # 14 days before today's session
        build_history(history, dt.date.today() - dt.timedelta(days=15), 14, seed=4)
        take(Path(data), args.out)
    print(f"screenshots in {args.out}")
    return 0


def take(data: Path, out: Path) -> None:
    """Run a session on the screen and photograph each page."""
    from playwright.sync_api import expect, sync_playwright

    with (
        session_with_screen(data, ["no", "no", "no", 3000.0], 1.0) as run,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})

        def shot(name: str, full: bool = False) -> None:
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(out / f"{name}.png"), full_page=full)

        page.goto(run.url)
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.locator("#counter")).to_contain_text("rep 3 of", timeout=30_000)
        shot("session-counting")
        page.get_by_role("button", name="It hurts").click()
        expect(page.locator("#scale")).to_be_visible(timeout=20_000)
        shot("session-pain-scale", full=True)
        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_role("button", name="Yes", exact=True).click()
        for name, path in [
            ("exercises", "exercises"),
            ("caregiver", "care"),
            ("setup-wizard", "care/setup"),
            ("history", "care/history"),
            ("downloads", "report/data"),
        ]:
            page.goto(run.url + path)
            shot(name)
        page.goto(run.url + "care/settings")
        page.fill("#speech-rate", "fast")
        page.get_by_role("button", name="Save").click()
        shot("settings-refused")
        page.goto(run.url + "report")
        shot("report")
        run.thread.join(timeout=30)
        now = dt.datetime.now(dt.timezone.utc)  # the daemon is asking: the page shows it
        run.live.reset()
        run.live.update(reminder=decide([(now, "fired")], [], True, now, dt.timezone.utc))
        page.goto(run.url)
        expect(page.locator("#reminder")).to_be_visible()
        shot("session-reminder")
        browser.close()
    pair_page(data, out)


def pair_page(data: Path, out: Path) -> None:
    """The page a tablet on the home network sees first (``--lan``)."""
    from playwright.sync_api import sync_playwright

    where = paths.resolve(data)
    screen = Screen(Live(), where, guard.new_token(), pairing=Pairing("", lambda _: None))
    server = ScreenServer(screen, port=0)
    try:
        url = server.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(url + "pair")
            page.screenshot(path=str(out / "pair.png"))
            browser.close()
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
