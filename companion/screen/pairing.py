"""Pairing a device on the home network (``--lan``): a 6-digit code shown on this computer is
typed on the tablet, which then gets a cookie; wrong codes are slowed down and renew the code.

Only this run remembers paired devices (they pair again after a restart).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
DIGITS = 6
COOKIE = "companion_paired"
COOKIE_MAX_AGE_S = 30 * 24 * 3600
"""How long a paired tablet stays paired (while this run of the screen lasts)."""
MAX_WRONG = 5
"""Wrong codes before the code is replaced by a new one (shown on this computer)."""
WAIT_AFTER_WRONG_S = 3.0
"""After a wrong code, no code is tried for this long (from any device)."""


class Outcome:
    """What a code attempt came to."""

    PAIRED = "paired"
    WRONG = "wrong"
    WAIT = "wait"


def tidy(code: str) -> str:
    """The digits typed, without spaces or dashes ("123 456" -> "123456")."""
    return "".join(ch for ch in code if ch not in " -\t")[:32]


class Pairing:
    """The current code, the paired devices' cookies, and the count of wrong codes (thread-safe)."""

    def __init__(self, url: str, announce: Callable[[str], None]) -> None:
        self.url = url
        """The address a tablet opens (this computer's on the home network)."""
        self._announce = announce
        """Shows a new code on this computer (the terminal)."""
        self._lock = threading.Lock()
        self._paired: set[str] = set()
        self._wrong = 0
        self._wait_until = 0.0
        self.code = self._new_code()

    @staticmethod
    def _new_code() -> str:
        return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"

    def _renew(self, why: str) -> None:
        self.code = self._new_code()
        self._wrong = 0
        self._announce(f"{why}pairing code for a tablet: {self.shown}")

    @property
    def shown(self) -> str:
        """The code as shown to people ("123 456")."""
        return f"{self.code[:3]} {self.code[3:]}"

    def attempt(self, given: str, now: float) -> tuple[str, str]:
        """Try a code typed on a device at monotonic time ``now``: (outcome, cookie if paired)."""
        with self._lock:
            if now < self._wait_until:
                return Outcome.WAIT, ""
            if hmac.compare_digest(tidy(given).encode(), self.code.encode()):
                cookie = secrets.token_urlsafe(32)
                self._paired.add(cookie)
                self._renew("paired; for another device the ")
                return Outcome.PAIRED, cookie
            self._wrong += 1
            self._wait_until = now + WAIT_AFTER_WRONG_S
            log.warning("a wrong pairing code was typed (%d of %d)", self._wrong, MAX_WRONG)
            if self._wrong >= MAX_WRONG:
                self._renew("too many wrong codes; the new ")
            return Outcome.WRONG, ""

    def paired(self, cookie: str | None) -> bool:
        """Whether ``cookie`` belongs to a paired device."""
        if not cookie:
            return False
        with self._lock:
            return any(hmac.compare_digest(cookie, c) for c in self._paired)


def home_network_client(address: str) -> bool:
    """Whether a client address is on a home network (private or link-local), not the internet."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_link_local) and not ip.is_unspecified


def lan_address() -> str | None:
    """This computer's address on the home network (no packet is sent), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # a UDP "connect" only picks the route
            address = str(s.getsockname()[0])
        except OSError:
            return None
    ip = ipaddress.ip_address(address)
    return address if home_network_client(address) and not ip.is_loopback else None
