"""TRL adapter: rewardsmith specs as ``trl.GRPOTrainer`` reward functions.

TRL (1.16) calls every reward function as
``reward_func(prompts=..., completions=..., completion_ids=..., trainer_state=..., log_extra=...,
log_metric=..., **dataset_columns)`` and takes one float or ``None`` per completion; a completion for
which *every* reward function returned ``None`` is masked (advantage 0, left out of the group baseline).

- ``reward_funcs(spec)`` gives one callable returning the spec's combined reward.
- ``reward_funcs(spec, per_component=True)`` gives one callable per component (TRL logs each as
  ``rewards/<name>/mean``) and ``reward_weights(spec, per_component=True)`` the matching
  ``GRPOConfig.reward_weights``; the batch is scored once, not once per component.
- Errored (and abstained) samples become ``None`` in every callable, so TRL masks them; each such batch is
  logged on the ``rewardsmith.trl`` logger and counted in the ``rewardsmith/error_frac`` metric.
- The training step (``trainer_state.global_step``) goes to the engine, so scheduled weights and params
  follow training.
- Specs with async rewards (LLM judges) get ``async def`` callables, which TRL runs on its event loop
  concurrently with the other async rewards.

>>> funcs = reward_funcs({"components": [{"name": "len", "reward": "overlong_penalty",
...     "params": {"max_length": 10, "cache": 5, "unit": "chars"}}]}, engine_options={"cache": False})
>>> [f.__name__ for f in funcs]
['rewardsmith']
>>> funcs[0](prompts=["q", "q"], completions=["12345678", "1"])
[-0.6, 0.0]
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from rewardsmith.compose.schedules import Schedule, value_at
from rewardsmith.spec import RewardSpec, load_spec
from rewardsmith.types import RewardResult, Sample, Status

log = logging.getLogger("rewardsmith.trl")

# Keyword arguments TRL passes that are not dataset columns.
TRL_ARGS = frozenset({"prompts", "completions", "completion_ids", "trainer_state", "log_extra", "log_metric", "environments"})
# Dataset columns tried, in order, for the reference when ``reference_column`` is not given.
REFERENCE_COLUMNS = ("reference", "answer", "solution", "ground_truth")

RewardFunc = Callable[..., Any]


def build_samples(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    columns: dict[str, Any],
    reference_column: str | None = None,
) -> list[Sample]:
    """Rows for the engine from TRL's arguments: plain or conversational prompts and completions.

    The reference comes from ``reference_column`` (or the first of ``REFERENCE_COLUMNS`` present); every
    other dataset column goes into ``metadata``.

    >>> s = build_samples([[{"role": "user", "content": "1+1?"}]], [[{"role": "assistant", "content": "2"}]],
    ...                   {"answer": ["#### 2"], "level": [1]})
    >>> (s[0].prompt_text, s[0].completion_text, s[0].reference, s[0].metadata)
    ('1+1?', '2', '#### 2', {'level': 1})
    """
    ref_key = reference_column
    if ref_key is None:
        ref_key = next((k for k in REFERENCE_COLUMNS if k in columns), None)
    elif ref_key not in columns:
        raise KeyError(f"reference column {ref_key!r} is not among the dataset columns {sorted(columns)}")
    n = len(completions)
    samples: list[Sample] = []
    for k in range(n):
        meta = {key: _at(values, k) for key, values in columns.items() if key != ref_key}
        samples.append(
            Sample(
                prompt=prompts[k],
                completion=completions[k],
                reference=_at(columns[ref_key], k) if ref_key is not None else None,
                metadata=meta,
            )
        )
    return samples


def _at(values: Any, k: int) -> Any:
    return values[k] if isinstance(values, (list, tuple)) else values


def _step(trainer_state: Any) -> int | None:
    step = getattr(trainer_state, "global_step", None)
    return int(step) if step is not None else None


@dataclass
class _Batch:
    """One scored batch, kept so the per-component callables after the first reuse it."""

    prompts: Any
    completions: Any
    step: int | None
    results: list[RewardResult]
    kwarg_names: tuple[str, ...] = ()


class TRLRewards:
    """Scores TRL batches with one spec; ``funcs`` are the callables to hand to ``GRPOTrainer``."""

    def __init__(
        self,
        spec: RewardSpec | str | dict[str, Any],
        *,
        per_component: bool = False,
        reference_column: str | None = None,
        use_async: bool | None = None,
        engine_options: dict[str, Any] | None = None,
    ) -> None:
        self.spec = load_spec(spec)
        self.per_component = per_component
        self.reference_column = reference_column
        self.engine = self.spec.engine(**(engine_options or {}))
        if use_async is None:
            use_async = any(b.definition.executor == "async" for b in self.spec.bound)
        self.use_async = use_async
        self.scheduled = any(isinstance(c.weight, Schedule) for c in self.spec.components)
        if per_component:
            _check_per_component(self.spec)
        self.calls = 0  # batches scored (not callable invocations)
        self._last: _Batch | None = None
        self._pending: dict[tuple[int, int, int | None], asyncio.Future[list[RewardResult]]] = {}
        self.funcs: list[RewardFunc] = self._make_funcs()

    # ------------------------------------------------------------------------------------------ weights

    def weights(self) -> list[float]:
        """``GRPOConfig.reward_weights`` matching ``funcs``.

        Per component: the spec's weights, or all 1.0 when a weight is scheduled (the callables then
        return ``weight(step) * value`` themselves). Combined: ``[1.0]``.
        """
        if not self.per_component:
            return [1.0]
        if self.scheduled:
            return [1.0] * len(self.spec.components)
        return [value_at(c.weight, None) for c in self.spec.components]

    # ------------------------------------------------------------------------------------------ scoring

    @property
    def last_batch(self) -> _Batch | None:
        """The batch scored last (its prompts, completions, step, results and the names TRL passed)."""
        return self._last

    def _cached(self, prompts: Any, completions: Any, step: int | None) -> list[RewardResult] | None:
        last = self._last
        if last is not None and last.prompts is prompts and last.completions is completions and last.step == step:
            return last.results
        return None

    def _samples(self, prompts: Any, completions: Any, kwargs: dict[str, Any]) -> list[Sample]:
        columns = {k: v for k, v in kwargs.items() if k not in TRL_ARGS}
        return build_samples(prompts, completions, columns, self.reference_column)

    def score_batch(self, prompts: Any, completions: Any, **kwargs: Any) -> list[RewardResult]:
        """Score one TRL batch (sync), once per batch however many callables ask."""
        step = _step(kwargs.get("trainer_state"))
        hit = self._cached(prompts, completions, step)
        if hit is not None:
            return hit
        results = self.engine.score(self._samples(prompts, completions, kwargs), step=step)
        self._finish(prompts, completions, step, results, kwargs)
        return results

    async def ascore_batch(self, prompts: Any, completions: Any, **kwargs: Any) -> list[RewardResult]:
        """Score one TRL batch on the running loop; concurrent per-component callables share one scoring."""
        step = _step(kwargs.get("trainer_state"))
        hit = self._cached(prompts, completions, step)
        if hit is not None:
            return hit
        key = (id(prompts), id(completions), step)
        pending = self._pending.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[list[RewardResult]] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            results = await self.engine.ascore(self._samples(prompts, completions, kwargs), step=step)
            self._finish(prompts, completions, step, results, kwargs)
            future.set_result(results)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved
            raise
        finally:
            self._pending.pop(key, None)
        return results

    def _finish(
        self, prompts: Any, completions: Any, step: int | None, results: list[RewardResult], kwargs: dict[str, Any]
    ) -> None:
        self.calls += 1
        self._last = _Batch(prompts, completions, step, results, tuple(sorted(kwargs)))
        n = len(results)
        bad = [(k, r) for k, r in enumerate(results) if r.status is not Status.OK]
        errors = sum(1 for _, r in bad if r.status is Status.ERROR)
        if bad:
            first = bad[0][1]
            log.warning(
                "rewardsmith: %d error / %d abstain of %d samples at step %s masked (reward None); first: %s",
                errors, len(bad) - errors, n, step, first.reason,
            )
        log_metric = kwargs.get("log_metric")
        if callable(log_metric) and n:
            log_metric("rewardsmith/error_frac", errors / n)
            log_metric("rewardsmith/abstain_frac", (len(bad) - errors) / n)
            if not self.per_component:  # per component, TRL already logs rewards/<name>/mean
                for c in self.spec.components:
                    vals = [r.components.get(c.name) for r in results if r.status is Status.OK]
                    vals = [v for v in vals if v is not None]
                    if vals:
                        log_metric(f"rewardsmith/{c.name}", sum(vals) / len(vals))
        log_extra = kwargs.get("log_extra")
        if callable(log_extra):
            log_extra("rewardsmith_status", [r.status.value for r in results])

    # ------------------------------------------------------------------------------------------ callables

    def _column(self, results: list[RewardResult], name: str | None, step: int | None) -> list[float | None]:
        if name is None:
            return [r.value if r.status is Status.OK else None for r in results]
        comp = next(c for c in self.spec.components if c.name == name)
        scale = value_at(comp.weight, step) if self.scheduled else 1.0
        out: list[float | None] = []
        for r in results:
            v = r.components.get(name) if r.status is Status.OK else None
            out.append(None if v is None or math.isnan(v) else scale * v)
        return out

    def _make_funcs(self) -> list[RewardFunc]:
        names: list[str | None] = [c.name for c in self.spec.components] if self.per_component else [None]
        return [self._make_one(name) for name in names]

    def _make_one(self, name: str | None) -> RewardFunc:
        label = "rewardsmith" if name is None else f"rewardsmith_{name}"
        if self.use_async:

            async def afunc(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float | None]:
                results = await self.ascore_batch(prompts, completions, **kwargs)
                return self._column(results, name, _step(kwargs.get("trainer_state")))

            afunc.__name__ = afunc.__qualname__ = label
            return afunc

        def func(prompts: Any = None, completions: Any = None, **kwargs: Any) -> list[float | None]:
            results = self.score_batch(prompts, completions, **kwargs)
            return self._column(results, name, _step(kwargs.get("trainer_state")))

        func.__name__ = func.__qualname__ = label
        return func

    def close(self) -> None:
        self.spec.close()


def _check_per_component(spec: RewardSpec) -> None:
    """Per-component callables are summed by TRL with ``reward_weights``: only a plain weighted sum maps."""
    problems = []
    if spec.combine_kind != "weighted_sum":
        problems.append(f"combine is {spec.combine_kind!r}")
    if spec.transforms:
        problems.append("the spec has batch transforms")
    if spec.normalize is not None:
        problems.append("the spec normalises (TRL normalises the summed reward itself)")
    if problems:
        raise ValueError(
            "per_component=True needs a weighted_sum spec without spec-level transforms or normalize: "
            + "; ".join(problems)
            + ". Use per_component=False to hand TRL the combined reward."
        )


def reward_funcs(
    spec: RewardSpec | str | dict[str, Any],
    per_component: bool = False,
    reference_column: str | None = None,
    *,
    use_async: bool | None = None,
    engine_options: dict[str, Any] | None = None,
) -> list[RewardFunc]:
    """Reward callables for ``trl.GRPOTrainer(reward_funcs=...)`` (see the module doc).

    The callables carry the adapter as ``.rewardsmith`` (its ``weights()`` and ``engine``).
    """
    adapter = TRLRewards(
        spec,
        per_component=per_component,
        reference_column=reference_column,
        use_async=use_async,
        engine_options=engine_options,
    )
    for f in adapter.funcs:
        f.rewardsmith = adapter  # type: ignore[attr-defined]
    return adapter.funcs


def reward_weights(funcs: Sequence[RewardFunc]) -> list[float]:
    """``GRPOConfig.reward_weights`` for callables made by ``reward_funcs``."""
    adapter: TRLRewards = funcs[0].rewardsmith  # type: ignore[attr-defined]
    return adapter.weights()
