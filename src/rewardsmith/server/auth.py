"""Token check for the scoring endpoints (constant-time comparison), and the ASGI middleware that applies it
before anything reads the request body.

The token travels as ``Authorization: Bearer <token>`` or as the password of HTTP Basic auth (any user
name): OpenRLHF's remote reward client sends nothing but a URL, and aiohttp turns the user info of
``http://rewardsmith:TOKEN@host:8000/get_reward`` into a Basic header.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any, Awaitable, Callable

import orjson

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths anyone may call (liveness and readiness; no data, no work).
OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def presented_token(header: str | None) -> str | None:
    """The token an ``Authorization`` header carries: Bearer, or the password of Basic.

    >>> presented_token("Bearer s3cret"), presented_token("Basic " + base64.b64encode(b"rewardsmith:s3cret").decode())
    ('s3cret', 's3cret')
    >>> presented_token("Basic !!!"), presented_token(None)
    (None, None)
    """
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep else None
    return None


def token_matches(header: str | None, token: str | None) -> bool:
    """Whether an ``Authorization`` header carries the token; everything passes when token is None.

    >>> token_matches("Bearer s3cret", "s3cret"), token_matches("Bearer nope", "s3cret"), token_matches(None, "s3cret")
    (True, False, False)
    >>> token_matches("Basic " + base64.b64encode(b"rewardsmith:s3cret").decode(), "s3cret")
    True
    >>> token_matches(None, None)
    True
    """
    if token is None:
        return True
    given = presented_token(header)
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), token.encode())


class RequireToken:
    """Answer 401 to a request without the token before the app (or anything) reads its body: an
    unauthenticated caller cannot make the server parse, buffer or even receive a large body.
    ``open_paths`` need no token."""

    def __init__(self, app: ASGIApp, token: str | None, open_paths: frozenset[str] | set[str] = OPEN_PATHS) -> None:
        self.app, self.token, self.open_paths = app, token, frozenset(open_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.token is None or scope.get("path", "") in self.open_paths:
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"authorization"), None)
        if token_matches(header, self.token):
            await self.app(scope, receive, send)
            return
        body = orjson.dumps({"detail": "missing or wrong token (Authorization: Bearer TOKEN, or TOKEN as the Basic auth password)"})
        await send({
            "type": "http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b"Bearer"), (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})
