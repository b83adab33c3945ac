"""Worker processes with a hard per-item timeout.

Each worker is a forked process in its own process group that runs tasks one after another and answers
after each. The parent knows when each item started (when the previous answer arrived), so a hung item is
killed with its whole process tree (``killpg``) and reported as ``error: timeout``; a worker that dies
(``os._exit``, a segfault, the OOM killer) reports its item as a crash. In both cases the rest of the
worker's chunk is requeued and a fresh worker takes its place: the pool recovers by itself.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

from rewardsmith.registry import BoundReward, call_result, many_results
from rewardsmith.types import RewardResult

log = logging.getLogger("rewardsmith")


@dataclass(slots=True)
class Task:
    """One call: ``table[comp]`` on ``kwargs``; ``n`` > 0 means a group/batch call returning n results."""

    tid: int
    comp: int
    kwargs: dict[str, Any]
    timeout: float
    step: int | None = None
    n: int = 0


Outcome = "RewardResult | list[RewardResult]"


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_task(table: Sequence[BoundReward], task: Task) -> Any:
    bound = table[task.comp]
    try:
        fn = bound.callable(task.step)
    except Exception as exc:
        result = RewardResult.error(f"could not set up reward {bound.name}: {type(exc).__name__}: {exc}")
        return [result] * task.n if task.n else result
    if task.n:
        try:
            return many_results(fn(**task.kwargs), task.n)
        except Exception as exc:
            return [RewardResult.error(f"{type(exc).__name__}: {exc}")] * task.n
    return call_result(fn, task.kwargs)


def _worker_main(conn: Connection, table: Sequence[BoundReward], parent: int) -> None:
    os.setpgid(0, 0)
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        if batch is None:
            os._exit(0)
        for task in batch:
            outcome = run_task(table, task)
            try:
                conn.send((task.tid, outcome))
            except Exception as exc:  # an unpicklable result
                bad = RewardResult.error(f"result could not be sent back: {type(exc).__name__}: {exc}")
                conn.send((task.tid, [bad] * task.n if task.n else bad))


@dataclass
class _Worker:
    proc: Any
    conn: Connection
    inflight: deque[Task] = field(default_factory=deque)
    deadline: float = float("inf")


class WorkerPool:
    """A fixed number of forked workers over a table of bound rewards.

    ``run(tasks)`` returns ``{tid: outcome}`` for every task; it never raises for a task's sake.
    """

    def __init__(self, table: Sequence[BoundReward], workers: int, context: str = "fork") -> None:
        self.table = list(table)
        self.size = max(1, workers)
        self._ctx = mp.get_context(context)
        self._workers: list[_Worker] = []
        self.crashes = 0
        self.timeouts = 0

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main, args=(child_conn, self.table, os.getpid()), daemon=True, name="rewardsmith-worker"
        )
        proc.start()
        child_conn.close()
        return _Worker(proc=proc, conn=parent_conn)

    def _ensure(self) -> None:
        while len(self._workers) < self.size:
            self._workers.append(self._spawn())

    def _kill(self, w: _Worker) -> None:
        try:
            os.killpg(w.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            w.proc.kill()
        except Exception:
            pass
        w.proc.join(timeout=5)
        w.conn.close()

    def _replace(self, w: _Worker) -> None:
        self._kill(w)
        self._workers[self._workers.index(w)] = self._spawn()

    def run(
        self, tasks: list[Task], on_result: Callable[[int, Any], None] | None = None
    ) -> dict[int, Any]:
        self._ensure()
        results: dict[int, Any] = {}
        pending: deque[Task] = deque(tasks)
        chunk = max(1, min(64, len(tasks) // (self.size * 4) or 1))

        def done(tid: int, outcome: Any) -> None:
            results[tid] = outcome
            if on_result is not None:
                on_result(tid, outcome)

        def fail(task: Task, reason: str) -> None:
            bad = RewardResult.error(reason)
            done(task.tid, [bad] * task.n if task.n else bad)

        while pending or any(w.inflight for w in self._workers):
            now = time.monotonic()
            for w in self._workers:
                if not w.inflight and pending:
                    batch = [pending.popleft() for _ in range(min(chunk, len(pending)))]
                    try:
                        w.conn.send(batch)
                    except (BrokenPipeError, OSError):
                        pending.extendleft(reversed(batch))
                        self._replace(w)
                        continue
                    w.inflight.extend(batch)
                    w.deadline = now + batch[0].timeout
            busy = [w for w in self._workers if w.inflight]
            if not busy:
                continue
            wait_for = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=wait_for)
            ready_set = set(ready)
            for w in list(busy):
                if w.conn in ready_set or w.proc.sentinel in ready_set:
                    died = False
                    try:
                        while w.inflight and w.conn.poll():
                            tid, outcome = w.conn.recv()
                            task = w.inflight.popleft()
                            if task.tid != tid:  # cannot happen with one pipe per worker; be loud if it does
                                raise RuntimeError(f"worker answered task {tid}, expected {task.tid}")
                            done(tid, outcome)
                            if w.inflight:
                                w.deadline = time.monotonic() + w.inflight[0].timeout
                    except (EOFError, OSError):
                        died = True
                    if w.inflight and (died or not w.proc.is_alive()):
                        w.proc.join(timeout=1)
                        culprit = w.inflight.popleft()
                        code = w.proc.exitcode
                        self.crashes += 1
                        fail(culprit, f"worker crashed (exit code {code}) while scoring with {self.table[culprit.comp].name}")
                        pending.extendleft(reversed(w.inflight))
                        w.inflight.clear()
                        self._replace(w)
                        continue
                if w.inflight and time.monotonic() >= w.deadline:
                    culprit = w.inflight.popleft()
                    self.timeouts += 1
                    fail(culprit, f"timeout: {self.table[culprit.comp].name} ran past {culprit.timeout:g}s and was killed")
                    pending.extendleft(reversed(w.inflight))
                    w.inflight.clear()
                    self._replace(w)
        return results

    def close(self) -> None:
        for w in self._workers:
            try:
                w.conn.send(None)
            except Exception:
                pass
        for w in self._workers:
            w.proc.join(timeout=2)
            if w.proc.is_alive():
                self._kill(w)
            else:
                w.conn.close()
        self._workers = []
