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

Joining a running cluster (``address="HOST:PORT"``, ``rewardsmith score --backend ray --address``): Ray
turns token authentication on by itself for a cluster it finds on its own, but never when the address is
given, so a client of a cluster started with ``ray start --head`` (token mode whenever a token exists) was
refused with ``InvalidAuthToken``. ``RayEngine`` switches token mode on for the join when ``RAY_AUTH_MODE``
is unset and Ray's own token is at hand: ``$RAY_AUTH_TOKEN``, the file in ``$RAY_AUTH_TOKEN_PATH``, or
``~/.ray/auth_token`` (where ``ray get-auth-token --generate`` writes it). ``RAY_AUTH_MODE=disabled`` keeps
it off.
"""

from __future__ import annotations

import logging
import math
import os
import sys
from pathlib import Path
from typing import Any

from rewardsmith.engine.cache import Cache
from rewardsmith.engine.pool import Task
from rewardsmith.engine.runner import Engine
from rewardsmith.spec import RewardSpec
from rewardsmith.types import RewardResult

log = logging.getLogger("rewardsmith")

_ACTOR_CLASS: Any = None

#: Ray's own settings for token authentication (``ray/_private/authentication``).
RAY_AUTH_MODE_ENV = "RAY_AUTH_MODE"
RAY_TOKEN_ENV = "RAY_AUTH_TOKEN"
RAY_TOKEN_PATH_ENV = "RAY_AUTH_TOKEN_PATH"


def ray_token_source(environ: dict[str, str] | None = None, home: Path | None = None) -> str | None:
    """Where Ray would read the cluster token from, in Ray's order: ``$RAY_AUTH_TOKEN``, the file named by
    ``$RAY_AUTH_TOKEN_PATH``, ``~/.ray/auth_token``; None when there is none.

    >>> ray_token_source({"RAY_AUTH_TOKEN": "abc"}), ray_token_source({}, Path("/nonexistent"))
    ('$RAY_AUTH_TOKEN', None)
    """
    env = os.environ if environ is None else environ
    if env.get(RAY_TOKEN_ENV, "").strip():
        return f"${RAY_TOKEN_ENV}"
    path = env.get(RAY_TOKEN_PATH_ENV)
    if path and Path(path).expanduser().is_file():
        return path
    default = (Path.home() if home is None else home) / ".ray" / "auth_token"
    return str(default) if default.is_file() else None


def enable_token_auth_for_join() -> str | None:
    """Before ``ray.init(address=...)``: token mode on when ``RAY_AUTH_MODE`` is unset and a token is at hand
    (for this process and the processes it starts). Returns where the token comes from, or None."""
    if os.environ.get(RAY_AUTH_MODE_ENV) is not None:
        return None
    source = ray_token_source()
    if source is None:
        return None
    os.environ[RAY_AUTH_MODE_ENV] = "token"
    try:  # Ray caches its config when imported: refresh it, as Ray itself does when it turns token mode on
        from ray._raylet import Config

        Config.initialize("")
    except Exception as exc:  # an older or newer Ray without this internal: the environment variable remains
        log.debug("could not refresh Ray's config: %s", exc)
    return source


def _gist(exc: BaseException) -> str:
    """The telling line of a Ray connection failure (its messages embed whole tracebacks)."""
    lines: list[str] = []
    while exc is not None:
        lines += [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        exc = exc.__cause__  # type: ignore[assignment]
    for ln in lines:
        if "InvalidAuthToken" in ln or "Unauthenticated" in ln:
            return ln[:300]
    return (lines[-1] if lines else "connection failed")[:300]


class RayJoinError(ConnectionError):
    """Could not join the Ray cluster at the given address (the message says what to check)."""


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
            source = enable_token_auth_for_join() if address not in (None, "auto", "local") else None
            if source is not None:
                log.info("joining the Ray cluster at %s with token authentication (token from %s)", address, source)
            try:
                ray.init(address=address, **options)
            except (ConnectionError, RuntimeError) as exc:
                if address is None:
                    raise
                hint = (f"the token came from {source}: is it this cluster's token?" if source else
                        f"if the cluster uses token authentication, give its token in ${RAY_TOKEN_ENV}, in a file named by "
                        f"${RAY_TOKEN_PATH_ENV}, or in ~/.ray/auth_token")
                raise RayJoinError(f"could not join the Ray cluster at {address}: {_gist(exc)} ({hint})") from exc
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
