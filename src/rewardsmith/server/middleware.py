"""ASGI middleware: request body size limit (413 for a declared or a chunked body over it) and request metrics."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable

import orjson

from rewardsmith.server.metrics import ServerMetrics

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())] + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": data})


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413: by Content-Length up front, else (a chunked body) while
    reading it, here, before the app sees any of it. The app then gets the body as one message.

    Reading the body here, not in the app, is what makes the answer 413: a limit enforced inside the app's
    own body reading surfaces as the framework's "error parsing the body" (400)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"request body larger than {self.limit} bytes"
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_json(send, 400, {"detail": "bad Content-Length"})
                    return
                if declared > self.limit:
                    await _send_json(send, 413, {"detail": message}, [(b"connection", b"close")])
                    return
        parts: list[bytes] = []
        seen = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":  # the client went away
                return
            chunk = msg.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _send_json(send, 413, {"detail": message}, [(b"connection", b"close")])
                return
            parts.append(chunk)
            if not msg.get("more_body", False):
                break
        body = b"".join(parts)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would say it

        await self.app(scope, replay, send)


class RequestMetrics:
    """Counts requests by endpoint and status code and times them (known paths only: bounded labels)."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics, paths: Callable[[], set[str]]) -> None:
        self.app, self.metrics, self.paths = app, metrics, paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        endpoint = path if path in self.paths() else "other"
        code = 500
        started = time.perf_counter()

        async def tracking_send(msg: Message) -> None:
            nonlocal code
            if msg["type"] == "http.response.start":
                code = int(msg["status"])
            await send(msg)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self.metrics.requests.labels(endpoint, str(code)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
            if code == 429:
                self.metrics.rejected.inc()
