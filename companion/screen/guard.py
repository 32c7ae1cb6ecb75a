"""Who may use the screen: requests for this computer only, state changes from its own pages.

A page on another site could point a browser at 127.0.0.1 (cross-site requests) or at a name
that resolves here (DNS rebinding). The first is refused by a per-run token that only our own
pages carry and an Origin check; the second by accepting only a loopback Host header.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
"""Host names a request may carry (without the port)."""
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
    """A state change comes from our own page: Origin (when sent) is this computer."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.scheme == "http" and loopback_host(parts.netloc)


def token_ok(given: str | None, token: str) -> bool:
    """The per-run token matches (compared in constant time)."""
    return bool(given) and hmac.compare_digest(str(given), token)


class LoopbackOnly:
    """ASGI middleware: refuse any request whose Host is not this computer; add safe headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if not loopback_host(host):
            body = b"This page is served to this computer only (open http://127.0.0.1)."
            await send(
                {
                    "type": "http.response.start",
                    "status": 421,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": body})
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
