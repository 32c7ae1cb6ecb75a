"""Desktop notifications for reminders, where a desktop session runs (freedesktop ``notify-send``).

Optional and quiet: without the command (package libnotify-bin) or without a desktop session the
reminder is spoken and shown as before, and a notification that fails never stops the reminder.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import subprocess
from collections.abc import Mapping

from companion.commands import Vocabulary
from companion.events import Begin, Say
from companion.prompts import Prompts
from companion.reminders.conversation import Conversation, Settings

log = logging.getLogger(__name__)
COMMAND = "notify-send"
"""The freedesktop notification command (libnotify)."""
APP_NAME = "Hand exercises"
WAIT_S = 3.0
"""Longest wait for the command; the reminder goes on after it whatever happens."""
DESKTOP_VARIABLES = ("DBUS_SESSION_BUS_ADDRESS", "WAYLAND_DISPLAY", "DISPLAY")
"""Any of these set means a desktop session (its notification service) may be reached."""


def desktop_present(env: Mapping[str, str]) -> bool:
    """Whether a desktop session's notifications can be reached from here."""
    return any(env.get(name) for name in DESKTOP_VARIABLES)


def send(title: str, body: str, env: Mapping[str, str] | None = None) -> bool:
    """Show one notification; whether it was handed to the desktop (never raises)."""
    env = os.environ if env is None else env
    if not desktop_present(env):
        log.debug("no desktop session: no notification")
        return False
    exe = shutil.which(COMMAND, path=env.get("PATH"))
    if exe is None:
        log.debug("%s is not installed: no notification", COMMAND)
        return False
    cmd = [exe, f"--app-name={APP_NAME}", "--urgency=normal", "--category=reminder"]
    try:
        done = subprocess.run(
            [*cmd, "--", title, body],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=WAIT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.info("the desktop notification could not be shown: %s", exc)
        return False
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()[:200]
        log.info("the desktop notification was refused (%s): %s", done.returncode, detail)
        return False
    return True


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
