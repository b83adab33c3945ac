"""Worker processes with a hard per-item timeout.

Each worker is a forked process in its own process group. The parent hands it a chunk of tasks at a time
(chunks shrink as the work runs out, so the workers finish together); the worker runs them one after
another and sends the results back once per chunk, or sooner when it has held results for
``FLUSH_S`` seconds. The parent is woken once per chunk, not once per item, which leaves the cores to the
workers.

The per-item timeout does not depend on those messages: before each item the worker writes into a small
shared-memory record how many items it has started and when the current one started. The parent reads it
when it wakes (at the earliest deadline), so a hung item is killed with its whole process tree
(``killpg``) and reported as ``error: timeout``; a worker that dies (``os._exit``, a segfault, the OOM
killer) reports the item it was running as a crash. In both cases the results the worker had already
sent are kept, the rest of its chunk (including results it had not sent yet) is requeued, and a fresh
worker takes its place: the pool recovers by itself.

Recycling: a reward that leaks memory (or state) grows its worker call after call. With ``max_tasks`` a
worker leaves after that many items; with ``max_rss_mb`` it leaves after an item that left its resident
memory above that many MiB (read from ``/proc/self/statm`` after an item, at most every ``RSS_CHECK_S``;
Linux). It first sends what
it has finished and a recycle note; the parent requeues the rest of its chunk (not started, so nothing is
lost or run twice), starts a fresh worker and counts the recycle (``recycles``, logged at INFO).
"""

from __future__ import annotations

import ctypes
import logging
import math
import multiprocessing as mp
import os
import pickle
import selectors
import signal
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Callable, Sequence

from rewardsmith.registry import BoundReward, call_result, many_results
from rewardsmith.types import RewardResult

log = logging.getLogger("rewardsmith")

#: A worker sends what it has finished at the end of each chunk, or before its next item once it has held
#: results this long (so results stream back and a hang or crash loses little finished work).
FLUSH_S = 0.05
#: Most tasks in one chunk.
MAX_CHUNK = 64

#: A worker with a memory limit reads its resident size after an item at most this often (reading it costs
#: about 9 us: every item of a cheap reward would pay that; a leak grows over many items anyway).
RSS_CHECK_S = 0.005

_PROTOCOL = pickle.HIGHEST_PROTOCOL
# the shared progress record of a worker: items started since it was spawned, and when the item it is on
# started (time.monotonic(), the same clock in every process; 0.0 when it is between chunks)
_STARTED, _SINCE = 0, 1


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


@dataclass(frozen=True, slots=True)
class Recycled:
    """A worker's last message before it leaves on purpose: why, after how many items, at what size."""

    reason: str  # "tasks" or "memory"
    tasks: int
    rss_mb: float


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


_STATM: list[tuple[int, int]] = []  # (fd, pid)


def rss_mb() -> float:
    """Resident memory of this process in MiB (0.0 where ``/proc`` is not available).

    >>> rss_mb() > 1.0
    True
    """
    try:
        if not _STATM or _STATM[0][1] != os.getpid():
            _STATM[:] = [(os.open("/proc/self/statm", os.O_RDONLY), os.getpid())]
        return int(os.pread(_STATM[0][0], 128, 0).split()[1]) * _PAGE / (1 << 20)
    except (OSError, IndexError, ValueError):
        return 0.0


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


def _send_results(conn: Connection, done: list[tuple[int, Any]], sizes: list[int], note: Recycled | None = None) -> None:
    """One message: ``(finished results, recycle note or None)``."""
    try:
        data = pickle.dumps((done, note), protocol=_PROTOCOL)
    except Exception:  # an unpicklable result: that item becomes an error, the others go as they are
        fixed = []
        for (tid, outcome), n in zip(done, sizes):
            try:
                pickle.dumps(outcome, protocol=_PROTOCOL)
            except Exception as exc:
                bad = RewardResult.error(f"result could not be sent back: {type(exc).__name__}: {exc}")
                outcome = [bad] * n if n else bad
            fixed.append((tid, outcome))
        data = pickle.dumps((fixed, note), protocol=_PROTOCOL)
    conn.send_bytes(data)


def _worker_main(
    conn: Connection, table: Sequence[BoundReward], parent: int, progress: Any,
    max_tasks: int | None = None, max_rss_mb: float | None = None,
) -> None:
    os.setpgid(0, 0)
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    clock = time.monotonic
    started = 0
    last_rss_check = 0.0
    while True:
        try:
            batch = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            os._exit(0)
        if batch is None:
            os._exit(0)
        done: list[tuple[int, Any]] = []
        sizes: list[int] = []
        held_since = 0.0
        for task in batch:
            if done and clock() - held_since >= FLUSH_S:
                _send_results(conn, done, sizes)
                done, sizes = [], []
            started += 1
            progress[_STARTED] = started  # the count first: a reader that sees it sees this item's time next
            progress[_SINCE] = clock()
            outcome = run_task(table, task)
            if not done:
                held_since = clock()
            done.append((task.tid, outcome))
            sizes.append(task.n)
            if max_tasks is not None or max_rss_mb is not None:
                size = 0.0
                if max_rss_mb is not None and clock() - last_rss_check >= RSS_CHECK_S:
                    size, last_rss_check = rss_mb(), clock()
                reason = ("tasks" if max_tasks is not None and started >= max_tasks
                          else "memory" if max_rss_mb is not None and size > max_rss_mb else None)
                if reason is not None:  # leave between items: what is done goes back, the rest is requeued
                    _send_results(conn, done, sizes, Recycled(reason, started, size))
                    os._exit(0)
        _send_results(conn, done, sizes)
        progress[_SINCE] = 0.0


@dataclass(eq=False)
class _Worker:
    proc: Any
    conn: Connection
    progress: Any
    inflight: deque[Task] = field(default_factory=deque)
    answered: int = 0  # results received from this process; the first task in ``inflight`` is number answered + 1


class WorkerPool:
    """A fixed number of forked workers over a table of bound rewards.

    ``run(tasks)`` returns ``{tid: outcome}`` for every task; it never raises for a task's sake.
    """

    def __init__(
        self, table: Sequence[BoundReward], workers: int, context: str = "fork",
        max_tasks: int | None = None, max_rss_mb: float | None = None,
    ) -> None:
        self.table = list(table)
        self.size = max(1, workers)
        self._ctx = mp.get_context(context)
        self._workers: list[_Worker] = []
        self._selector: selectors.BaseSelector | None = None
        self.crashes = 0
        self.timeouts = 0
        self.max_tasks = max_tasks if max_tasks and max_tasks > 0 else None
        self.max_rss_mb = max_rss_mb if max_rss_mb and max_rss_mb > 0 else None
        self.recycles: dict[str, int] = {"tasks": 0, "memory": 0}
        self.largest_rss_mb = 0.0  # the largest size a worker reported when it was recycled for memory

    # ------------------------------------------------------------------------------------------ workers

    def _spawn(self) -> _Worker:
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        progress = self._ctx.RawArray(ctypes.c_double, 2)
        proc = self._ctx.Process(
            target=_worker_main,
            args=(child_conn, self.table, os.getpid(), progress, self.max_tasks, self.max_rss_mb),
            daemon=True,
            name="rewardsmith-worker",
        )
        proc.start()
        child_conn.close()
        w = _Worker(proc=proc, conn=parent_conn, progress=progress)
        if self._selector is not None:
            self._watch(w)
        return w

    def _watch(self, w: _Worker) -> None:
        assert self._selector is not None
        self._selector.register(w.conn.fileno(), selectors.EVENT_READ, w)
        self._selector.register(w.proc.sentinel, selectors.EVENT_READ, w)

    def _unwatch(self, w: _Worker) -> None:
        if self._selector is None:
            return
        for fd in (w.conn.fileno(), w.proc.sentinel):
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError, OSError):
                pass

    def _ensure(self) -> None:
        while len(self._workers) < self.size:
            self._workers.append(self._spawn())

    def _kill(self, w: _Worker) -> None:
        self._unwatch(w)
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
        if w in self._workers:
            self._workers[self._workers.index(w)] = self._spawn()

    def _recycled(self, w: _Worker, note: Recycled) -> None:
        """A worker that left on purpose: count it and start a fresh one (the caller requeued its work)."""
        self.recycles[note.reason] = self.recycles.get(note.reason, 0) + 1
        if note.reason == "memory":
            self.largest_rss_mb = max(self.largest_rss_mb, note.rss_mb)
        log.info("recycled worker %d after %d items (%s: %.0f MiB resident)", w.proc.pid, note.tasks,
                 "task limit" if note.reason == "tasks" else f"over {self.max_rss_mb:g} MiB", note.rss_mb)
        w.proc.join(timeout=5)
        self._replace(w)

    @property
    def recycled(self) -> int:
        return sum(self.recycles.values())

    @staticmethod
    def _current(w: _Worker) -> tuple[int, float] | None:
        """(position in ``inflight``, start time) of the item the worker is on, or None between items."""
        p = w.progress
        for _ in range(5):  # a consistent pair: the count did not move while the time was read
            count = p[_STARTED]
            since = p[_SINCE]
            if p[_STARTED] == count:
                break
        else:
            return None
        if since == 0.0:
            return None
        pos = int(count) - 1 - w.answered
        return (pos, since) if 0 <= pos < len(w.inflight) else None

    # --------------------------------------------------------------------------------------------- run

    def run(
        self, tasks: list[Task], on_result: Callable[[int, Any], None] | None = None
    ) -> dict[int, Any]:
        self._selector = selectors.DefaultSelector()
        try:
            for w in self._workers:
                self._watch(w)
            self._ensure()  # new workers are watched as they are spawned
            return self._run(tasks, on_result)
        finally:
            self._selector.close()
            self._selector = None

    def _run(self, tasks: list[Task], on_result: Callable[[int, Any], None] | None) -> dict[int, Any]:
        results: dict[int, Any] = {}
        pending: deque[Task] = deque(tasks)
        assert self._selector is not None
        selector = self._selector

        def done(tid: int, outcome: Any) -> None:
            results[tid] = outcome
            if on_result is not None:
                on_result(tid, outcome)

        def fail(task: Task, reason: str) -> None:
            bad = RewardResult.error(reason)
            done(task.tid, [bad] * task.n if task.n else bad)

        def receive(w: _Worker) -> bool:
            """Take one message of results; False when the worker is gone."""
            try:
                answers, note = pickle.loads(w.conn.recv_bytes())
            except (EOFError, OSError):
                return False
            for tid, outcome in answers:
                task = w.inflight.popleft()
                if task.tid != tid:  # cannot happen with one pipe per worker; be loud if it does
                    raise RuntimeError(f"worker answered task {tid}, expected {task.tid}")
                w.answered += 1
                done(tid, outcome)
            if note is not None:  # it left on purpose; the rest of its chunk was not started: run it elsewhere
                pending.extendleft(reversed(w.inflight))
                w.inflight.clear()
                self._recycled(w, note)
            return True

        def drain(w: _Worker) -> bool:
            """Take every message already sent; False when the worker is gone."""
            try:
                while w.inflight and w.conn.poll(0):
                    if not receive(w):
                        return False
            except (EOFError, OSError):
                return False
            return True

        def give_up_on(w: _Worker, culprit_pos: int, reason: str) -> None:
            """Fail the culprit, requeue the rest of the worker's chunk (in order), start a fresh worker."""
            culprit = w.inflight[culprit_pos]
            del w.inflight[culprit_pos]
            fail(culprit, reason)
            pending.extendleft(reversed(w.inflight))
            w.inflight.clear()
            self._replace(w)

        def crashed(w: _Worker) -> None:
            drain(w)  # what it sent before it died counts
            if w not in self._workers:  # it had left on purpose (recycled) and is replaced already
                return
            w.proc.join(timeout=1)
            if not w.inflight:
                self._replace(w)
                return
            current = self._current(w)
            pos = current[0] if current is not None else 0
            self.crashes += 1
            name = self.table[w.inflight[pos].comp].name
            give_up_on(w, pos, f"worker crashed (exit code {w.proc.exitcode}) while scoring with {name}")

        def overdue(w: _Worker, now: float) -> int | None:
            current = self._current(w)
            if current is None:
                return None
            pos, since = current
            return pos if now >= since + w.inflight[pos].timeout else None

        while pending or any(w.inflight for w in self._workers):
            for w in list(self._workers):
                if not w.inflight and pending:
                    # guided chunks: big while there is plenty left, down to one item at the end
                    size = min(MAX_CHUNK, len(pending), max(1, math.ceil(len(pending) / (2 * self.size))))
                    batch = [pending.popleft() for _ in range(size)]
                    try:
                        w.conn.send_bytes(pickle.dumps(batch, protocol=_PROTOCOL))
                    except (BrokenPipeError, OSError):
                        pending.extendleft(reversed(batch))
                        self._replace(w)
                        continue
                    w.inflight.extend(batch)
            busy = [w for w in self._workers if w.inflight]
            if not busy:
                continue
            now = time.monotonic()
            wake = math.inf
            for w in busy:
                current = self._current(w)
                if current is None:  # between items: the next one cannot end before now + its timeout
                    wake = min(wake, now + min(t.timeout for t in w.inflight))
                else:
                    wake = min(wake, current[1] + w.inflight[current[0]].timeout)
            events = selector.select(timeout=max(0.0, wake - now))
            handled: set[int] = set()
            for key, _ in events:
                w = key.data
                if id(w) in handled or w not in self._workers:
                    continue
                handled.add(id(w))
                if key.fd == w.proc.sentinel or not receive(w):
                    if w.inflight or not w.proc.is_alive():
                        crashed(w)
                    else:
                        self._replace(w)
            now = time.monotonic()
            for w in list(self._workers):
                if not w.inflight or overdue(w, now) is None:
                    continue
                if not drain(w):  # it sent results (or died) meanwhile: judge it on what is left
                    crashed(w)
                    continue
                pos = overdue(w, time.monotonic()) if w.inflight else None
                if pos is None:
                    continue
                self.timeouts += 1
                task = w.inflight[pos]
                give_up_on(w, pos, f"timeout: {self.table[task.comp].name} ran past {task.timeout:g}s and was killed")
        return results

    def close(self) -> None:
        for w in self._workers:
            try:
                w.conn.send_bytes(pickle.dumps(None))
            except Exception:
                pass
        for w in self._workers:
            w.proc.join(timeout=2)
            if w.proc.is_alive():
                self._kill(w)
            else:
                w.conn.close()
        self._workers = []
