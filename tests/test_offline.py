"""Nothing leaves the machine: the everyday commands run under strace, which sees every socket
call of the command and of its children, and any attempt to reach the network fails the test.
Only ``models download`` may use the network.

What counts (``attempts``): a connect, send, bind, listen or accept on any socket that is not a
local (AF_UNIX) one: the internet, IPv6, loopback (a DNS query to 127.0.0.53 asks about a remote
name) and netlink (how getaddrinfo asks which addresses the machine has before a lookup); and
a connect to a name service's local socket (nscd, systemd-resolved, avahi), through which a
lookup leaves without the process sending a packet itself. Not counted: other local sockets
(PulseAudio, uuidd); a socket made and never used (libuuid asks the kernel for the interfaces'
addresses through one); and a bind to port 0 of loopback: urllib3, which vosk imports, binds
::1 so to learn whether IPv6 works, and such a socket carries nothing unless it then connects
or listens, which count.

onnxruntime is the one that did (its telemetry, some seconds after loading): each command
also runs with its own home folder, which must not gain onnxruntime's device id and event
cache (``~/.cache/Microsoft``), the events it keeps to send later."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion.recognisers import moonshine_reader
from tests.conftest import REPO, skip_or_fail, speech_data
from tests.pulse import PulseServer

pytestmark = pytest.mark.slow

STRACE = ["-f", "-qq", "-yy", "-e", "trace=network,execve"]
"""Follow children; with ``-yy`` every socket is shown with its protocol and addresses."""
CALL = re.compile(r"^\d+\s+(connect|sendto|sendmsg|sendmmsg|bind|listen|accept4?)\((.*)$")
NETWORK_SOCKET = re.compile(r"^\d+<(?:TCP|UDP|RAW|SCTP|DCCP|MPTCP|NETLINK|PACKET)")
"""How ``-yy`` shows a socket that is not a local one (a local one is ``<UNIX:...>``)."""
FAMILY = re.compile(r"sa_family=(AF_\w+)")
LOOPBACK_PORT_0 = re.compile(r'_port=htons\(0\), .*(?:inet_addr\("127\.|"::1")')
NAME_SERVICE = re.compile(r'sun_path="[^"]*(?:nscd|systemd/resolve|avahi)')
"""Local sockets through which a name lookup leaves the machine."""


def attempts(trace: str) -> list[str]:
    """The lines of an ``strace`` log (options ``STRACE``) that try to reach the network."""
    found = []
    for line in trace.splitlines():
        call = CALL.match(line)
        if not call:
            continue
        name, args = call.groups()
        network = bool(NETWORK_SOCKET.match(args) or set(FAMILY.findall(args)) - {"AF_UNIX"})
        probe = name == "bind" and LOOPBACK_PORT_0.search(args)
        if (network and not probe) or NAME_SERVICE.search(args):
            found.append(line)
    return found


@pytest.mark.parametrize(
    ("line", "counts"),
    [
        # onnxruntime's telemetry before the fix: a DNS query through the resolver
        (
            "6658  connect(8<UDP:[2271]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_"
            'addr("10.255.255.53")}, 16 <unfinished ...>',
            True,
        ),
        ('6658  sendto(8<UDP:[10.0.0.2:4558->10.255.255.53:53]>, "\\230c", 50, 0, NULL, 0)', True),
        (
            '6657  sendto(9<UDPv6:[2275]>, "YB\\1\\0"..., 50, 0, {sa_family=AF_INET6, sin6_port=h'
            'tons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_sco'
            "pe_id=0}, 28) = 50",
            True,
        ),
        (
            '6657  connect(8<UNIX:[2270]>, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"},'
            " 110) = -1 ENOENT (No such file or directory)",
            True,
        ),
        ("700   bind(3<NETLINK:[1]>, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=0}, 12) = 0", True),
        (
            "21398 bind(3<TCP:[1952]>, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_ad"
            'dr("127.0.0.1")}, 16) = 0',
            True,
        ),
        ("21398 listen(3<TCP:[127.0.0.1:47829]>, 128) = 0", True),
        ("21398 accept4(3<TCPv6:[[::1]:47829]>, NULL, NULL, SOCK_CLOEXEC) = 4", True),
        (
            '6367  connect(7<UNIX:[2210]>, {sa_family=AF_UNIX, sun_path="/tmp/pulse-PKdhtXMmr18n/'
            'native"}, 110) = 0',
            False,
        ),
        (
            '6440  connect(6<UNIX:[2211]>, {sa_family=AF_UNIX, sun_path="/run/uuidd/request"}, 1'
            "10) = -1 ENOENT (No such file or directory)",
            False,
        ),
        ("6440  socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 6<UDP:[2212]>", False),
        # urllib3's IPv6 probe (imported by vosk)
        (
            "19334 bind(7<TCPv6:[19394]>, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo="
            'htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
            False,
        ),
        (
            '6367  sendto(7<pipe:[2213]>, "W", 1, MSG_NOSIGNAL, NULL, 0) = -1 ENOTSOCK (Socket op'
            "eration on non-socket)",
            False,
        ),
        ("6658  <... connect resumed>)            = 0", False),
    ],
)
def test_what_counts_as_a_network_attempt(line: str, counts: bool) -> None:
    assert attempts(line) == ([line] if counts else [])


class Traced:
    """``companion <args>`` under strace, with a home folder of its own."""

    def __init__(
        self, work: Path, name: str, *args: str, module: str = "companion.cli.main"
    ) -> None:
        strace = shutil.which("strace")
        if strace is None:
            skip_or_fail("strace is not installed (apt-get install strace)")
        self.trace = work / f"{name}.strace"
        self.out = work / f"{name}.out"
        self.home = work / f"{name}-home"
        self.home.mkdir()
        env = dict(os.environ)
        for key in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "COMPANION_DATA_DIR"):
            env.pop(key, None)
        env.pop("ORT_DISABLE_TELEMETRY", None)  # the companion must turn it off itself
        env.update(HOME=str(self.home), PYTHONPATH=str(REPO))
        cmd = [strace, *STRACE, "-o", str(self.trace)]
        with self.out.open("w") as out:
            self.proc = subprocess.Popen(
                [*cmd, sys.executable, "-m", module, *args],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPO,
                env=env,
            )

    def text(self) -> str:
        return self.out.read_text(encoding="utf-8")

    def wait(self, timeout: float = 120) -> Traced:
        """Wait for the command to end; it must end well."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        assert code == 0, self.text()
        return self

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end and self.proc.poll() is None:
            if needle in self.text():
                return
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"never printed {needle!r}; output:\n{self.text()}")

    def command_pid(self) -> int:
        """The traced command's pid (its execve is the trace's first line)."""
        return int(self.trace.read_text(encoding="utf-8").split(maxsplit=1)[0])

    def stop(self) -> int:
        """SIGTERM to the command (not to strace, which would let it run on untraced); its exit
        status."""
        os.kill(self.command_pid(), signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # strace's own SIGKILL ends its tracees too
            self.proc.wait(timeout=10)

    def assert_offline(self) -> None:
        trace = self.trace.read_text(encoding="utf-8")
        assert "execve(" in trace, f"strace traced nothing: {trace}"
        assert attempts(trace) == [], "network attempts:\n" + "\n".join(attempts(trace))
        queued = self.home / ".cache" / "Microsoft"
        found = sorted(str(p.relative_to(self.home)) for p in queued.rglob("*"))
        assert found == [], f"onnxruntime's telemetry is on: it wrote {found}"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path


def clips() -> list[str]:
    """30 real recordings: three of each of ten command words."""
    folder = speech_data() / "commands"
    words = ["yes", "no", "stop", "go", "up", "down", "left", "right", "on", "off"]
    return [str(p) for w in words for p in sorted((folder / w).glob("*.wav"))[:3]]


def test_voice_add_makes_no_network_attempt(work: Path) -> None:
    data = ["--data-dir", str(work / "data")]
    add = Traced(work, "voice-add", "voice", "add", *data, "yes", *clips()[:3]).wait(timeout=240)
    assert "the listener uses them" in add.text()
    add.assert_offline()


def test_recognize_makes_no_network_attempt(work: Path) -> None:
    files = clips()
    recognize = Traced(work, "recognize", "recognize", "--data-dir", str(work / "data"), *files)
    recognize.wait(timeout=240)
    assert len(recognize.text().splitlines()) >= len(files)
    recognize.assert_offline()


def test_converting_the_readers_model_makes_no_network_attempt(work: Path) -> None:
    """What a fresh install does once, in a child process, before the reader first listens."""
    source = moonshine_reader.model_dir()
    if source is None:
        skip_or_fail("the Moonshine model (moonshine-cpp) is not installed")
    dest = work / "models" / "moonshine"
    module = "companion.recognisers.moonshine_convert"
    Traced(work, "convert", str(source), str(dest), module=module).wait().assert_offline()
    assert list(dest.glob("*.onnx")), "nothing was converted"


def test_session_and_report_make_no_network_attempt(work: Path) -> None:
    data = ["--data-dir", str(work / "data")]
    script = str(REPO / "tests" / "scripts" / "level1_full.txt")
    session = Traced(
        work, "session", *data, "session", "--script", script, "--no-voice", "--time-scale", "100"
    ).wait()
    assert "That is all for today." in session.text()
    session.assert_offline()
    page = work / "report.html"
    report = Traced(work, "report", "report", *data, "--out", str(page)).wait()
    assert page.stat().st_size > 0
    report.assert_offline()


STARTUP = dt.timedelta(seconds=12)
"""Long enough for a traced daemon to start on a busy machine before its reminder is due."""


def test_daemon_and_the_session_it_starts_make_no_network_attempt(work: Path) -> None:
    data = work / "data"
    (data / "routine.toml").write_text('[reminders]\ntimezone = "UTC"\n', encoding="utf-8")
    (work / "answers.txt").write_text("start\n", encoding="utf-8")
    (work / "session.txt").write_text("", encoding="utf-8")
    now = dt.datetime.now(dt.timezone.utc)
    if (now + STARTUP).date() != now.date():  # a time past midnight would be tomorrow's
        time.sleep(STARTUP.total_seconds())
    due = dt.datetime.now(dt.timezone.utc) + STARTUP
    daemon = Traced(
        work,
        "daemon",
        "daemon",
        "--data-dir",
        str(data),
        "--no-voice",
        "--at",
        f"{due:%H:%M:%S}",
        "--script",
        str(work / "answers.txt"),
        "--session-script",
        str(work / "session.txt"),
        "--time-scale",
        "20",
    )
    try:
        daemon.wait_for("companion daemon: session ended")
        assert daemon.stop() == 0, daemon.text()
    finally:
        daemon.kill()
    started = re.search(r'execve\(.*"companion.cli.main", "session"', daemon.trace.read_text())
    assert started, "the daemon's session ran untraced"
    daemon.assert_offline()


@pytest.mark.audio
def test_a_spoken_session_that_listens_makes_no_network_attempt(
    pulse_server: PulseServer, work: Path
) -> None:
    """As at home: the companion speaks (pyttsx3, espeak-ng) and listens (PortAudio, the
    recognisers, onnxruntime), both through the audio server's local socket."""
    data = work / "data"
    session = Traced(work, "listening", "--data-dir", str(data), "session")
    try:
        wait_for_event(data / "events.log", "listen", session)
        time.sleep(LISTEN_S)
        session.stop()
    finally:
        session.kill()
    trace = session.trace.read_text(encoding="utf-8")
    assert pulse_server.env["PULSE_SERVER"].removeprefix("unix:") in trace
    session.assert_offline()


LISTEN_S = 3
"""How long the session listens before it is stopped."""


def wait_for_event(log: Path, kind: str, traced: Traced, timeout: float = 60) -> None:
    """Wait until the event log has an event of ``kind``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and traced.proc.poll() is None:
        if log.exists() and f"\t{kind}\t" in log.read_text(encoding="utf-8"):
            return
        time.sleep(0.1)
    traced.kill()
    pytest.fail(f"the session never logged {kind!r}; output:\n{traced.text()}")
