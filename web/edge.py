"""What every request meets before any route: a cap on the body, and security headers on
every answer.

The body cap is checked on ``Content-Length`` before a byte is read, and counted while reading
(chunked bodies have no length): three 150 MB posts once took the service from 112 MB to a
gigabyte. An API call without a bearer token is refused before its body is read at all.
Pages get a Content-Security-Policy (scripts and styles from this site only, no framing), and
every answer ``nosniff``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Inline style attributes carry the timeline's positions; no inline script anywhere.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# /docs and /redoc (only with VIDVERIFY_WEB_PUBLIC_DOCS): their assets come from this site
# (fastapi-offline), but Swagger UI starts from one inline script and ReDoc runs its search in
# a blob: worker. Nothing from elsewhere (ReDoc's "powered by" logo stays out).
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class BodyTooLarge(HTTPException):
    """Raised by the capped ``receive``; an HTTPException so that FastAPI's body parsing lets it
    through as the 413 it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes")


async def _answer(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Edge:
    """ASGI middleware: body cap, token-first API, security headers."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        headers = dict(scope.get("headers") or [])
        extra = [*HEADERS, (b"content-security-policy", self._csp(path).encode())]
        length = headers.get(b"content-length")
        has_body = length not in (None, b"0") or b"chunked" in headers.get(b"transfer-encoding", b"")
        if path.startswith("/api/") and has_body:
            scheme = headers.get(b"authorization", b"").split(b" ", 1)[0].lower()
            if scheme != b"bearer":
                await _answer(
                    send,
                    401,
                    "a valid API token is required (Authorization: Bearer TOKEN)",
                    [*extra, (b"www-authenticate", b"Bearer")],
                )
                return
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await _answer(send, 413, f"the request body is over {self.max_body_bytes} bytes", extra)
            return
        received = 0
        started = False

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in names)]
            await send(message)

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, f"the request body is over {self.max_body_bytes} bytes", extra)

    @staticmethod
    def _csp(path: str) -> str:
        return DOCS_CSP if path in ("/docs", "/redoc") else PAGE_CSP
