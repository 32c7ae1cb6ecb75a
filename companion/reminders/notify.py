"""Desktop notifications for reminders, where a desktop session runs: the freedesktop
``org.freedesktop.Notifications.Notify`` call on the session's D-Bus, made with jeepney.

jeepney rather than desktop-notifier or notify-py: it is pure Python with no dependencies of
its own (kept by the Jupyter/keyring maintainers, in most Linux desktops' Python), it speaks
D-Bus itself (notify-py runs ``notify-send``; desktop-notifier needs asyncio and the compiled
dbus-fast), and every step can be given a time limit (issue 17: no wait without a bound).

Optional and quiet: without a session bus or a notification service the reminder is spoken and
shown as before; why is logged once (then only at debug level). Nothing here ever raises.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from companion.commands import Vocabulary
from companion.events import Begin, Say
from companion.prompts import Prompts
from companion.reminders.conversation import Conversation, Settings

log = logging.getLogger(__name__)
APP_NAME = "Hand exercises"
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
WAIT_S = 2.0
"""Longest wait for each step (connecting, the bus's greeting, the notification's reply)."""
EXPIRE_MS = -1
"""The desktop's own time for a notification to stay (-1: its default)."""
URGENCY_NORMAL = 1
_logged: set[str] = set()
"""Kinds of failure already logged at info level (each is logged once a process)."""


def bus_address(env: Mapping[str, str]) -> str | None:
    """The desktop session's D-Bus address, or None when no desktop session can be reached."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and (Path(runtime) / "bus").is_socket():  # systemd's user bus
        return f"unix:path={Path(runtime) / 'bus'}"
    return None


def desktop_present(env: Mapping[str, str]) -> bool:
    """Whether a desktop session's notifications may be reached from here."""
    return bus_address(env) is not None


def _once(kind: str, message: str, *args: object) -> None:
    """Log why no notification was shown: at info level the first time, then at debug."""
    level = logging.DEBUG if kind in _logged else logging.INFO
    _logged.add(kind)
    log.log(level, message, *args)


def send(title: str, body: str, env: Mapping[str, str] | None = None) -> bool:
    """Show one notification; whether the desktop took it (never raises; bounded in time)."""
    env = os.environ if env is None else env
    address = bus_address(env)
    if address is None:
        _once("no-bus", "no desktop session bus: reminders are not shown as notifications")
        return False
    try:
        notification_id = _notify(address, title, body)
    except Exception as exc:  # noqa: BLE001 - a notification never stops the reminder
        _once(type(exc).__name__, "the desktop notification could not be shown: %r", exc)
        return False
    log.debug("desktop notification %s shown", notification_id)
    return True


def _notify(address: str, title: str, body: str) -> int:
    """The Notify call on the bus at ``address``; the notification's id. Raises on failure."""
    # jeepney: imported here, so that a missing or broken install only costs the notification
    from jeepney import DBusAddress, new_method_call
    from jeepney.bus import get_bus
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import prep_socket
    from jeepney.io.threading import DBusConnection, DBusRouter, Proxy
    from jeepney.wrappers import unwrap_msg

    sock = prep_socket(get_bus(address), timeout=WAIT_S)  # connect and authenticate, bounded
    conn = DBusConnection(sock)
    try:
        with DBusRouter(conn) as router:
            conn.unique_name = Proxy(message_bus, router, timeout=WAIT_S).Hello()[0]
            target = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
            hints = {"category": ("s", "reminder"), "urgency": ("y", URGENCY_NORMAL)}
            call = new_method_call(
                target,
                "Notify",
                "susssasa{sv}i",
                (APP_NAME, 0, "", title, body, [], hints, EXPIRE_MS),
            )
            reply = router.send_and_get_reply(call, timeout=WAIT_S)
            return int(unwrap_msg(reply)[0])  # a refusal (no service) raises here
    finally:
        conn.close()


def reminder_lines(
    words: Prompts, vocab: Vocabulary, settings: Settings, now: dt.datetime
) -> tuple[str, str]:
    """(title, body): the reminder's first spoken line, then the rest of what it first says."""
    said = [e.text for e in Conversation(words, vocab, settings).handle(Begin(), now)
            if isinstance(e, Say)]  # fmt: skip
    return (said[0] if said else "", " ".join(said[1:]))


def reminder(
    words: Prompts,
    vocab: Vocabulary,
    settings: Settings,
    now: dt.datetime,
    env: Mapping[str, str] | None = None,
) -> bool:
    """Notify the desktop that a reminder is being given (the same words it says)."""
    try:
        title, body = reminder_lines(words, vocab, settings, now)
    except Exception:  # noqa: BLE001 - a notification never stops the reminder
        log.exception("the reminder's notification could not be worded")
        return False
    return send(title, body, env)
