"""verl adapter: ``compute_score`` for ``custom_reward_function.path``, a batched variant, and an async remote
scorer that sends verl's per-sample calls to a rewardsmith server in batches.

Which spec scores a sample: the ``spec`` keyword (verl passes ``custom_reward_function.reward_kwargs``), else
``$REWARDSMITH_SPEC``, else the built-in default math spec (``rewardsmith/specs/default.yaml``) for every
``data_source`` -- pass ``spec`` or set the env var for anything that is not math.

Errors: verl has no masking (every sample needs a number). A sample whose rewardsmith status is ``error`` or
``abstain`` gets ``score = error_score`` (keyword or ``$REWARDSMITH_ERROR_SCORE``, default 0.0), is flagged
with ``rewardsmith_error`` / ``rewardsmith_abstain`` = 1.0 in the returned dict (verl puts these keys in
``reward_extra_info``, so they reach its metrics), and is logged on the ``rewardsmith.verl`` logger. With
``error_score="raise"`` an error raises instead (verl then fails the step, which is loud but safe).

The returned dict: ``score`` plus one float per component (``NaN`` where the component has no value) and
the two flags -- the same keys for every sample, as verl's ``reward_extra_info`` needs.

    custom_reward_function:
      path: <site-packages>/rewardsmith/integrations/verl.py
      name: compute_score          # or compute_score_batch with reward_manager=batch,
      reward_kwargs: {spec: /path/spec.yaml}   # or compute_score_remote with {url: http://host:8000}

>>> out = compute_score("openai/gsm8k", "6 * 3 = 18. The answer is 18.", "#### 18")
>>> out["score"], out["correct"], out["rewardsmith_error"]
(1.0, 1.0, 0.0)
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
from typing import Any, Sequence

from rewardsmith.engine.runner import Engine
from rewardsmith.spec import RewardSpec, default_spec, load_spec
from rewardsmith.types import RewardResult, Sample, Status

log = logging.getLogger("rewardsmith.verl")

SPEC_ENV = "REWARDSMITH_SPEC"
URL_ENV = "REWARDSMITH_URL"
TOKEN_ENV = "REWARDSMITH_TOKEN"
ERROR_SCORE_ENV = "REWARDSMITH_ERROR_SCORE"

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine(spec: str | dict[str, Any] | RewardSpec | None) -> Engine:
    """One engine per spec per process (verl imports this file once per reward worker)."""
    source = spec if spec is not None else os.environ.get(SPEC_ENV)
    key = repr(source) if not isinstance(source, RewardSpec) else f"spec:{id(source)}"
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            loaded = default_spec() if source is None else load_spec(source)
            engine = Engine(loaded)
            _engines[key] = engine
        return engine


def _error_score(value: float | str | None) -> float | str:
    if value is None:
        value = os.environ.get(ERROR_SCORE_ENV, "0.0")
    if isinstance(value, str) and value.strip().lower() == "raise":
        return "raise"
    return float(value)


def _sample(data_source: Any, solution_str: str, ground_truth: Any, extra_info: Any) -> Sample:
    extra = dict(extra_info) if isinstance(extra_info, dict) else {}
    prompt = extra.pop("prompt", "") if isinstance(extra.get("prompt"), (str, list)) else ""
    meta = {k: v for k, v in extra.items() if _plain(v)}
    meta["data_source"] = data_source if isinstance(data_source, str) else str(data_source)
    group = extra.get("uid") or extra.get("index")
    return Sample(prompt=prompt, completion=solution_str, reference=ground_truth, metadata=meta,
                  group=None if group is None else str(group))


def _plain(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool, list, dict))


def to_verl(result: RewardResult, components: Sequence[str], error_score: float | str) -> dict[str, Any]:
    """A rewardsmith result as verl's score dict (see the module doc for the error policy)."""
    if result.status is not Status.OK and error_score == "raise" and result.status is Status.ERROR:
        raise RuntimeError(f"rewardsmith: reward error: {result.reason}")
    fill = 0.0 if error_score == "raise" else float(error_score)
    out: dict[str, Any] = {"score": result.value if result.status is Status.OK else fill}
    for name in components:
        v = result.components.get(name)
        out[name] = math.nan if v is None else float(v)
    out["rewardsmith_error"] = 1.0 if result.status is Status.ERROR else 0.0
    out["rewardsmith_abstain"] = 1.0 if result.status is Status.ABSTAIN else 0.0
    return out


def _log_failures(results: Sequence[RewardResult], fill: float | str) -> None:
    bad = [r for r in results if r.status is not Status.OK]
    if bad:
        errors = sum(1 for r in bad if r.status is Status.ERROR)
        log.warning(
            "rewardsmith: %d error / %d abstain of %d samples scored %s for verl (flagged rewardsmith_error/_abstain); first: %s",
            errors, len(bad) - errors, len(results), fill, bad[0].reason,
        )


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict[str, Any] | None = None,
    *,
    spec: str | dict[str, Any] | RewardSpec | None = None,
    error_score: float | str | None = None,
    step: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    """verl's ``compute_score(data_source, solution_str, ground_truth, extra_info)`` -> ``{"score", ...}``."""
    return compute_score_batch(
        [data_source], [solution_str], [ground_truth], [extra_info], spec=spec, error_score=error_score, step=step
    )[0]


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[dict[str, Any] | None] | None = None,
    *,
    spec: str | dict[str, Any] | RewardSpec | None = None,
    error_score: float | str | None = None,
    step: int | None = None,
    **_: Any,
) -> list[dict[str, Any]]:
    """verl's ``BatchRewardManager`` call: lists in, one score dict per sample out (one engine batch)."""
    engine = _engine(spec)
    fill = _error_score(error_score)
    infos = list(extra_infos) if extra_infos is not None else [None] * len(solution_strs)
    samples = [_sample(d, s, g, e) for d, s, g, e in zip(data_sources, solution_strs, ground_truths, infos)]
    results = engine.score(samples, step=step)
    _log_failures(results, fill)
    names = engine.spec.component_names()
    return [to_verl(r, names, fill) for r in results]


# --------------------------------------------------------------------------------------------- remote


class RemoteBatcher:
    """Collects concurrent per-sample calls on one event loop and sends them to the server as one batch.

    verl's reward loop calls an async ``compute_score`` once per sample, concurrently; this turns a burst of
    those calls into ``/v1/score`` requests of up to ``max_batch`` rows (waiting at most ``window_s`` for
    more to arrive).
    """

    def __init__(self, url: str, token: str | None = None, window_s: float = 0.02, max_batch: int = 512) -> None:
        from rewardsmith.server.client import AsyncRewardClient

        self.client = AsyncRewardClient(url, token=token)
        self.window_s = window_s
        self.max_batch = max_batch
        self.components: list[str] | None = None
        self.requests = 0  # batches sent
        self._queue: list[tuple[Sample, int | None, asyncio.Future[RewardResult]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def _names(self) -> list[str]:
        if self.components is None:
            spec = await self.client.spec()
            self.components = [c["name"] for c in spec["components"]]
        return self.components

    async def score(self, sample: Sample, step: int | None) -> tuple[RewardResult, list[str]]:
        names = await self._names()
        future: asyncio.Future[RewardResult] = asyncio.get_running_loop().create_future()
        self._queue.append((sample, step, future))
        if len(self._queue) >= self.max_batch:
            await self._flush()
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._later())
        return await future, names

    async def _later(self) -> None:
        await asyncio.sleep(self.window_s)
        await self._flush()

    async def _flush(self) -> None:
        batch, self._queue = self._queue, []
        by_step: dict[int | None, list[tuple[Sample, asyncio.Future[RewardResult]]]] = {}
        for s, step, f in batch:
            by_step.setdefault(step, []).append((s, f))
        for step, items in by_step.items():
            self.requests += 1
            try:
                results = await self.client.score([s for s, _ in items], step=step)
            except Exception as exc:  # the service is down: every sample of the batch errors, loudly
                results = [RewardResult.error(f"rewardsmith server: {type(exc).__name__}: {exc}")] * len(items)
            for (_, f), r in zip(items, results):
                if not f.done():
                    f.set_result(r)

    async def aclose(self) -> None:
        await self.client.aclose()


_batchers: dict[tuple[int, str], RemoteBatcher] = {}


def remote_batcher(url: str | None = None, token: str | None = None) -> RemoteBatcher:
    """The batcher for this event loop and server URL (``$REWARDSMITH_URL`` when not given)."""
    url = url or os.environ.get(URL_ENV)
    if not url:
        raise ValueError(f"compute_score_remote needs url= (reward_kwargs) or ${URL_ENV}")
    key = (id(asyncio.get_running_loop()), url)
    batcher = _batchers.get(key)
    if batcher is None:
        batcher = RemoteBatcher(url, token or os.environ.get(TOKEN_ENV))
        _batchers[key] = batcher
    return batcher


async def compute_score_remote(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: dict[str, Any] | None = None,
    *,
    url: str | None = None,
    token: str | None = None,
    error_score: float | str | None = None,
    step: int | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Async ``compute_score`` for verl's reward loop: scored by a rewardsmith server, batched across calls."""
    batcher = remote_batcher(url, token)
    fill = _error_score(error_score)
    result, names = await batcher.score(_sample(data_source, solution_str, ground_truth, extra_info), step)
    _log_failures([result], fill)
    return to_verl(result, names, fill)
