"""OpenAI-compatible HTTP backend (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs) over httpx.

The HTTP client is aiohttp when it is installed (about 30x less client CPU per call than httpx at
concurrency 64, measured in bench/bench_judges.py), else httpx; one session per running event loop (the
engine may call from its own loop thread or from a server's loop; a session must not cross loops). Chat (``/chat/completions``) or text completions
(``/completions``); first-token top logprobs when asked and given. HTTP failures raise
``JudgeHTTPError`` carrying the status; retries and fallback live in ``operations``.
"""

from __future__ import annotations

import asyncio
import math
import functools
import importlib.util
import weakref
from typing import Any

import orjson

from rewardsmith.judges.backends.base import JudgeHTTPError, JudgeReply, JudgeRequest


def _close_session(session: Any) -> None:
    connector = session.connector
    if connector is not None:
        connector._close()  # sync part of close(): marks closed, closes transports if the loop still runs


@functools.lru_cache(maxsize=1)
def _has_aiohttp() -> bool:
    return importlib.util.find_spec("aiohttp") is not None


def _retry_after(headers: Any) -> float | None:
    value = headers.get("retry-after") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _first_token_top(choice: dict[str, Any], chat: bool) -> dict[str, float] | None:
    lp = choice.get("logprobs")
    if not lp:
        return None
    if chat:
        content = lp.get("content") or []
        if not content:
            return None
        first = content[0]
        top = {t["token"]: float(t["logprob"]) for t in first.get("top_logprobs") or [] if "token" in t}
        top.setdefault(first.get("token", ""), float(first.get("logprob", -math.inf)))
        return top
    tops = lp.get("top_logprobs") or []
    if tops and isinstance(tops[0], dict):
        return {k: float(v) for k, v in tops[0].items()}
    tokens, values = lp.get("tokens") or [], lp.get("token_logprobs") or []
    return {tokens[0]: float(values[0])} if tokens and values else None


class OpenAIBackend:
    """``base_url`` like ``http://127.0.0.1:8000/v1``; ``model`` None asks the server's ``/models`` once."""

    def __init__(
        self,
        base_url: str,
        model: str | None = None,
        api_key: str | None = None,
        *,
        api: str = "chat",
        timeout_s: float = 60.0,
        max_connections: int = 256,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.api = api
        self.timeout_s = timeout_s
        self.max_connections = max_connections
        self.extra_body = dict(extra_body or {})
        self.transport: Any = None  # an httpx transport to use instead of the network (benchmarks, tests)
        self.identity = f"openai:{self.base_url}:{model or '?'}:{api}"
        # chat requests carry image parts to the server (a text-only served model answers HTTP 400, an error);
        # the completions API flattens messages to text, so it cannot show an image
        self.sees_images = api == "chat"
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()  # per loop
        self._model_lock: asyncio.Lock | None = None

    def _httpx_client(self) -> Any:
        """The httpx client of the running loop (created on first use in that loop)."""
        import httpx

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers(),
                timeout=httpx.Timeout(self.timeout_s, connect=min(10.0, self.timeout_s)),
                limits=httpx.Limits(max_connections=self.max_connections, max_keepalive_connections=self.max_connections),
                transport=self.transport,
            )
            self._clients[loop] = client
        return client

    def _aiohttp_session(self) -> Any:
        """The aiohttp session of the running loop (created on first use in that loop)."""
        import aiohttp

        loop = asyncio.get_running_loop()
        session = self._clients.get(loop)
        if session is None or session.closed:
            session = aiohttp.ClientSession(
                headers=self._headers(),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s, connect=min(10.0, self.timeout_s)),
                connector=aiohttp.TCPConnector(limit=self.max_connections),
            )
            # close the session's connections when its loop goes away (no "unclosed session" warnings)
            weakref.finalize(loop, _close_session, session)
            self._clients[loop] = session
        return session

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    async def _send(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any, bytes]:
        """(status, headers, raw body); timeouts and connection failures raise ``JudgeHTTPError`` (no status)."""
        data = orjson.dumps(body) if body is not None else None
        if self.transport is None and _has_aiohttp():
            import aiohttp

            try:
                async with self._aiohttp_session().request(method, self.base_url + path, data=data) as response:
                    return response.status, response.headers, await response.read()
            except asyncio.TimeoutError:
                raise JudgeHTTPError(f"judge timeout after {self.timeout_s:g}s") from None
            except aiohttp.ClientError as exc:
                raise JudgeHTTPError(f"judge connection error: {type(exc).__name__}: {exc}") from None
        import httpx

        try:
            response = await self._httpx_client().request(method, path, content=data)
        except httpx.TimeoutException as exc:
            raise JudgeHTTPError(f"judge timeout after {self.timeout_s:g}s ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise JudgeHTTPError(f"judge connection error: {type(exc).__name__}: {exc}") from None
        return response.status_code, response.headers, response.content

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        status, headers, raw = await self._send("POST", path, body)
        if status != 200:
            snippet = raw[:200].decode(errors="replace").replace("\n", " ")
            raise JudgeHTTPError(f"judge HTTP {status}: {snippet}", status, _retry_after(headers))
        try:
            data = orjson.loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("choices"), list) or not data["choices"]:
                raise ValueError("no choices")
        except ValueError as exc:
            snippet = raw[:120].decode(errors="replace").replace("\n", " ")
            raise JudgeHTTPError(f"judge HTTP 200 with a malformed body ({exc}): {snippet!r}", 200) from None
        return data

    async def resolve_model(self) -> str:
        if self.model:
            return self.model
        if self._model_lock is None:
            self._model_lock = asyncio.Lock()
        async with self._model_lock:
            if not self.model:
                status, _, raw = await self._send("GET", "/models", None)
                try:
                    if status != 200:
                        raise ValueError(f"HTTP {status}")
                    self.model = str(orjson.loads(raw)["data"][0]["id"])
                except (KeyError, IndexError, ValueError, TypeError) as exc:
                    raise JudgeHTTPError(f"judge: no model given and {self.base_url}/models failed ({exc})", status) from None
        return self.model

    async def complete(self, request: JudgeRequest) -> JudgeReply:
        model = self.model or await self.resolve_model()
        chat = self.api == "chat"
        body: dict[str, Any] = {"model": model, "max_tokens": request.max_tokens, "temperature": request.temperature}
        if request.n > 1:
            body["n"] = request.n
        if request.seed is not None:
            body["seed"] = request.seed
        if chat:
            body["messages"] = list(request.messages)
            if request.logprobs:
                body["logprobs"] = True
                body["top_logprobs"] = max(1, request.top_logprobs)
        else:
            body["prompt"] = request.text_prompt()
            if request.logprobs:
                body["logprobs"] = max(1, request.top_logprobs)
        body.update(self.extra_body)
        data = await self._post("/chat/completions" if chat else "/completions", body)
        choices = sorted(data["choices"], key=lambda c: c.get("index", 0))
        try:
            texts = [str((c["message"].get("content") or "") if chat else c["text"]) for c in choices]
        except (KeyError, AttributeError, TypeError):
            raise JudgeHTTPError("judge HTTP 200 with a malformed body (choice without text)", 200) from None
        tops = [_first_token_top(c, chat) for c in choices] if request.logprobs else None
        usage = data.get("usage") or {}
        return JudgeReply(
            texts=texts,
            top_logprobs=None if tops is None or all(t is None for t in tops) else [t or {} for t in tops],
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            model=str(data.get("model") or model),
            backend=self.identity,
        )
