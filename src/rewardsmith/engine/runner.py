"""Engine: score a batch of samples with a spec.

Per batch: validate rows (a bad row becomes an ``error`` result naming the row and field), run every
component (inline, worker processes with hard timeouts, threads, or asyncio with a concurrency limit),
dedupe identical work and consult the content-addressed cache, then apply per-component transforms and
gates, combine, apply the spec's transforms and the group normalisation.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from rewardsmith.compose.combine import COMBINERS, minimum, product, weighted_sum
from rewardsmith.compose.normalize import group_normalize
from rewardsmith.compose.schedules import value_at
from rewardsmith.compose.transforms import BatchContext, apply_transform, needs_reference_completion
from rewardsmith.engine.cache import Cache, cacheable
from rewardsmith.engine.keys import dedupe_key, reward_identity, task_key
from rewardsmith.engine.pool import Task, WorkerPool, run_task
from rewardsmith.registry import BoundReward, call_result, many_results, to_result
from rewardsmith.spec import ComponentSpec, RewardSpec, load_spec
from rewardsmith.types import Abstain, Group, RewardResult, RowError, Sample, Status

log = logging.getLogger("rewardsmith")

Prepared = "Sample | RewardResult"


@dataclass
class ComponentStats:
    """Running totals for one component, for summaries and metrics."""

    ok: int = 0
    abstain: int = 0
    error: int = 0
    cached: int = 0
    seconds: float = 0.0
    values: list[float] = field(default_factory=list)

    def add(self, r: RewardResult) -> None:
        if r.status is Status.OK:
            self.ok += 1
            assert r.value is not None
            self.values.append(r.value)
        elif r.status is Status.ABSTAIN:
            self.abstain += 1
        else:
            self.error += 1


class _PoolBatch:
    """Collects the process-pool tasks of every CPU-bound component of one phase into one pool run, so the
    workers stay busy across components instead of running them one after another."""

    def __init__(self, engine: Engine, expected: int) -> None:
        self.engine, self.expected = engine, expected
        self.tasks: list[Task] = []
        self.owners: list[tuple[int, int]] = []
        self.arrived = 0
        self.done: asyncio.Future[dict[int, Any]] | None = None

    async def submit(self, ci: int, tasks: list[Task]) -> dict[int, Any]:
        loop = asyncio.get_running_loop()
        if self.done is None:
            self.done = loop.create_future()
        base = len(self.tasks)
        for t in tasks:
            self.owners.append((ci, t.tid))
            t.tid = len(self.tasks)
            self.tasks.append(t)
        self.arrived += 1
        if self.arrived == self.expected:
            try:
                results = await loop.run_in_executor(None, self.engine._run_pool, self.engine._get_pool(), self.tasks) if self.tasks else {}
                self.done.set_result(results)
            except BaseException as exc:
                self.done.set_exception(exc)
        results = await asyncio.shield(self.done)
        return {self.owners[base + i][1]: results[base + i] for i in range(len(tasks))}


#: Default resident-memory limit of a worker process (MiB): past it after an item, the worker is recycled.
MAX_WORKER_MB = 4096.0


def group_key(s: Sample) -> str:
    """Samples of one group: the row's ``group`` field, else samples sharing the prompt text and images."""
    return s.group_key


class Engine:
    """Scores batches with one spec. Sync ``score`` and async ``ascore`` give the same results.

    Options: ``workers`` (processes for CPU-bound rewards; default: cores), ``cache`` (True: the SQLite
    cache under ~/.cache/rewardsmith, False: none, a path, or a ``Cache``), ``concurrency`` (async
    rewards in flight), ``threads`` (for thread-executor rewards), ``context`` (multiprocessing start
    method, default fork), ``max_tasks_per_worker`` / ``max_worker_mb`` (recycle a worker process after that
    many items, or after an item that left it above that resident size; see ``engine.pool``; ``recycles``
    counts them).

    A ``thread`` reward that runs past its timeout gets ``error: timeout`` on time, but its thread cannot be
    stopped and runs on in the background until the call returns (the ``rewardsmith`` command exits without
    waiting for it). Rewards that may hang belong on ``process``, where a timeout kills the worker.
    """

    def __init__(
        self,
        spec: RewardSpec | str | dict[str, Any],
        *,
        workers: int | None = None,
        cache: bool | str | Cache | None = True,
        concurrency: int = 64,
        threads: int | None = None,
        context: str = "fork",
        max_tasks_per_worker: int | None = None,
        max_worker_mb: float | None = MAX_WORKER_MB,
    ) -> None:
        self.spec = load_spec(spec)
        self.table: list[BoundReward] = self.spec.bound
        self.workers = workers or os.cpu_count() or 1
        if cache is True:
            cache = None if os.environ.get("REWARDSMITH_NO_CACHE") else Cache()
        elif isinstance(cache, (str, os.PathLike)):
            cache = Cache(cache)
        self.cache: Cache | None = cache if isinstance(cache, Cache) else None
        self.concurrency = concurrency
        self._context = context
        self.max_tasks_per_worker = max_tasks_per_worker
        self.max_worker_mb = max_worker_mb
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._pool_run_lock = threading.Lock()
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads or max(4, self.workers), thread_name_prefix="rewardsmith-io"
        )
        self._identities = [reward_identity(b) for b in self.table]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self.stats: dict[str, ComponentStats] = {c.name: ComponentStats() for c in self.spec.components}
        self.zero_variance_groups = 0
        self._needs_ref = any(
            needs_reference_completion(t.kind, t.params)
            for t in list(self.spec.transforms) + [t for c in self.spec.components for t in c.transforms]
        )

    # ------------------------------------------------------------------------------------------ public

    def score(self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None) -> list[RewardResult]:
        """Score a batch (sync). Safe to call from any thread, including one that runs an event loop."""
        loop = self._ensure_loop()
        future = asyncio.run_coroutine_threadsafe(self.ascore(samples, step=step), loop)
        return future.result()

    async def ascore(
        self, samples: Iterable[Sample | dict[str, Any]], step: int | None = None
    ) -> list[RewardResult]:
        """Score a batch on the running event loop."""
        prepared = [self._prepare(s, i) for i, s in enumerate(samples)]
        good = [p for p in prepared if p.__class__ is Sample or isinstance(p, Sample)]
        ref_samples, ref_index = self._reference_samples(good) if self._needs_ref else ([], [])
        everything = good + ref_samples
        per_comp = await self._run_components(everything, step)
        finals = self._assemble(everything, per_comp, step, len(good), ref_index)
        if len(good) == len(prepared):
            return finals
        it = iter(finals)
        return [next(it) if isinstance(p, Sample) else p for p in prepared]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        self._threads.shutdown(wait=False, cancel_futures=True)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._loop_thread is not None:
                self._loop_thread.join(timeout=5)
            self._loop = None
        if self.cache is not None:
            self.cache.close()
            self.cache = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---------------------------------------------------------------------------------------- internals

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="rewardsmith-loop", daemon=True)
            thread.start()
            self._loop, self._loop_thread = loop, thread
        return self._loop

    def _prepare(self, raw: Sample | dict[str, Any], index: int) -> Sample | RewardResult:
        if isinstance(raw, Sample):
            return raw
        if isinstance(raw, RewardResult):  # a row that already failed upstream (e.g. malformed JSON)
            return raw
        try:
            return Sample.from_row(raw)
        except RowError:
            pass
        try:  # again, for the message that names the row (formatting it for every row costs)
            return Sample.from_row(raw, where=f"#{index}")
        except RowError as exc:
            return RewardResult.error(str(exc))

    def _reference_samples(self, good: list[Sample]) -> tuple[list[Sample], list[int | None]]:
        """One synthetic sample per distinct reference completion, for LSC / PAR with ``ref: reference_completion``."""
        seen: dict[tuple[str, str], int] = {}
        refs: list[Sample] = []
        index: list[int | None] = []
        for s in good:
            text = s.metadata.get("reference_completion")
            if not isinstance(text, str):
                index.append(None)
                continue
            key = (group_key(s), text)
            if key not in seen:
                seen[key] = len(good) + len(refs)
                refs.append(Sample(prompt=s.prompt, completion=text, reference=s.reference, metadata=s.metadata, group=s.group))
            index.append(seen[key])
        return refs, index

    def _get_pool(self) -> WorkerPool:
        with self._pool_lock:
            if self._pool is None:
                self._pool = WorkerPool(self.table, self.workers, self._context,
                                        max_tasks=self.max_tasks_per_worker, max_rss_mb=self.max_worker_mb)
            return self._pool

    @property
    def recycles(self) -> dict[str, int]:
        """Worker processes recycled so far, by reason (``tasks``: the task limit, ``memory``: the size limit)."""
        pool = self._pool
        return dict(pool.recycles) if pool is not None else {"tasks": 0, "memory": 0}

    def _run_pool(self, pool: WorkerPool, tasks: list[Task]) -> dict[int, Any]:
        with self._pool_run_lock:  # one batch at a time: task ids are per component
            return pool.run(tasks)

    async def _run_components(self, samples: list[Sample], step: int | None) -> list[list[RewardResult]]:
        comps = self.spec.components
        results: list[list[RewardResult]] = [[] for _ in comps]
        first = [i for i, c in enumerate(comps) if not self.table[i].definition.needs_components]
        later = [i for i, c in enumerate(comps) if self.table[i].definition.needs_components]
        n_process = sum(1 for i in first if self.table[i].definition.executor == "process")
        batch = _PoolBatch(self, n_process) if n_process > 1 else None
        outs = await asyncio.gather(*(self._run_component(i, samples, None, step, batch) for i in first))
        for i, out in zip(first, outs):
            results[i] = out
        for i in later:
            values = [
                {comps[j].name: (results[j][k].value) for j in range(len(comps)) if results[j]}
                for k in range(len(samples))
            ]
            results[i] = await self._run_component(i, samples, values, step)
        return results

    def _units(self, bound: BoundReward, samples: list[Sample]) -> list[list[int]]:
        per = bound.definition.per
        if per == "sample":
            return [[k] for k in range(len(samples))]
        if per == "batch":
            return [list(range(len(samples)))] if samples else []
        members: dict[str, list[int]] = {}
        for k, s in enumerate(samples):
            members.setdefault(group_key(s), []).append(k)
        return list(members.values())

    async def _run_component(
        self,
        ci: int,
        samples: list[Sample],
        comps: list[dict[str, Any]] | None,
        step: int | None,
        batch: _PoolBatch | None = None,
    ) -> list[RewardResult]:
        spec_c: ComponentSpec = self.spec.components[ci]
        bound = self.table[ci]
        d = bound.definition
        timeout = spec_c.timeout or d.timeout
        started = time.perf_counter()
        out: list[RewardResult | None] = [None] * len(samples)
        stats = self.stats[spec_c.name]

        if d.per == "sample":
            kwargs_list = [bound.kwargs_for(s, comps[k] if comps else None, step) for k, s in enumerate(samples)]
            units = None
        else:
            units = self._units(bound, samples)
            kwargs_list = []
            for idx in units:
                group = Group(id=group_key(samples[idx[0]]), samples=[samples[k] for k in idx])
                sub = [comps[k] for k in idx] if comps else None
                kwargs_list.append(bound.kwargs_for_many(group.samples, sub, step, group if d.per == "group" else None))

        if d.executor == "inline" and units is None:
            try:
                fn = bound.callable(step)
                out = [call_result(fn, kw) for kw in kwargs_list]  # type: ignore[misc]
            except Exception as exc:
                bad = RewardResult.error(f"could not set up reward {bound.name}: {type(exc).__name__}: {exc}")
                out = [bad] * len(kwargs_list)  # type: ignore[list-item]
        elif d.executor == "inline":
            for u, kw in enumerate(kwargs_list):
                self._place(out, units, u, self._call_inline(bound, kw, step, units, u))
        else:
            # dedupe identical work and consult the cache
            if self.cache is not None:
                keys: list[Any] = [task_key(self._identities[ci], kw) for kw in kwargs_list]
            else:  # dedupe only: no digest needed
                keys = [dedupe_key(kw) for kw in kwargs_list]
            first_of: dict[Any, int] = {}
            for u, key in enumerate(keys):
                first_of.setdefault(key, u)
            cached = self.cache.get_many(first_of) if self.cache is not None else {}
            stats.cached += sum(1 for u, key in enumerate(keys) if key in cached)
            todo = [u for key, u in first_of.items() if key not in cached]
            computed: dict[int, Any] = {}
            work = [(u, kwargs_list[u], len(units[u]) if units else 0) for u in todo]
            if batch is not None and d.executor == "process":
                tasks = [Task(tid=u, comp=ci, kwargs=kw, timeout=timeout, step=step, n=n) for u, kw, n in work]
                computed = await batch.submit(ci, tasks)
            elif todo:
                computed = await self._execute(ci, bound, work, timeout, step)
            if self.cache is not None:
                if d.per == "sample":
                    self.cache.put_many({keys[u]: computed[u] for u in todo})
                else:  # group results: cache the unit as a bundle under its key
                    self.cache.put_many({keys[u]: _bundle(computed[u]) for u in todo if _bundle_ok(computed[u])})
            for u, key in enumerate(keys):
                if key in cached:
                    outcome = cached[key] if d.per == "sample" else _unbundle(cached[key], len(units[u]))  # type: ignore[index]
                else:
                    outcome = computed[first_of[key]]
                self._place(out, units, u, outcome)
        stats.seconds += time.perf_counter() - started
        final = [r if r is not None else RewardResult.error("internal: no result") for r in out]
        for r in final:
            stats.add(r)
        return final

    @staticmethod
    def _place(out: list[RewardResult | None], units: list[list[int]] | None, u: int, outcome: Any) -> None:
        if units is None:
            out[u] = outcome
        else:
            for k, r in zip(units[u], outcome):
                out[k] = r

    def _call_inline(
        self, bound: BoundReward, kw: dict[str, Any], step: int | None, units: list[list[int]] | None, u: int
    ) -> Any:
        try:
            fn = bound.callable(step)
        except Exception as exc:
            bad = RewardResult.error(f"could not set up reward {bound.name}: {type(exc).__name__}: {exc}")
            return [bad] * len(units[u]) if units else bad
        if units is None:
            return call_result(fn, kw)
        try:
            return many_results(fn(**kw), len(units[u]))
        except Exception as exc:
            return [RewardResult.error(f"{type(exc).__name__}: {exc}")] * len(units[u])

    async def _execute(
        self, ci: int, bound: BoundReward, work: list[tuple[int, dict[str, Any], int]], timeout: float, step: int | None
    ) -> dict[int, Any]:
        d = bound.definition
        loop = asyncio.get_running_loop()
        if d.executor == "process":
            tasks = [Task(tid=u, comp=ci, kwargs=kw, timeout=timeout, step=step, n=n) for u, kw, n in work]
            pool = self._get_pool()
            return await loop.run_in_executor(None, self._run_pool, pool, tasks)
        if d.executor == "thread":
            async def one_thread(u: int, kw: dict[str, Any], n: int) -> tuple[int, Any]:
                task = Task(tid=u, comp=ci, kwargs=kw, timeout=timeout, step=step, n=n)
                try:
                    fut = loop.run_in_executor(self._threads, run_task, self.table, task)
                    return u, await asyncio.wait_for(fut, timeout)
                except asyncio.TimeoutError:
                    bad = RewardResult.error(f"timeout: {bound.name} ran past {timeout:g}s")
                    return u, [bad] * n if n else bad

            return dict(await asyncio.gather(*(one_thread(u, kw, n) for u, kw, n in work)))
        # async
        semaphore = asyncio.Semaphore(self.concurrency)
        try:
            fn = bound.callable(step)
        except Exception as exc:
            bad = RewardResult.error(f"could not set up reward {bound.name}: {type(exc).__name__}: {exc}")
            return {u: ([bad] * n if n else bad) for u, _, n in work}

        async def one(u: int, kw: dict[str, Any], n: int) -> tuple[int, Any]:
            async with semaphore:
                try:
                    value = await asyncio.wait_for(fn(**kw), timeout)
                    return u, many_results(value, n) if n else to_result(value)
                except asyncio.TimeoutError:
                    bad = RewardResult.error(f"timeout: {bound.name} ran past {timeout:g}s")
                except Abstain as exc:
                    ab = RewardResult.abstain(str(exc) or "reward abstained")
                    return u, [ab] * n if n else ab
                except Exception as exc:
                    bad = RewardResult.error(f"{type(exc).__name__}: {exc}")
                return u, [bad] * n if n else bad

        return dict(await asyncio.gather(*(one(u, kw, n) for u, kw, n in work)))

    # -------------------------------------------------------------------------------------- assembling

    def _assemble(
        self,
        samples: list[Sample],
        per_comp: list[list[RewardResult]],
        step: int | None,
        n_real: int,
        ref_index: list[int | None],
    ) -> list[RewardResult]:
        comps = self.spec.components
        names = [c.name for c in comps]
        n_all = len(samples)
        weights = {c.name: value_at(c.weight, step) for c in comps}
        combiner = COMBINERS[self.spec.combine_kind]
        norm = self.spec.normalize
        any_transforms = bool(self.spec.transforms) or any(c.transforms for c in comps)
        # group keys and metadata only when something looks at them (the plain combine rules do not)
        if any_transforms or norm is not None or combiner not in _GROUP_FREE_COMBINERS:
            groups = [group_key(s) for s in samples]
        else:
            groups = _NoGroups(n_all)  # type: ignore[assignment]
        metadata = [s.metadata for s in samples] if any_transforms else []

        # component values after their own transforms
        values: dict[str, list[float | None]] = {}
        for ci, c in enumerate(comps):
            vals = [r.value for r in per_comp[ci]]
            for t in c.transforms:
                ctx = BatchContext(groups, metadata, _refs(vals, ref_index, n_all))
                vals = apply_transform(t.kind, t.params, vals, ctx)
            values[c.name] = vals
        # gates: a gate that could not decide (its component errored or abstained) decides nothing: the gated
        # component takes the gate's failure (below), never the gate's "else" value
        index = {c.name: ci for ci, c in enumerate(comps)}
        OK, ERROR = Status.OK, Status.ERROR
        gate_failed: dict[str, list[RewardResult | None]] = {}
        for c in comps:
            if c.gate is not None:
                gate_vals = values[c.gate.component]
                gate_results = per_comp[index[c.gate.component]]
                failed = [None if g.status is OK else g for g in gate_results]
                if any(failed):
                    gate_failed[c.name] = failed
                values[c.name] = [
                    None if bad is not None else v if v is None or c.gate.passes(g) else c.gate.otherwise
                    for v, g, bad in zip(values[c.name], gate_vals, failed)
                ]

        statuses: list[RewardResult | None] = [None] * n_all
        for ci, c in enumerate(comps):
            if weights[c.name] == 0.0:
                continue
            failed_gate = gate_failed.get(c.name)
            for k, r in enumerate(per_comp[ci]):
                if failed_gate is not None and failed_gate[k] is not None and r.status is OK:
                    g = failed_gate[k]
                    r = RewardResult(g.status, None, reason=f"gate {c.gate.component!r} {g.status.value}: {g.reason}")  # type: ignore[union-attr]
                if r.status is OK or statuses[k] is not None and statuses[k].status is ERROR:  # type: ignore[union-attr]
                    continue
                if r.status is ERROR:
                    statuses[k] = RewardResult.error(f"{c.name}: {r.reason}")
                elif c.required:
                    prev = statuses[k]
                    note = f"{c.name}: {r.reason}"
                    statuses[k] = RewardResult.abstain(note if prev is None else f"{prev.reason}; {note}")
        columns = [values[name] for name in names]
        if len(names) == 1:
            name = names[0]
            rows: list[dict[str, float | None]] = [{name: v} for v in columns[0]]
        elif names:
            rows = [dict(zip(names, vals)) for vals in zip(*columns)]
        else:
            rows = [{} for _ in range(n_all)]
        all_ok = not any(statuses)

        flat_by_component: dict[str, set[str]] = {}  # GDPO: the groups where each component has no spread
        if norm is not None and norm.kind == "per_component":
            combined: list[float | None] = [0.0] * n_all
            for c in comps:
                w = weights[c.name]
                if w == 0.0:
                    continue
                masked = [values[c.name][k] if statuses[k] is None else None for k in range(n_all)]
                adv, flat_by_component[c.name] = group_normalize(masked, groups, "grpo", norm.eps, norm.ddof)
                combined = [None if a is None or s is not None else (t or 0.0) + w * a for a, s, t in zip(adv, statuses, combined)]
            combined = [None if statuses[k] is not None else combined[k] for k in range(n_all)]
        elif combiner is weighted_sum and not self.spec.combine_params:
            # weighted_sum column by column (the same sums, in the same order, without a dict per row)
            combined = _weighted_sum_columns([(weights[n], values[n]) for n in names], statuses, n_all)
        elif all_ok:
            combined = list(combiner(rows, weights, groups, **self.spec.combine_params))
        else:
            ok_idx = [k for k in range(n_all) if statuses[k] is None]
            combined = [None] * n_all
            ok_groups = [groups[k] for k in ok_idx] if isinstance(groups, list) else _NoGroups(len(ok_idx))
            got = combiner([rows[k] for k in ok_idx], weights, ok_groups, **self.spec.combine_params)
            for k, v in zip(ok_idx, got):
                combined[k] = v

        raw = list(combined) if self.spec.transforms or norm is not None else combined
        for t in self.spec.transforms:
            ctx = BatchContext(groups, metadata, _refs(combined, ref_index, n_all))
            combined = apply_transform(t.kind, t.params, combined, ctx)

        flat_groups: set[str] = set()
        if norm is not None:
            # reference completions take no part in the statistics
            real = combined[:n_real] + [None] * (n_all - n_real)
            if norm.kind == "per_component":
                # a group is zero-variance when no weighted component spreads in it: its advantages are all 0
                flat_groups = set.intersection(*flat_by_component.values()) if flat_by_component else set()
                if norm.then_batch:
                    real, flat_batch = group_normalize(real, groups, "batch", norm.eps, norm.ddof)
                    flat_groups |= flat_batch
            else:
                real, flat_groups = group_normalize(real, groups, norm.kind, norm.eps, norm.ddof)
            combined = real
            self.zero_variance_groups += len(flat_groups)

        has_subs = [any(r.components or r.reason or r.info or r.step_values is not None for r in rs) for rs in per_comp]
        annotate = norm is not None or bool(self.spec.transforms)
        if all_ok and not annotate and not any(has_subs):
            # the common case: every sample ok, nothing beyond the component values to report
            return [_ok(v, rows[k]) if v.__class__ is float and v == v else _final(v, rows[k]) for k, v in enumerate(combined[:n_real])]
        results: list[RewardResult] = []
        for k in range(n_real):
            comp_out = rows[k]
            reasons: list[str] = []
            info: dict[str, Any] = {}
            step_values = None
            for ci, c in enumerate(comps):
                if not has_subs[ci]:
                    continue
                r = per_comp[ci][k]
                for sub, v in r.components.items():
                    comp_out[f"{c.name}.{sub}"] = v
                if r.reason and r.status is OK:
                    reasons.append(f"{c.name}: {r.reason}")
                if r.info:
                    info[c.name] = r.info
                if step_values is None and r.step_values is not None:
                    step_values = r.step_values
            failed = statuses[k]
            if failed is not None:
                results.append(RewardResult(failed.status, None, comp_out, failed.reason, step_values, info))
                continue
            value = combined[k]
            if value is None:
                ref = ref_index[k] if k < len(ref_index) else None
                ref_failed = statuses[ref] if ref is not None else None
                if ref_failed is not None and ref_failed.status is ERROR:  # the reference completion's score errored
                    results.append(RewardResult.error(f"reference completion: {ref_failed.reason}", comp_out))
                else:
                    results.append(RewardResult.abstain("no reference value for a transform", comp_out))
                continue
            if annotate:
                info["raw_reward"] = raw[k]
                if groups[k] in flat_groups or "<batch>" in flat_groups:
                    info["zero_variance_group"] = True
                flat_here = [name for name, flat in flat_by_component.items() if groups[k] in flat]
                if flat_here:
                    info["zero_variance_components"] = flat_here
            results.append(RewardResult(OK, value, comp_out, "; ".join(reasons) or None, step_values, info))
        return results


_GROUP_FREE_COMBINERS = (weighted_sum, product, minimum)


class _NoGroups:
    """Stands in for the group keys where nothing reads them (indexing it is a bug, so it raises)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: Any) -> Any:
        raise AssertionError("engine: group keys were not computed for this spec")


def _weighted_sum_columns(
    columns: list[tuple[float, list[float | None]]], statuses: list[RewardResult | None], n: int
) -> list[float | None]:
    """``compose.combine.weighted_sum`` over the samples without a failed status, column by column: the sum
    is ``sum`` of ``w * v`` over the components with a weight and a value, in component order (one term:
    ``0 + w * v``, which is that sum; ``v or 0.0`` as there)."""
    live = [(w, col) for w, col in columns if w != 0.0]
    if len(live) == 1:
        w, col = live[0]
        out: list[Any] = [0 if v is None else 0 + w * (v or 0.0) for v in col]
    elif live:
        ws = [w for w, _ in live]
        out = [sum([w * (v or 0.0) for w, v in zip(ws, vals) if v is not None]) for vals in zip(*[col for _, col in live])]
    else:
        out = [0] * n
    if any(statuses):
        out = [None if s is not None else t for t, s in zip(out, statuses)]
    return out


_new_result = object.__new__
_OK = Status.OK


def _ok(value: float, components: dict[str, float | None]) -> RewardResult:
    """``RewardResult(Status.OK, value, components)`` for a value already checked to be a float, not NaN."""
    r = _new_result(RewardResult)
    r.status = _OK
    r.value = value
    r.components = components
    r.reason = None
    r.step_values = None
    r.info = {}
    return r


def _final(value: Any, components: dict[str, float | None]) -> RewardResult:
    if value is None:
        return RewardResult.abstain("no reference value for a transform", components)
    return RewardResult(_OK, value, components, None, None, {})


def _refs(values: Sequence[float | None], ref_index: list[int | None], n_all: int) -> list[float | None]:
    if not ref_index:
        return [None] * n_all
    out = [values[j] if j is not None else None for j in ref_index]
    return out + [None] * (n_all - len(out))


def _bundle(results: list[RewardResult]) -> RewardResult:
    return RewardResult.ok(0.0, info={"bundle": [r.to_fields() for r in results]})


def _bundle_ok(results: list[RewardResult]) -> bool:
    return all(cacheable(r) for r in results)


def _unbundle(result: RewardResult, n: int) -> list[RewardResult]:
    rows = result.info.get("bundle", [])
    if len(rows) != n:
        return [RewardResult.error("cache: group bundle does not match the group")] * n
    return [RewardResult.from_fields(r) for r in rows]
