"""Python client of the reward service, sync and async (httpx), with retries; returns ``RewardResult``.

Retries: connection errors, 429 (waiting the server's Retry-After) and 502/503/504, with exponential
backoff up to ``retries`` times. Other 4xx raise ``ServerError`` with the server's message at once.

    client = RewardClient("http://127.0.0.1:8000", token="...")
    results = client.score([{"prompt": "1+1?", "completion": "2", "reference": "2"}])

Both clients have the engine's ``score(samples, step=None)`` shape, so a trainer adapter that takes an
engine can take a client instead.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any, AsyncIterator, Iterable, Iterator

import httpx
import orjson

from rewardsmith.types import RewardResult, Sample

RETRY_STATUS = frozenset({429, 502, 503, 504})


class ServerError(RuntimeError):
    """The service answered with an error; ``status`` is the HTTP code, ``detail`` its message."""

    def __init__(self, status: int, detail: Any) -> None:
        self.status, self.detail = status, detail
        super().__init__(f"HTTP {status}: {detail}")


def _rows(samples: Iterable[Sample | dict[str, Any]]) -> list[dict[str, Any]]:
    return [s.to_row() if isinstance(s, Sample) else dict(s) for s in samples]


def _detail(response: httpx.Response) -> Any:
    try:
        return response.json().get("detail", response.text)
    except Exception:
        return response.text


def _wait(response: httpx.Response | None, attempt: int, backoff: float) -> float:
    """Seconds before the next try: the server's Retry-After if given, else jittered exponential backoff.

    >>> _wait(httpx.Response(429, headers={"Retry-After": "3"}), 0, 0.1)
    3.0
    >>> 0.1 <= _wait(None, 0, 0.1) <= 0.2
    True
    """
    if response is not None:
        after = response.headers.get("retry-after")
        if after:
            try:
                return min(60.0, float(after))
            except ValueError:
                pass
    return backoff * (2**attempt) * (1 + random.random())


def results_of(payload: dict[str, Any]) -> list[RewardResult]:
    return [RewardResult.from_fields(row) for row in payload["results"]]


class _Base:
    def __init__(self, base_url: str, token: str | None, retries: int, backoff: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.attempts = 0  # HTTP attempts made (for tests and logs)

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            raise ServerError(response.status_code, _detail(response))


class RewardClient(_Base):
    """Synchronous client. Use as a context manager or call ``close()``."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 300.0, retries: int = 5, backoff: float = 0.2) -> None:
        super().__init__(base_url, token, retries, backoff)
        self._http = httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout)

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            self.attempts += 1
            try:
                response = self._http.request(method, path, **kw)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                last, response = exc, None
            else:
                if response.status_code not in RETRY_STATUS:
                    self._raise_for(response)
                    return response
                last = ServerError(response.status_code, _detail(response))
            if attempt < self.retries:
                time.sleep(_wait(response, attempt, self.backoff))
        assert last is not None
        raise last

    def score_rows(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> list[dict[str, Any]]:
        """Output rows (input row + reward, status, components, reason)."""
        body = orjson.dumps({"samples": _rows(samples), "step": step}, default=str)
        response = self._request("POST", "/v1/score", content=body, headers={"content-type": "application/json"})
        return list(response.json()["results"])

    def score(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> list[RewardResult]:
        return [RewardResult.from_fields(r) for r in self.score_rows(samples, step)]

    def score_groups(self, groups: dict[str, list[Sample | dict[str, Any]]], step: int | None = None) -> dict[str, list[RewardResult]]:
        """``{group_id: [samples]}`` -> ``{group_id: [results]}`` (one batch)."""
        body = {"groups": [{"id": g, "samples": _rows(ss)} for g, ss in groups.items()], "step": step}
        response = self._request("POST", "/v1/score/groups", content=orjson.dumps(body, default=str), headers={"content-type": "application/json"})
        return {g["id"]: [RewardResult.from_fields(r) for r in g["results"]] for g in response.json()["groups"]}

    def stream(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> Iterator[dict[str, Any]]:
        """Send rows as NDJSON and yield output rows as the server finishes them (no retry mid-stream)."""
        body = b"".join(orjson.dumps(r, default=str) + b"\n" for r in _rows(samples))
        params = {"step": step} if step is not None else None
        with self._http.stream("POST", "/v1/score/stream", content=body, params=params, headers={"content-type": "application/x-ndjson"}) as response:
            if response.status_code >= 400:
                response.read()
                self._raise_for(response)
            for line in response.iter_lines():
                if line.strip():
                    yield orjson.loads(line)

    def spec(self) -> dict[str, Any]:
        return dict(self._request("GET", "/v1/spec").json())

    def ready(self) -> bool:
        try:
            return self._http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncRewardClient(_Base):
    """Asynchronous client (``async with AsyncRewardClient(url) as c: await c.score(rows)``)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 300.0, retries: int = 5, backoff: float = 0.2, max_connections: int = 100) -> None:
        super().__init__(base_url, token, retries, backoff)
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=timeout, limits=limits)

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            self.attempts += 1
            try:
                response = await self._http.request(method, path, **kw)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                last, response = exc, None
            else:
                if response.status_code not in RETRY_STATUS:
                    self._raise_for(response)
                    return response
                last = ServerError(response.status_code, _detail(response))
            if attempt < self.retries:
                await asyncio.sleep(_wait(response, attempt, self.backoff))
        assert last is not None
        raise last

    async def score_rows(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> list[dict[str, Any]]:
        body = orjson.dumps({"samples": _rows(samples), "step": step}, default=str)
        response = await self._request("POST", "/v1/score", content=body, headers={"content-type": "application/json"})
        return list(response.json()["results"])

    async def score(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> list[RewardResult]:
        return [RewardResult.from_fields(r) for r in await self.score_rows(samples, step)]

    async def score_groups(self, groups: dict[str, list[Sample | dict[str, Any]]], step: int | None = None) -> dict[str, list[RewardResult]]:
        body = {"groups": [{"id": g, "samples": _rows(ss)} for g, ss in groups.items()], "step": step}
        response = await self._request("POST", "/v1/score/groups", content=orjson.dumps(body, default=str), headers={"content-type": "application/json"})
        return {g["id"]: [RewardResult.from_fields(r) for r in g["results"]] for g in response.json()["groups"]}

    async def stream(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> AsyncIterator[dict[str, Any]]:
        body = b"".join(orjson.dumps(r, default=str) + b"\n" for r in _rows(samples))
        params = {"step": step} if step is not None else None
        async with self._http.stream("POST", "/v1/score/stream", content=body, params=params, headers={"content-type": "application/x-ndjson"}) as response:
            if response.status_code >= 400:
                await response.aread()
                self._raise_for(response)
            async for line in response.aiter_lines():
                if line.strip():
                    yield orjson.loads(line)

    async def spec(self) -> dict[str, Any]:
        return dict((await self._request("GET", "/v1/spec")).json())

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncRewardClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
