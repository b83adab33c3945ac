"""The FastAPI service: score endpoints, NDJSON streaming, OpenRLHF's /get_reward, health and metrics.

The spec is fixed when the server starts (there is no endpoint that uploads a spec or code). Every endpoint
but ``/healthz`` and ``/readyz`` requires the token (``Authorization: Bearer <token>``, or the token as the
password of HTTP Basic auth) unless the server runs with ``insecure_local`` on a loopback address; it is
checked before the request body is read. The API docs (``/docs``, ``/redoc``, ``/openapi.json``) are served
only with ``ServerConfig.docs`` (``serve --docs``); then they need no token (a browser could not send one),
as they hold the schema only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import orjson
import pydantic
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rewardsmith.server.admission import Admission, QueueFull
from rewardsmith.server.auth import OPEN_PATHS, RequireToken, token_matches
from rewardsmith.server.config import ServerConfig
from rewardsmith.server.metrics import ServerMetrics
from rewardsmith.server.middleware import BodyLimit, RequestMetrics
from rewardsmith.server.rows_in import BadRows, dumps, out_rows, to_samples
from rewardsmith.server.schemas import (
    GroupsRequest,
    GroupsResponse,
    InputRow,
    OpenRLHFRequest,
    OpenRLHFResponse,
    Problem,
    ScoreRequest,
    ScoreResponse,
    SpecResponse,
)
from rewardsmith.types import RewardResult, Sample, Status

log = logging.getLogger("rewardsmith.server")

NDJSON = "application/x-ndjson"
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or wrong bearer token"},
    413: {"model": Problem, "description": "body or batch too large"},
    422: {"model": Problem, "description": "malformed request or row"},
    429: {"model": Problem, "description": "queue full; see Retry-After"},
}


class ServiceState:
    """What the endpoints share: the engine, the limits, admission and metrics."""

    def __init__(self, engine: Any, config: ServerConfig) -> None:
        self.engine = engine
        self.config = config
        self.admission = Admission(config.max_pending)
        self.metrics = ServerMetrics(engine, self.admission)
        self.spec = engine.spec
        self.spec_hash: str = engine.spec.spec_hash()
        self.ready = False
        self.metrics.info.labels(self.spec.name, self.spec_hash).set(1)

    async def score(self, samples: list[Sample], step: int | None) -> list[RewardResult]:
        """Admit, wait for the engine, score; raises QueueFull before anything runs."""
        async with self.admission.admitted(len(samples)):
            async with self.admission.engine_turn(len(samples)):
                results = await self.engine.ascore(samples, step=step)
        for r in results:
            self.metrics.samples.labels(r.status.value).inc()
        return results


def _busy(exc: QueueFull) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)})


def _json(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(obj), status_code=status, media_type="application/json", headers=headers)


def _check_batch(n: int, limit: int) -> None:
    if n > limit:
        raise HTTPException(413, f"batch of {n} samples is over the limit of {limit}; split it or use /v1/score/stream")


def create_app(engine: Any, config: ServerConfig | None = None) -> FastAPI:
    """Build the service around a ready engine (the app closes it on shutdown)."""
    config = config or ServerConfig(insecure_local=True)
    config.check()
    state = ServiceState(engine, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.ready = True
        log.info("serving spec %s (hash %s)", state.spec.name, state.spec_hash)
        try:
            yield
        finally:
            # uvicorn has stopped accepting and waited for open requests; refuse new work, drain the rest
            state.ready = False
            state.admission.closing = True
            deadline = time.monotonic() + config.drain_seconds
            while state.admission.pending > 0 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.to_thread(engine.close)

    app = FastAPI(
        title="rewardsmith",
        version="1",
        summary="Reward scoring service: tri-state rewards (ok / abstain / error) for LLM RL.",
        lifespan=lifespan,
        docs_url="/docs" if config.docs else None,
        redoc_url="/redoc" if config.docs else None,
        openapi_url="/openapi.json" if config.docs else None,
    )
    app.state.service = state

    def authorized(request: Request) -> None:
        if not token_matches(request.headers.get("authorization"), config.token):
            raise HTTPException(401, "missing or wrong token", headers={"WWW-Authenticate": "Bearer"})

    auth = [Depends(authorized)]

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"model": Problem}})
    async def readyz() -> Response:
        """Readiness: the engine is up and the server is not shutting down. Nothing more: it needs no token,
        so it says nothing about the spec or the load (``/v1/spec`` and ``/metrics`` do, with the token)."""
        if not state.ready or state.admission.closing:
            return _json({"status": "not ready"}, 503)
        return _json({"status": "ready"})

    @app.get("/v1/spec", response_model=SpecResponse, dependencies=auth, responses=ERRORS, tags=["score"])
    async def get_spec() -> Response:
        """The spec this server scores with (fixed at start) and its hash."""
        comps = [
            {"name": c.name, "reward": b.definition.name, "executor": b.definition.executor, "per": b.definition.per, "source": b.definition.source}
            for c, b in zip(state.spec.components, state.spec.bound)
        ]
        return _json(
            {
                "name": state.spec.name,
                "version": state.spec.version,
                "spec_hash": state.spec_hash,
                "components": comps,
                "spec": state.spec.model_dump(mode="json", by_alias=True),
            }
        )

    @app.post("/v1/score", response_model=ScoreResponse, dependencies=auth, responses=ERRORS, tags=["score"])
    async def score(body: ScoreRequest) -> Response:
        """Score one batch: ``{"samples": [input rows]}`` -> ``{"results": [output rows], "spec_hash"}``."""
        _check_batch(len(body.samples), config.max_batch)
        try:
            dicts, samples = to_samples(body.samples)
        except BadRows as exc:
            raise HTTPException(422, exc.problems) from None
        try:
            results = await state.score(samples, body.step)
        except QueueFull as exc:
            return _busy(exc)
        return _json({"results": out_rows(dicts, results), "spec_hash": state.spec_hash})

    @app.post("/v1/score/groups", response_model=GroupsResponse, dependencies=auth, responses=ERRORS, tags=["score"])
    async def score_groups(body: GroupsRequest) -> Response:
        """Score groups (GRPO: the n completions of one prompt), one batch; group normalisation sees each group."""
        total = sum(len(g.samples) for g in body.groups)
        _check_batch(total, config.max_batch)
        ids = [g.id for g in body.groups]
        if len(set(ids)) != len(ids):
            raise HTTPException(422, "group ids must be unique")
        dicts: list[dict[str, Any]] = []
        samples: list[Sample] = []
        sizes: list[int] = []
        try:
            for g in body.groups:
                d, s = to_samples(g.samples, group=g.id, offset=len(samples))
                dicts += d
                samples += s
                sizes.append(len(s))
        except BadRows as exc:
            raise HTTPException(422, exc.problems) from None
        try:
            results = await state.score(samples, body.step)
        except QueueFull as exc:
            return _busy(exc)
        rows = out_rows(dicts, results)
        out, at = [], 0
        for gid, n in zip(ids, sizes):
            out.append({"id": gid, "results": rows[at : at + n]})
            at += n
        return _json({"groups": out, "spec_hash": state.spec_hash})

    @app.post(
        "/v1/score/stream",
        dependencies=auth,
        responses={**ERRORS, 200: {"content": {NDJSON: {}}, "description": "one output row per line, in input order"}},
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ScoreRequest"}},
                    NDJSON: {"schema": {"$ref": "#/components/schemas/InputRow"}},
                },
            }
        },
        tags=["score"],
    )
    async def score_stream(request: Request, step: int | None = Query(default=None)) -> Response:
        """Large batches: rows in (JSON ``{"samples"}`` or NDJSON), output rows out as NDJSON as chunks finish.

        Rows are scored in chunks of ``stream_chunk`` that never split a group (consecutive rows with the
        same ``group``), so batch-level transforms see one chunk at a time, as in ``rewardsmith score``.
        """
        raw = await request.body()
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype in (NDJSON, "application/jsonl", "application/json-lines"):
                rows = [InputRow.model_validate(orjson.loads(line)) for line in raw.splitlines() if line.strip()]
            else:
                parsed = ScoreRequest.model_validate(orjson.loads(raw))
                rows, step = parsed.samples, parsed.step if parsed.step is not None else step
        except orjson.JSONDecodeError as exc:
            raise HTTPException(422, f"malformed JSON: {exc}") from None
        except pydantic.ValidationError as exc:
            raise HTTPException(422, orjson.loads(exc.json(include_url=False))) from None
        _check_batch(len(rows), config.max_stream_samples)
        try:
            dicts, samples = to_samples(rows)
        except BadRows as exc:
            raise HTTPException(422, exc.problems) from None
        chunks = _chunks(dicts, config.stream_chunk)
        if chunks:  # a full server says 429 now rather than stalling the stream
            try:
                state.admission.check(chunks[0][1] - chunks[0][0])
            except QueueFull as exc:
                return _busy(exc)

        async def produce() -> AsyncIterator[bytes]:
            for lo, hi in chunks:
                n = hi - lo
                while True:
                    try:
                        state.admission.enter(n)
                        break
                    except QueueFull:
                        if state.admission.closing:
                            raise
                        await asyncio.sleep(0.05)
                try:
                    async with state.admission.engine_turn(n):
                        results = await state.engine.ascore(samples[lo:hi], step=step)
                finally:
                    state.admission.leave(n)
                for r in results:
                    state.metrics.samples.labels(r.status.value).inc()
                yield b"".join(dumps(row) + b"\n" for row in out_rows(dicts[lo:hi], results))

        return StreamingResponse(produce(), media_type=NDJSON, headers={"X-Spec-Hash": state.spec_hash})

    @app.post("/get_reward", response_model=OpenRLHFResponse, dependencies=auth, responses=ERRORS, tags=["openrlhf"])
    async def get_reward(body: OpenRLHFRequest, step: int | None = Query(default=None)) -> Response:
        """OpenRLHF ``--reward.remote_url``: ``query`` (prompt + response), ``prompts``, ``labels`` -> rewards.

        An error or abstain has no number here, so it becomes ``error_fill`` in ``rewards`` / ``scores``;
        ``extra_logs.rewardsmith_error`` / ``rewardsmith_abstain`` (1.0 / 0.0 per sample) say which.
        """
        n = len(body.query)
        _check_batch(n, config.max_batch)
        for name, values in (("prompts", body.prompts), ("labels", body.labels)):
            if values is not None and len(values) != n:
                raise HTTPException(422, f"'{name}' has {len(values)} items but 'query' has {n}")
        rows = []
        for i, q in enumerate(body.query):
            p = body.prompts[i] if body.prompts is not None else ""
            completion = q[len(p) :] if p and q.startswith(p) else q
            row: dict[str, Any] = {"prompt": p, "completion": completion}
            if body.labels is not None and body.labels[i] is not None:
                row["reference"] = body.labels[i]
            rows.append(InputRow.model_validate(row))
        try:
            _, samples = to_samples(rows)
        except BadRows as exc:
            raise HTTPException(422, exc.problems) from None
        try:
            results = await state.score(samples, step)
        except QueueFull as exc:
            return _busy(exc)
        return _json(openrlhf_payload(results, [c.name for c in state.spec.components], config.error_fill))

    @app.get("/metrics", dependencies=auth, tags=["health"], responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
    async def metrics() -> Response:
        """Prometheus exposition."""
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    known = {r.path for r in app.routes if hasattr(r, "path")}  # type: ignore[attr-defined]
    # outermost last: metrics see every answer; the token is checked before the body limit reads the body
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)
    open_paths = OPEN_PATHS | ({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"} if config.docs else set())
    app.add_middleware(RequireToken, token=config.token, open_paths=open_paths)
    app.add_middleware(RequestMetrics, metrics=state.metrics, paths=lambda: known)
    return app


def openrlhf_payload(results: list[RewardResult], components: list[str], fill: float) -> dict[str, Any]:
    """``{"rewards", "scores", "extra_logs"}`` with one number per sample everywhere (OpenRLHF concatenates them).

    >>> openrlhf_payload([RewardResult.ok(1.0, {"c": 1.0}), RewardResult.error("boom", {"c": None})], ["c"], 0.0)
    {'rewards': [1.0, 0.0], 'scores': [1.0, 0.0], 'extra_logs': {'rewardsmith_error': [0.0, 1.0], 'rewardsmith_abstain': [0.0, 0.0], 'c': [1.0, 0.0]}}
    """
    rewards = [r.value if r.value is not None else fill for r in results]
    logs: dict[str, list[float]] = {
        "rewardsmith_error": [1.0 if r.status is Status.ERROR else 0.0 for r in results],
        "rewardsmith_abstain": [1.0 if r.status is Status.ABSTAIN else 0.0 for r in results],
    }
    for name in components:
        logs[name] = [float(v) if (v := r.components.get(name)) is not None else fill for r in results]
    return {"rewards": rewards, "scores": list(rewards), "extra_logs": logs}


def _chunks(rows: list[dict[str, Any]], size: int) -> list[tuple[int, int]]:
    """``[lo, hi)`` spans of about ``size`` rows that never split consecutive rows of one group."""
    spans: list[tuple[int, int]] = []
    lo = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows):
            spans.append((lo, i))
        elif i - lo >= size and (rows[i].get("group") is None or rows[i].get("group") != rows[i - 1].get("group")):
            spans.append((lo, i))
            lo = i
    return spans
