"""``companion screen --lan``: a tablet on the home network sees only the pairing page until it
types the code shown on this computer; wrong codes are slowed and renew the code; without
``--lan`` nothing listens beyond this computer. Real server processes, real HTTP from this
computer's home-network address, and Chromium for the tablet's view."""

from __future__ import annotations

import contextlib
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from companion.screen import pairing
from companion.screen.pairing import Outcome, Pairing, home_network_client, lan_address
from companion.screen.pairing_voice import spoken_digits
from tests.conftest import skip_or_fail
from tests.test_screen_a11y import violations
from tests.test_screen_browser import browser_page
from tests.test_screen_cli import REPO

# ---- the pairing itself (pure) -------------------------------------------------------------


def test_the_right_code_pairs_once_and_a_new_code_is_shown() -> None:
    shown: list[str] = []
    p = Pairing("http://192.168.1.5:8766/", shown.append)
    first = p.code
    assert re.fullmatch(r"\d{6}", first) and p.shown == f"{first[:3]} {first[3:]}"
    outcome, cookie = p.attempt(f" {first[:3]} {first[3:]} ", now=0.0)
    assert outcome == Outcome.PAIRED and len(cookie) >= 40
    forged = ("y" if cookie[0] == "x" else "x") + cookie[1:]  # one character changed
    assert p.paired(cookie) and not p.paired(forged) and not p.paired(None)
    # a fresh code for the next device, shown here (the same six digits again: 1 in a million)
    assert p.code != first
    assert shown[-1].startswith("paired") and shown[-1].endswith(p.shown)
    assert p.attempt(first, now=10.0) == (Outcome.WRONG, "")  # the used code pairs nobody else


def test_a_code_is_said_one_digit_at_a_time_in_two_groups() -> None:
    assert spoken_digits("042917") == "0, 4, 2. 9, 1, 7"
    assert spoken_digits("7") == "7"


def test_wrong_codes_are_slowed_and_renew_the_code() -> None:
    shown: list[str] = []
    p = Pairing("", shown.append)
    code = p.code
    wrong = "000000" if code != "000000" else "111111"
    assert p.attempt(wrong, now=100.0) == (Outcome.WRONG, "")
    # even the right code waits after a wrong one
    assert p.attempt(code, now=101.0) == (Outcome.WAIT, "")
    now = 104.0
    for _ in range(pairing.MAX_WRONG - 1):
        assert p.attempt(wrong, now=now)[0] == Outcome.WRONG
        now += pairing.WAIT_AFTER_WRONG_S
    assert "too many wrong codes" in shown[-1] and shown[-1].endswith(p.shown)
    assert p.code != code
    assert p.attempt(code, now=now) == (Outcome.WRONG, "")  # the old one is gone


@pytest.mark.parametrize(
    ("address", "home"),
    [
        ("192.168.1.20", True), ("10.0.0.7", True), ("172.16.4.2", True), ("fe80::1", True),
        ("fd00::5", True), ("::ffff:192.168.1.9", True), ("127.0.0.1", True),
        ("8.8.8.8", False), ("2001:4860:4860::8888", False), ("0.0.0.0", False),
        ("testclient", False), ("", False),
    ],
)  # fmt: skip
def test_only_home_network_addresses_count_as_home(address: str, home: bool) -> None:
    assert home_network_client(address) is home


# ---- a real server process ---------------------------------------------------------------


@dataclass
class Served:
    proc: subprocess.Popen[str]
    local: str
    lines: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)
    """The captions on standard output (what is said aloud on this computer)."""

    def wait_said(self, words: str, within_s: float = 30) -> None:
        """Wait until a caption holds ``words`` (bounded)."""
        deadline = time.monotonic() + within_s
        while not any(words in line for line in self.said):
            assert time.monotonic() < deadline, (words, self.said)
            time.sleep(0.05)

    def code(self) -> str:
        """The latest pairing code the terminal shows."""
        found = re.findall(r"pairing code(?: for a tablet:)? (\d{3} \d{3})", "\n".join(self.lines))
        assert found, self.lines
        return str(found[-1]).replace(" ", "")


@contextlib.contextmanager
def screen(data: Path, *args: str) -> Iterator[Served]:
    cli = [sys.executable, "-m", "companion.cli.main", "--data-dir", str(data), "screen"]
    proc = subprocess.Popen(
        [*cli, "--port", "0", "--no-browser", "--no-voice", *args],
        cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    first = proc.stderr.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+/)", first)
    served = Served(proc, found.group(1) if found else "", [first])

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            served.lines.append(line)

    def read_captions() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            served.said.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    threading.Thread(target=read_captions, daemon=True).start()
    try:
        assert found, first
        yield served
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(timeout=5)
        assert proc.returncode == 0, served.lines
        assert not any("Traceback" in line for line in served.lines), served.lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def lan_or_skip() -> str:
    address = lan_address()
    if address is None:
        skip_or_fail("this computer has no home-network address")
    assert address is not None
    return address


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].strip("/"))


def test_without_lan_nothing_listens_beyond_this_computer(tmp_path: Path) -> None:
    address = lan_or_skip()
    with screen(tmp_path) as s:
        assert "(this computer only)" in s.lines[0]
        with socket.socket() as sock, pytest.raises(OSError):
            sock.settimeout(5)
            sock.connect((address, port_of(s.local)))
        assert httpx.get(s.local + "care", timeout=30).status_code == 200


PAGES = ["/", "/care", "/care/settings", "/care/history", "/report", "/report/data",
         "/report/data/history.json", "/state", "/exercises"]  # fmt: skip


@pytest.mark.timeout(180)
def test_a_tablet_sees_nothing_but_the_pairing_page_until_it_types_the_code(
    tmp_path: Path,
) -> None:
    address = lan_or_skip()
    with screen(tmp_path, "--lan") as s:
        port = port_of(s.local)
        tablet_url = f"http://{address}:{port}/"
        deadline = time.monotonic() + 10
        while len(s.lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert f"open {tablet_url} and type the pairing code" in s.lines[1]
        code = s.code()
        s.wait_said(f"type this code: {spoken_digits(code)}.")  # and said aloud, digit by digit
        # this computer itself: served as before, and its caregiver page shows the code
        care = httpx.get(s.local + "care", timeout=60)
        assert care.status_code == 200 and f"{code[:3]} {code[3:]}" in care.text
        with httpx.Client(base_url=tablet_url, timeout=60) as tablet:
            for page in PAGES:
                r = tablet.get(page)
                assert (r.status_code, r.headers.get("location")) == (303, "/pair"), page
                assert "Pair this device first" in r.text
            assert tablet.post("/press", data={"command": "stop"}).status_code == 403
            assert tablet.get("/static/screen.css").status_code == 200
            # a name instead of the address (DNS rebinding) and a faked loopback Host: refused
            for host in ("evil.example", f"127.0.0.1:{port}", f"localhost:{port}"):
                assert tablet.get("/pair", headers={"host": host}).status_code == 421, host
            assert "Pairing code" in tablet.get("/pair").text
            wrong = "000000" if code != "000000" else "111111"
            r = tablet.post("/pair", data={"code": wrong})
            assert r.status_code == 400 and "That code is not right" in r.text
            assert "set-cookie" not in r.headers
            r = tablet.post("/pair", data={"code": code})  # too soon after a wrong one
            assert r.status_code == 429 and "wait a few seconds" in r.text
            time.sleep(pairing.WAIT_AFTER_WRONG_S + 0.2)
            r = tablet.post("/pair", data={"code": code}, headers={"origin": "http://evil.example"})
            assert r.status_code == 403
            r = tablet.post("/pair", data={"code": code}, headers={"origin": tablet_url[:-1]})
            assert r.status_code == 303 and r.headers["location"] == "/"
            cookie = r.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
            assert tablet.cookies.get(pairing.COOKIE)
            for page in PAGES:  # the same as on this computer (no history yet: no JSON)
                local = httpx.get(s.local + page.lstrip("/"), timeout=60).status_code
                assert tablet.get(page).status_code == local, page
            home = tablet.get("/care").text
            assert "pairing code" not in home  # the code is shown on this computer only
            token = re.search(r'name="token" value="([^"]+)"', tablet.get("/").text)
            assert token
            stop = {"command": "stop", "token": token.group(1)}
            assert tablet.post("/press", data=stop, headers={"origin": "http://evil.example"}
                               ).status_code == 403  # fmt: skip
            assert tablet.post("/press", data=stop, headers={"origin": tablet_url[:-1]}
                               ).status_code == 409  # ours, but no session is running  # fmt: skip
        # the code was used: a new one is shown here, and the old one pairs nobody else
        assert any(line.startswith("[screen] paired;") for line in s.lines), s.lines
        assert s.code() != code
        s.wait_said(f"The code for a tablet is now: {spoken_digits(s.code())}.")
        with httpx.Client(base_url=tablet_url, timeout=60) as other:
            assert other.post("/pair", data={"code": code}).status_code == 400


@pytest.mark.browser
@pytest.mark.timeout(240)
def test_pairing_a_tablet_in_the_browser(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    address = lan_or_skip()
    with screen(tmp_path, "--lan") as s, sync_api.sync_playwright() as p:
        page = browser_page(p)
        page.goto(f"http://{address}:{port_of(s.local)}/care")
        expect(
            page.get_by_role("heading", name="Connect this device to the companion")
        ).to_be_visible()
        assert page.url.endswith("/pair")
        found = violations(page)
        code = page.get_by_label("Pairing code")
        code.fill("12")
        page.get_by_role("button", name="Connect").click()
        expect(page.locator("#code-error")).to_contain_text("That code is not right")
        found += violations(page)
        time.sleep(pairing.WAIT_AFTER_WRONG_S + 0.2)
        right = s.code()
        page.get_by_label("Pairing code").fill(f"{right[:3]} {right[3:]}")
        page.get_by_role("button", name="Connect").click()
        expect(page.get_by_role("button", name="Start", exact=True)).to_be_visible(timeout=20_000)
        page.goto(f"http://{address}:{port_of(s.local)}/care")
        expect(page.get_by_role("heading", name="For the caregiver")).to_be_visible()
        page.goto(s.local + "care")  # this computer's caregiver page shows the next code
        expect(page.locator("#pairing")).to_contain_text(s.code()[:3])
        found += violations(page)
    assert found == []
