"""Who may use the screen: requests for this computer only (or paired tablets on the home
network with ``--lan``), state changes from its own pages.

A page on another site could point a browser at 127.0.0.1 (cross-site requests) or at a name
that resolves here (DNS rebinding). The first is refused by a per-run token that only our own
pages carry and an Origin check; the second by accepting only a loopback Host header.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from companion.screen import pairing
from companion.screen.pairing import Pairing

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
"""Host names a request may carry (without the port)."""
LOOPBACK_CLIENTS = frozenset({"127.0.0.1", "::1"})
"""Client addresses of this computer itself."""
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The pages load nothing but their own files."""


def new_token() -> str:
    """A fresh token for one run of the server."""
    return secrets.token_urlsafe(24)


def host_of(value: str) -> str:
    """The host name of a Host header, without the port ("127.0.0.1:8766" -> "127.0.0.1")."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def loopback_host(value: str) -> bool:
    """Whether a Host (or Origin's host) names this computer."""
    return host_of(value) in LOOPBACK_HOSTS


def same_origin(request: Request) -> bool:
    """A state change comes from our own page: Origin (when sent) is this computer, or for a
    paired tablet exactly the address it asked for (the Host header)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    host = request.headers.get("host", "")
    if parts.scheme != "http":
        return False
    if loopback_host(host):
        return loopback_host(parts.netloc)
    return parts.netloc.lower() == host.strip().lower()


def from_this_computer(request: Request) -> bool:
    """Whether the request comes from this computer itself (not a paired tablet)."""
    client = request.client.host if request.client else ""
    return client in LOOPBACK_CLIENTS and loopback_host(request.headers.get("host", ""))


def lan_host(value: str) -> bool:
    """Whether a Host header names this computer by a home-network address (never a name,
    which another site could make point here)."""
    name = host_of(value).strip("[]")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    return pairing.home_network_client(str(ip)) and not ip.is_loopback


def token_ok(given: str | None, token: str) -> bool:
    """The per-run token matches (compared in constant time)."""
    return bool(given) and hmac.compare_digest(str(given), token)


PAIRING_PATHS = ("/pair",)
"""What an unpaired tablet may open (with the page's own styles)."""


Refusal = Callable[[Send], Awaitable[None]]
"""Sends a plain-text refusal."""


def _plain(status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> Refusal:
    async def respond(send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])],
            }
        )
        await send({"type": "http.response.body", "body": text.encode()})

    return respond


class Guard:
    """ASGI middleware: who may open which page; safe headers on every answer.

    Without pairing (the default) only requests naming this computer are served. With pairing
    (``--lan``): this computer as before; a device on the home network by the computer's
    address, and only the pairing page until it holds a paired device's cookie.
    """

    def __init__(self, app: ASGIApp, pairing: Pairing | None = None) -> None:
        self.app = app
        self.pairing = pairing

    def _refusal(self, scope: Scope) -> Refusal | None:
        """None if the request may go on, else how to refuse it."""
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        if self.pairing is None:
            if loopback_host(host):
                return None
            return _plain(421, "This page is served to this computer only (open http://127.0.0.1).")
        client = (scope.get("client") or ("", 0))[0]
        if loopback_host(host) and client in LOOPBACK_CLIENTS:
            return None
        if not pairing.home_network_client(client):
            return _plain(403, "This page is served on the home network only.")
        if not lan_host(host):
            return _plain(
                421, "Open this page by the computer's address (like http://192.168.1.20:8766)."
            )
        path = scope.get("path", "")
        if path in PAIRING_PATHS or path.startswith("/static/"):
            return None
        if self.pairing.paired(Request(scope).cookies.get(pairing.COOKIE)):
            return None
        if scope.get("method") in ("GET", "HEAD"):
            return _plain(303, "Pair this device first: /pair", [(b"location", b"/pair")])
        return _plain(403, "This device is not paired with the companion; nothing was changed.")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
