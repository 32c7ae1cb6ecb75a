"""``companion screen``: the local web page (session, caregiver, report); ``session --screen``."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import TYPE_CHECKING

from companion import paths
from companion.errors import BadInputError
from companion.paths import Paths

if TYPE_CHECKING:  # the web stack is imported only when the screen is used
    from companion.screen.link import ScreenLink
    from companion.screen.pairing import Pairing
    from companion.screen.server import ScreenServer


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command."""
    p = subs.add_parser(
        "screen",
        parents=[common],
        help="open the exercise page in the browser (session, settings, report)",
        description="Serves the companion's pages on this computer only (http://127.0.0.1) "
        "and opens the browser: the session page with big buttons, the caregiver's settings, "
        "plan and history, and the therapist's report. Stop it with Ctrl-C.",
    )
    add_options(p)
    p.add_argument(
        "--lan",
        action="store_true",
        help="also open the pages to a tablet on the home network, after pairing with a code "
        "shown here",
    )
    p.add_argument("--no-voice", action="store_true", help="sessions started here: no speech")
    p.add_argument("--time-scale", type=float, default=1.0, metavar="F", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def add_options(p: argparse.ArgumentParser) -> None:
    """``--port`` and ``--no-browser`` (also on ``session --screen``)."""
    from companion.screen import DEFAULT_PORT  # the web stack itself only when it runs

    p.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        metavar="N",
        help=f"the page's port on this computer (default {DEFAULT_PORT})",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")


def check_port(port: int) -> int:
    """A port a user program may listen on (0: any free one)."""
    if port != 0 and not 1024 <= port <= 65535:
        raise BadInputError("--port must be a number from 1024 to 65535")
    return port


def _announce(url: str, browser: bool, pairing: Pairing | None = None) -> None:
    # the web stack: imported only when the screen is used (as above)
    from companion.screen.server import open_browser

    opened = browser and open_browser(url)
    how = "Opened" if opened else "Open"
    if pairing is None:
        print(f"{how} the exercise page: {url}  (this computer only)", file=sys.stderr)
        return
    print(f"{how} the exercise page: {url}  (this computer)", file=sys.stderr)
    print(
        f"On a tablet on the same home network, open {pairing.url} and type the pairing code "
        f"{pairing.shown}",
        file=sys.stderr,
    )


def _lan_address() -> str:
    """This computer's home-network address, or a plain message why ``--lan`` cannot work."""
    # the web stack: imported only when the screen is used (as above)
    from companion.screen.pairing import lan_address

    address = lan_address()
    if address is None:
        raise BadInputError(
            "This computer is not on a home network, so --lan cannot be used.",
            hint="Connect it to the home network (Wi-Fi or a cable), or leave out --lan.",
        )
    return address


def start_for_session(where: Paths, port: int, browser: bool) -> tuple[ScreenLink, ScreenServer]:
    """The screen for a session run from the command line: (ScreenLink, running ScreenServer)."""
    # the web stack (starlette, uvicorn, jinja2): imported only when the screen runs
    from companion.screen import guard
    from companion.screen.app import Screen
    from companion.screen.link import ScreenLink
    from companion.screen.live import Live
    from companion.screen.server import ScreenServer

    live = Live()
    server = ScreenServer(Screen(live, where, guard.new_token()), check_port(port))
    _announce(server.start(), browser)
    return ScreenLink(live), server


def attach_running(where: Paths, stack: contextlib.ExitStack) -> ScreenLink:
    """A session run from the command line (or the reminder daemon) shows on an open
    ``companion screen`` of the same data folder, or on the first one opened while it runs."""
    from companion.screen.attach import attach_or_wait  # the socket's client (no web stack)

    link, remote = attach_or_wait(where.data_dir)
    stack.callback(remote.close)
    return link


def run(args: argparse.Namespace) -> int:
    """Serve the pages until Ctrl-C."""
    # the web stack (starlette, uvicorn, jinja2): imported only when the screen runs
    from companion.screen import guard
    from companion.screen.app import Screen
    from companion.screen.bridge import SessionBridge
    from companion.screen.link import ScreenLink
    from companion.screen.live import Live
    from companion.screen.pairing import Pairing
    from companion.screen.pairing_voice import PairingVoice
    from companion.screen.reminder_state import ReminderWatch
    from companion.screen.server import ALL_ADDRESSES, HOST, ScreenServer
    from companion.screen.sessions import SessionStarter, screen_options

    if not 0.01 <= args.time_scale <= 1000:
        raise BadInputError("--time-scale must be between 0.01 and 1000")
    where: Paths = paths.resolve(args.data_dir).ensure()
    live = Live()
    options = screen_options(ScreenLink(live), args.time_scale, voice=not args.no_voice)
    reminders = ReminderWatch(where, live)
    starter = SessionStarter(where, live, options)
    screen = Screen(live, where, guard.new_token(), starter, reminders)
    lan = _lan_address() if args.lan else None
    said = PairingVoice(where, live, voice=not args.no_voice, busy=starter.running) if lan else None

    def announce(text: str) -> None:
        print(f"[screen] {text}", file=sys.stderr)
        if said is not None and screen.pairing is not None:
            said.say(screen.pairing.code, new=True)

    if lan:  # before the app is made: its guard holds the pairing
        screen.pairing = Pairing("", announce)
    server = ScreenServer(screen, check_port(args.port), ALL_ADDRESSES if lan else HOST)
    url = server.start()
    if screen.pairing is not None:
        screen.pairing.url = f"http://{lan}:{server.port}/"
    bridge = SessionBridge(where.data_dir, live)  # sessions run elsewhere show on the page
    bridge.start()
    reminders.start()
    _announce(url, not args.no_browser, screen.pairing)
    if said is not None and screen.pairing is not None:
        said.say(screen.pairing.code, new=False)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("[screen stopped]", file=sys.stderr)
    finally:
        reminders.stop()
        bridge.stop()
        server.stop()
        if said is not None:
            said.close()
    return 0
