"""How long the session page takes to show a session's event: from the moment the session's loop
hands the screen its new state to the moment the page in headless Chromium has it on screen.

A real session (script answers the safety questions and starts; counting runs at the real pace
unless --time-scale is given) is shown on a real server; the page's own script (live.js) updates
the DOM from Server-Sent Events, and a MutationObserver notes when each state's version lands.
Both clocks are this machine's wall clock (milliseconds).

    .venv/bin/python scripts/benchmark_screen.py [--seconds 20] [--time-scale 1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from companion.screen.live import Live  # noqa: E402
from tests.test_screen_browser import CHROMIUM, CHROMIUM_ARGS, session_with_screen  # noqa: E402

OBSERVE = """
window.__seen = {};
new MutationObserver(function () {
  var v = document.getElementById("session").dataset.version;
  if (!(v in window.__seen)) { window.__seen[v] = Date.now(); }
}).observe(document.getElementById("session"), {attributes: true, subtree: true,
  childList: true, characterData: true});
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to watch")
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    sent: dict[int, float] = {}
    original = Live.update

    def timed_update(self: Live, **changes: object) -> None:
        original(self, **changes)
        sent[self.snapshot()["version"]] = time.time() * 1000

    Live.update = timed_update  # type: ignore[method-assign]
    script: list[str | float] = ["no", "no", "no", 3000.0]
    with (
        tempfile.TemporaryDirectory() as data,
        session_with_screen(Path(data), script, args.time_scale) as run,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(run.url)
        page.evaluate(OBSERVE)
        watching = time.time() * 1000
        page.get_by_role("button", name="Start", exact=True).click()
        page.wait_for_timeout(args.seconds * 1000)
        seen: dict[str, float] = page.evaluate("window.__seen")
        page.get_by_role("button", name="Stop", exact=True).click()
        page.get_by_role("button", name="Yes", exact=True).click()
        run.thread.join(timeout=30)
        browser.close()
    sent = {v: t for v, t in sent.items() if t > watching}
    delays = sorted(seen[str(v)] - t for v, t in sent.items() if str(v) in seen)
    if not delays:
        print("no update reached the page")
        return 1
    p95 = delays[int(0.95 * (len(delays) - 1))]
    print(
        f"{len(delays)} updates of a real session reached the page: median "
        f"{statistics.median(delays):.1f} ms, 95th percentile {p95:.1f} ms, "
        f"slowest {delays[-1]:.1f} ms; {len(sent) - len(delays)} of {len(sent)} replaced by the "
        "next one before the page drew (two in one batch of effects: the page shows the last)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
