"""Ray backend: the same engine, with CPU-bound rewards scored on a pool of Ray actors.

``RayEngine`` is an :class:`~rewardsmith.engine.runner.Engine` whose ``process`` rewards run on Ray
actors instead of local worker processes; everything else (row validation, dedupe, cache, inline /
thread / async rewards, transforms, combine, group normalisation) is the local engine's code, so the
results are the local backend's. Judges (``async`` rewards) stay on the driver's event loop, so their
concurrency limit is one shared limit for the whole cluster.

Each actor loads the spec by value (reward names, so user rewards must be importable there) and scores
its chunk in its own one-process ``WorkerPool``: a hung item is killed after its timeout and a crash
costs one item, as locally. An actor that dies (node lost, OOM) is replaced and its chunk retried once;
a second loss makes those items ``error``.

    engine = RayEngine("spec.yaml", address="auto")      # a running cluster; None starts a local Ray
    results = engine.score(rows)
"""

from __future__ import annotations

import logging
import math
import os
import sys
from typing import Any

from rewardsmith.engine.cache import Cache
from rewardsmith.engine.pool import Task
from rewardsmith.engine.runner import Engine
from rewardsmith.spec import RewardSpec
from rewardsmith.types import RewardResult

log = logging.getLogger("rewardsmith")

_ACTOR_CLASS: Any = None


class _ScoringActor:
    """Runs tasks of one spec in a one-process WorkerPool (hard per-item timeouts inside the actor)."""

    def __init__(self, spec_payload: dict[str, Any], sys_path: list[str]) -> None:
        for entry in sys_path:
            if entry not in sys.path:
                sys.path.append(entry)
        from rewardsmith.engine.pool import WorkerPool
        from rewardsmith.spec import load_spec

        self.spec = load_spec(spec_payload)
        self.pool = WorkerPool(self.spec.bound, 1)

    def run(self, tasks: list[Task]) -> dict[int, Any]:
        return self.pool.run(tasks)

    def pid(self) -> int:
        return os.getpid()

    def worker_pids(self) -> list[int]:
        return [w.proc.pid for w in self.pool._workers]


class _RayPool:
    """Stands in for ``WorkerPool`` inside the engine: ``run(tasks)`` goes to the Ray actors."""

    def __init__(self, engine: RayEngine) -> None:
        self.engine = engine

    def run(self, tasks: list[Task], on_result: Any = None) -> dict[int, Any]:
        return self.engine.run_tasks(tasks)

    def close(self) -> None:
        pass


def _actor_class() -> Any:
    global _ACTOR_CLASS
    if _ACTOR_CLASS is None:
        import ray

        _ACTOR_CLASS = ray.remote(num_cpus=1, max_restarts=0)(_ScoringActor)
    return _ACTOR_CLASS


class RayEngine(Engine):
    """Score on Ray: ``RayEngine(spec, address=None, workers=None, cache=True)``.

    ``address``: a Ray cluster (``"auto"``, ``"ray://host:10001"``); None uses the Ray already
    initialised in this process or starts a local one with ``workers`` CPUs. ``workers``: actors (default:
    the cluster's CPUs). ``cache`` as for ``Engine`` (the cache lives on the driver). ``stats`` holds the
    per-component totals, as for ``Engine``; ``ray_stats`` the actor restarts and retried chunks.
    """

    def __init__(
        self,
        spec: RewardSpec | str | dict[str, Any],
        address: str | None = None,
        workers: int | None = None,
        cache: bool | str | Cache | None = True,
        *,
        concurrency: int = 64,
        chunks_per_actor: int = 2,
    ) -> None:
        import ray

        super().__init__(spec, workers=workers or 1, cache=cache, concurrency=concurrency)
        self._started_ray = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
            if address is None and workers:
                options["num_cpus"] = workers
            ray.init(address=address, **options)
            self._started_ray = True
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = max(1, workers or cpus)
        self.chunks_per_actor = max(1, chunks_per_actor)
        self._payload = self.spec.model_dump(mode="json", by_alias=True)
        self._sys_path = [p for p in sys.path if p and os.path.isdir(p)]
        self._actors: list[Any] = []
        self.ray_stats = {"actor_restarts": 0, "chunks_retried": 0, "chunks": 0}
        self._next = 0

    # ----------------------------------------------------------------------------------------- actors

    def _ensure_actors(self) -> list[Any]:
        cls = _actor_class()
        while len(self._actors) < self.workers:
            self._actors.append(cls.remote(self._payload, self._sys_path))
        return self._actors

    def _replace_actor(self, actor: Any) -> Any:
        import ray

        try:
            ray.kill(actor, no_restart=True)
        except Exception:
            pass
        fresh = _actor_class().remote(self._payload, self._sys_path)
        if actor in self._actors:
            self._actors[self._actors.index(actor)] = fresh
        self.ray_stats["actor_restarts"] += 1
        return fresh

    def actor_pids(self) -> list[int]:
        """OS process ids of the actors (for fault tests and debugging)."""
        import ray

        return list(ray.get([a.pid.remote() for a in self._ensure_actors()]))

    def _run_chunk(self, actor: Any, chunk: list[Task]) -> dict[int, Any]:
        import ray
        from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

        for attempt in range(2):
            try:
                return dict(ray.get(actor.run.remote(chunk)))
            except (RayActorError, WorkerCrashedError, RayTaskError) as exc:
                log.warning("ray actor lost while scoring (%s); %s", type(exc).__name__, "retrying" if attempt == 0 else "giving up")
                actor = self._replace_actor(actor)
                if attempt == 0:
                    self.ray_stats["chunks_retried"] += 1
                    continue
                reason = f"ray actor lost twice while scoring with {self.table[chunk[0].comp].name}: {type(exc).__name__}"
                bad = RewardResult.error(reason)
                return {t.tid: ([bad] * t.n if t.n else bad) for t in chunk}
        raise AssertionError("unreachable")

    def run_tasks(self, tasks: list[Task]) -> dict[int, Any]:
        """Score process-executor tasks on the actors (chunks spread round-robin, gathered in order)."""
        if not tasks:
            return {}
        import concurrent.futures

        actors = self._ensure_actors()
        pieces = min(len(tasks), len(actors) * self.chunks_per_actor)
        size = math.ceil(len(tasks) / max(1, pieces))
        chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
        self.ray_stats["chunks"] += len(chunks)
        merged: dict[int, Any] = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(chunks)) as ex:
            futures = []
            for chunk in chunks:
                actor = actors[self._next % len(actors)]
                self._next += 1
                futures.append(ex.submit(self._run_chunk, actor, chunk))
            for f in futures:
                merged.update(f.result())
        return merged

    # ---------------------------------------------------------------------------------------- engine

    def _get_pool(self) -> Any:  # the engine's process pool, backed by Ray actors
        return _RayPool(self)

    def close(self) -> None:
        import ray

        for actor in self._actors:
            try:
                ray.kill(actor, no_restart=True)
            except Exception:
                pass
        self._actors = []
        super().close()
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
            self._started_ray = False
