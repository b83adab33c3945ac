"""Judge operations: concurrency limit, token bucket, retries with backoff, fallback, usage, budget, dedupe.

``client_for(config)`` gives the one ``JudgeClient`` of a judge setup in this process (keyed by the
config without its API key), so every component, batch and loop that uses the same judge shares its limits
and its ``Ledger``. ``JudgeClient.ask(request)``:

1. budget check (``budget_usd`` / ``max_calls`` / ``max_total_tokens``): exhausted -> ``BudgetExhausted``,
   no call is made;
2. in-flight dedupe: an identical request already running in this loop is awaited, not repeated;
3. per provider in ``[primary, *fallback]``: concurrency semaphore (per loop), token bucket
   (``rate_per_s``, process-wide), then up to ``max_retries`` retries on 429 / 5xx / timeouts with
   exponential backoff (``backoff_s`` * 2^k, jittered, or the server's ``Retry-After``);
4. usage and cost (``price_in_per_mtok`` / ``price_out_per_mtok``) are added to the ledger.

>>> bucket = TokenBucket(rate=1000.0, burst=2)
>>> bucket.try_take(), bucket.try_take(), bucket.try_take() > 0
(0.0, 0.0, True)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import threading
import time
import weakref
from dataclasses import dataclass, field, fields
from typing import Any

import orjson

from rewardsmith.judges.backends.base import Backend, JudgeCannotSee, JudgeHTTPError, JudgeReply, JudgeRequest
from rewardsmith.judges.config import (
    DEFAULT_OPENAI_MODEL,
    DEFAULT_OPENAI_URL,
    JudgeConfig,
    ProviderConfig,
    resolve_api_key,
    resolve_base_url,
    resolve_kind,
)

log = logging.getLogger("rewardsmith")


class BudgetExhausted(Exception):
    """The judge's budget cap is reached: no new call is made."""


class TokenBucket:
    """Thread-safe token bucket: ``rate`` tokens per second, at most ``burst`` saved."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self._tokens = self.burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def try_take(self) -> float:
        """Take a token if there is one (returns 0.0), else return the seconds to wait (and reserve it)."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self.rate

    async def take(self) -> None:
        wait = self.try_take()
        if wait > 0:
            await asyncio.sleep(wait)


@dataclass
class Ledger:
    """Usage of one judge setup in this process: calls, tokens, cost, retries, failures, inconsistencies."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0
    failures: int = 0
    fallbacks: int = 0
    deduped: int = 0
    budget_refusals: int = 0
    guarded: int = 0
    parse_failures: int = 0
    inconsistent_pairs: int = 0
    unseen_images: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: float) -> None:
        with self._lock:
            for k, v in counts.items():
                setattr(self, k, getattr(self, k) + v)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}
        out["total_tokens"] = self.total_tokens
        return out

    def reset(self) -> None:
        with self._lock:
            for k in self.snapshot():
                if k != "total_tokens":
                    setattr(self, k, 0.0 if k == "cost_usd" else 0)


def make_backend(p: ProviderConfig, timeout_s: float, concurrency: int) -> Backend:
    kind = resolve_kind(p)
    if kind == "openai":
        from rewardsmith.judges.backends.openai_http import OpenAIBackend

        url = resolve_base_url(p)
        model = p.model or (DEFAULT_OPENAI_MODEL if url == DEFAULT_OPENAI_URL else None)
        return OpenAIBackend(url, model, resolve_api_key(p), api=p.api, timeout_s=timeout_s,
                             max_connections=max(concurrency, 8))
    from rewardsmith.judges.backends.local import LocalBackend

    if kind == "transformers":
        if not p.model_path:
            raise ValueError("backend 'transformers' needs model_path (a local model folder)")
        return LocalBackend(p.model_path, p.gguf_file, threads=p.threads)
    return LocalBackend(None, threads=p.threads)


_EMBEDDED_SAID = False


class JudgeClient:
    """The operated judge of one ``JudgeConfig``: primary + fallback backends, limits, ledger."""

    def __init__(self, config: JudgeConfig) -> None:
        global _EMBEDDED_SAID
        self.config = config
        providers: list[ProviderConfig] = [config, *config.fallback]
        self.backends: list[Backend] = [make_backend(p, config.timeout_s, config.concurrency) for p in providers]
        if resolve_kind(config) == "embedded" and config.backend == "auto" and not _EMBEDDED_SAID:
            _EMBEDDED_SAID = True
            log.warning(
                "no judge configured (no base_url param, OPENAI_BASE_URL or OPENAI_API_KEY): judge rewards use "
                "the embedded SmolLM2-135M-Instruct, which is weak; configure a real judge for training"
            )
        self.ledger = Ledger()
        self.registry_key = ""
        self.bucket = TokenBucket(config.rate_per_s) if config.rate_per_s else None
        self._semaphores: list[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]] = [
            weakref.WeakKeyDictionary() for _ in self.backends
        ]
        self._inflight: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bytes, asyncio.Future[JudgeReply]]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def identity(self) -> str:
        return self.backends[0].identity

    def _semaphore(self, i: int) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._semaphores[i].get(loop)
        if sem is None:
            sem = asyncio.Semaphore(self.config.concurrency)
            self._semaphores[i][loop] = sem
        return sem

    def budget_problem(self) -> str | None:
        c, led = self.config, self.ledger
        if c.max_calls is not None and led.calls >= c.max_calls:
            return f"judge budget exhausted: {led.calls} calls >= max_calls {c.max_calls}"
        if c.budget_usd is not None and led.cost_usd >= c.budget_usd:
            return f"judge budget exhausted: ${led.cost_usd:.4f} >= budget_usd {c.budget_usd:g}"
        if c.max_total_tokens is not None and led.total_tokens >= c.max_total_tokens:
            return f"judge budget exhausted: {led.total_tokens} tokens >= max_total_tokens {c.max_total_tokens}"
        return None

    def _reserve_call(self) -> None:
        """Count a call, atomically with the budget check (cost caps may overshoot by the calls in flight)."""
        with self.ledger._lock:
            problem = self.budget_problem()
            if problem is None:
                self.ledger.calls += 1
            else:
                self.ledger.budget_refusals += 1
        if problem is not None:
            raise BudgetExhausted(problem)

    async def ask(self, request: JudgeRequest) -> JudgeReply:
        """One judge call with every operation applied; raises ``JudgeHTTPError`` / ``BudgetExhausted``."""
        loop = asyncio.get_running_loop()
        table = self._inflight.get(loop)
        if table is None:
            table = self._inflight[loop] = {}
        key = _request_key(request)
        running = table.get(key)
        if running is not None:
            self.ledger.add(deduped=1)
            return await asyncio.shield(running)
        future: asyncio.Future[JudgeReply] = loop.create_future()
        table[key] = future
        try:
            reply = await self._ask(request)
        except BaseException as exc:
            if not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning when nobody waits
            raise
        else:
            future.set_result(reply)
            return reply
        finally:
            table.pop(key, None)

    async def _ask(self, request: JudgeRequest) -> JudgeReply:
        errors: list[str] = []
        last: JudgeHTTPError | None = None
        media = request.media_count()
        blind = [b.identity for b in self.backends if media and not getattr(b, "sees_images", False)]
        tried = 0
        for i, backend in enumerate(self.backends):
            if backend.identity in blind:
                continue  # a text-only backend would score an answer about an image it never saw
            if tried:
                self.ledger.add(fallbacks=1)
            tried += 1
            try:
                return await self._ask_one(i, backend, request)
            except JudgeHTTPError as exc:
                last = exc
                errors.append(str(exc) if len(self.backends) == 1 else f"{backend.identity}: {exc}")
        if last is None:
            self.ledger.add(unseen_images=1)
            policy = self.config.on_unseen_images
            raise JudgeCannotSee(
                f"judge cannot see images: the request carries {media} image/media part(s) and "
                f"{', '.join(blind)} {'is' if len(blind) == 1 else 'are'} text-only; configure a vision judge "
                f"(base_url of an OpenAI-compatible server running a vision-language model, api: chat)"
                + ("" if policy == "abstain" else " or set on_unseen_images: abstain"),
                abstain=policy == "abstain",
                info={"judge": self.identity, "media_parts": media, "blind_backends": blind},
            )
        self.ledger.add(failures=1)
        raise JudgeHTTPError("; ".join(errors), last.status, last.retry_after)

    async def _ask_one(self, i: int, backend: Backend, request: JudgeRequest) -> JudgeReply:
        c = self.config
        attempt = 0
        while True:
            if self.bucket is not None:
                await self.bucket.take()
            try:
                async with self._semaphore(i):
                    self._reserve_call()
                    reply = await backend.complete(request)
            except JudgeHTTPError as exc:
                if not exc.retryable or attempt >= c.max_retries:
                    raise
                attempt += 1
                self.ledger.add(retries=1)
                wait = exc.retry_after if exc.retry_after is not None else c.backoff_s * 2 ** (attempt - 1)
                wait = min(wait, 30.0) * (1.0 if exc.retry_after is not None else random.uniform(0.5, 1.0))
                await asyncio.sleep(wait)
                continue
            cost = (reply.prompt_tokens * c.price_in_per_mtok + reply.completion_tokens * c.price_out_per_mtok) / 1e6
            reply.cost_usd = cost
            self.ledger.add(prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens, cost_usd=cost)
            if attempt:
                reply.info["retries"] = attempt
            if i:
                reply.info["fallback"] = i
            return reply


def _request_key(request: JudgeRequest) -> bytes:
    r = request
    payload = [r.messages, r.max_tokens, r.temperature, r.n, r.logprobs, r.top_logprobs, r.seed, r.prefill, r.choices]
    return hashlib.blake2b(orjson.dumps(payload, default=str), digest_size=16).digest()


_CLIENTS: dict[str, JudgeClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(config: JudgeConfig) -> JudgeClient:
    """The process-wide client of this judge setup."""
    key = config.key() + "|" + (resolve_api_key(config) or "")
    client = _CLIENTS.get(key)
    if client is None:
        with _CLIENTS_LOCK:
            client = _CLIENTS.get(key)
            if client is None:
                client = _CLIENTS[key] = JudgeClient(config)
                client.registry_key = key
    return client


_BY_PARAMS: dict[bytes, JudgeClient] = {}


def client_for_params(params: dict[str, Any]) -> JudgeClient:
    """``client_for(judge_config(params))``, memoised on the raw params (the per-call fast path)."""
    key = orjson.dumps(params, default=_plain, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    client = _BY_PARAMS.get(key)
    if client is None or _CLIENTS.get(client.registry_key) is not client:
        from rewardsmith.judges.config import judge_config

        client = client_for(judge_config(params))
        _BY_PARAMS[key] = client
    return client


def _plain(obj: Any) -> Any:
    return obj.model_dump() if hasattr(obj, "model_dump") else str(obj)


def usage_report() -> dict[str, dict[str, Any]]:
    """Per judge backend: the ledger of this process (calls, tokens, cost, retries, failures ...), the ledgers of
    several setups of one backend (e.g. with and without the guard) summed."""
    out: dict[str, dict[str, Any]] = {}
    for c in list(_CLIENTS.values()):
        snap = c.ledger.snapshot()
        got = out.get(c.identity)
        out[c.identity] = snap if got is None else {k: got[k] + v for k, v in snap.items()}
    return out


def reset_clients() -> None:
    """Forget every client (and its ledger); tests and new runs start clean."""
    with _CLIENTS_LOCK:
        _CLIENTS.clear()
        _BY_PARAMS.clear()
