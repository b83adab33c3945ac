"""Host side of the sandbox: warm workers kept busy with requests written ahead of their answers.

``Sandbox.run(source, stdin=..., limits=...)`` and ``Sandbox.run_many(requests)`` put their programs on
one queue; each worker is given up to ``pipeline`` requests ahead (one runs while the next waits in its
pipe, so a worker never idles while the host turns an answer around). Callers write to workers with room
themselves; a dispatcher thread reads the answers, hands them back, writes what is left and restarts
workers. Programs still on the host queue go to whichever worker frees up first, so a slow program delays
at most the requests queued behind it in its own worker. (``worker_handle.py``: one worker's pipes.)

A worker runs its requests one after another, so the watchdog is per request: the oldest request of a
worker must be answered within its wall limit plus ``WATCHDOG_GRACE`` from the moment the worker could
start it. A worker that dies, stops answering or reports a failure of its own is killed with its whole
tree (its process group; inside bwrap the PID namespace dies with it) and replaced; the request it was
running is reported as ``limit: sandbox`` (an infrastructure error, never a zero) and the requests
queued behind it go back to the front of the queue. Concurrency is the number of workers (default:
cores).

Backends: "bwrap" and "auto" (the same: bubblewrap, or ``SandboxUnavailable`` with the reason; nothing
ever falls back silently to running untrusted code without isolation) and "unsafe-subprocess" (the same
workers as plain processes with rlimits only, for trusted code or a machine where you accept the risk;
it must be named explicitly and logs a warning). As root, each instance takes its own block of program
uids (``uids.py``) and, where it can, a memory cgroup per worker (``cgroup.py``).
"""

from __future__ import annotations

import atexit
import functools
import json
import logging
import marshal
import os
import select
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

from rewardsmith.sandbox import cgroup
from rewardsmith.sandbox.bwrap import HOST_ENV, find_bwrap, worker_argv
from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.result import RunResult
from rewardsmith.sandbox.uids import UidBlock
from rewardsmith.sandbox.worker_handle import READ_CHUNK, Batch, Job, WorkerHandle

log = logging.getLogger("rewardsmith.sandbox")

Backend = Literal["auto", "bwrap", "unsafe-subprocess"]
BACKENDS = ("auto", "bwrap", "unsafe-subprocess")
#: Seconds granted past the wall limit before the host declares a worker hung.
WATCHDOG_GRACE = 5.0
#: Seconds between attempts to start a worker that could not start.
RESPAWN_BACKOFF = 1.0


class SandboxUnavailable(RuntimeError):
    """No isolating sandbox can run here (and the unsafe backend was not asked for by name)."""


def check_backend(backend: str) -> None:
    """ValueError for a backend name that does not exist (the old "subprocess" included: say the new name)."""
    if backend not in BACKENDS:
        hint = ' (the unisolated backend is now named "unsafe-subprocess")' if backend == "subprocess" else ""
        raise ValueError(f"unknown sandbox backend {backend!r}: use one of {', '.join(BACKENDS)}{hint}")


@dataclass(slots=True)
class Request:
    """One program: Python ``source`` (run in a forked warm interpreter), a built-in ``driver`` of the
    worker with its ``args`` (e.g. "asserts": per-test results on the report channel), or an ``argv``."""

    source: str | None = None
    argv: list[str] | None = None
    driver: str | None = None
    args: dict[str, Any] | None = None
    stdin: str = ""
    limits: Limits | None = None
    files: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=256)
def _limits_dict(limits: Limits) -> dict[str, Any]:
    return limits.to_dict()


def encode_request(request: Request, default: Limits) -> bytes:
    """The framed bytes of one request to a worker (4-byte length + ``marshal``: worker_main.py)."""
    if sum(x is not None for x in (request.source, request.argv, request.driver)) != 1:
        raise ValueError("give exactly one of source, argv and driver")
    message = {
        "source": request.source,
        "argv": request.argv,
        "driver": request.driver,
        "args": request.args,
        "stdin": request.stdin,
        "limits": _limits_dict(request.limits or default),
        "files": request.files,
    }
    data = marshal.dumps(message)
    return len(data).to_bytes(4, "big") + data


class Sandbox:
    """Isolated execution with warm workers.

    ``backend``: "auto" or "bwrap" (bubblewrap; ``SandboxUnavailable`` when it cannot run) or
    "unsafe-subprocess" (plain processes, rlimits only: no isolation, asked for by name).
    ``workers``: concurrent programs (default: cores). ``limits``: defaults for every run.
    ``pipeline``: requests sent to a worker ahead of its answers (1 = strictly one at a time).

    Threads: callers queue their requests and write them to workers with room themselves (under one
    lock); the dispatcher thread reads the answers, enforces the watchdog, sends what is left and
    restarts workers. The dispatcher is woken only when it has something new to watch.
    """

    def __init__(
        self,
        workers: int | None = None,
        limits: Limits | None = None,
        backend: Backend = "auto",
        python: str | None = None,
        pipeline: int = 2,
    ) -> None:
        self.limits = limits or Limits()
        self.size = max(1, workers or os.cpu_count() or 1)
        self.pipeline = max(1, pipeline)
        self.python = python or sys.executable
        check_backend(backend)
        if backend == "unsafe-subprocess":
            bwrap = None
            log.warning("UNSAFE SANDBOX: backend unsafe-subprocess runs programs as plain processes with rlimits only")
        else:
            bwrap, why = find_bwrap()
            if bwrap is None:
                raise SandboxUnavailable(
                    f"bubblewrap cannot isolate programs here: {why}. Untrusted code is never run without "
                    "isolation unless you name backend: unsafe-subprocess"
                )
        self.bwrap = bwrap
        self.backend = "bwrap" if bwrap else "unsafe-subprocess"
        self.isolated = bwrap is not None
        self._uids = UidBlock() if os.geteuid() == 0 else None
        self.cgroups = bwrap is not None and cgroup.memory_root()[0] is not None
        self.memory_bound = cgroup.memory_bound(self.limits.nproc, self.limits.memory_mb, self.limits.scratch_mb, self.cgroups)
        self._scratch = None if bwrap else tempfile.mkdtemp(prefix="rewardsmith-scratch-")
        if self._scratch and os.geteuid() == 0:
            os.chmod(self._scratch, 0o711)  # the program uids reach their own folder inside
        self._lock = threading.Lock()  # guards everything below, and every worker's queues
        self._pending: deque[Job] = deque()  # not yet given to a worker
        self._closed = False
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._workers: list[WorkerHandle | None] = [None] * self.size
        self._spawn_error = ""
        self._spawn_after = 0.0
        self.restarts = 0

    # ------------------------------------------------------------------------------------------ public

    def run(
        self,
        source: str | None = None,
        *,
        argv: list[str] | None = None,
        stdin: str = "",
        limits: Limits | None = None,
        files: dict[str, str] | None = None,
    ) -> RunResult:
        """Run one program and wait for it. Never raises for the program's sake."""
        return self.submit(Request(source=source, argv=argv, stdin=stdin, limits=limits, files=files or {}))

    def submit(self, request: Request) -> RunResult:
        return self.run_many([request])[0]

    def run_many(self, requests: Iterable[Request]) -> list[RunResult]:
        """Run several programs concurrently over the workers; results in order."""
        reqs = list(requests)
        batch = Batch(len(reqs))
        jobs = [self._job(r, batch, i) for i, r in enumerate(reqs)]
        if not jobs:
            return []
        with self._lock:
            if self._closed:
                return [RunResult.sandbox_failure("could not start a worker: sandbox is closed", self.backend)] * len(jobs)
            self._pending.extend(jobs)
            wake = self._fill(time.monotonic())
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._dispatch, name="sandbox-dispatch", daemon=True)
                self._thread.start()
        if wake:
            self._wake()
        batch.done.wait()
        return batch.results  # type: ignore[return-value]

    def worker_pids(self) -> list[int]:
        """Host pids of the running workers (bwrap's, with the backend "bwrap")."""
        return [w.proc.pid for w in list(self._workers) if w is not None]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
        with self._lock:
            self._shutdown("could not start a worker: sandbox is closed")
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if self._uids is not None:
            self._uids.release()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --------------------------------------------------------------------------------------- internals

    def _job(self, request: Request, batch: Batch, index: int) -> Job:
        return Job(encode_request(request, self.limits), (request.limits or self.limits).wall_s, batch, index)

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except OSError:  # full: a wake-up is pending anyway
            pass

    def _fill(self, now: float) -> bool:
        """(Lock held.) Give pending requests to the least busy workers with room; True when the
        dispatcher must look again: a worker that was idle got work (a new watchdog), bytes are left
        to write, or workers must be started."""
        live = [w for w in self._workers if w is not None]
        pending = self._pending
        wake = False
        while pending and live:
            w = min(live, key=lambda x: len(x.inflight))
            if len(w.inflight) >= self.pipeline:
                break
            wake = wake or not w.inflight
            try:
                w.queue(pending.popleft(), now)
            except OSError:  # the worker is gone: the dispatcher finds out on its read side
                wake = True
                break
            wake = wake or bool(w.unsent)
        return wake or bool(pending and len(live) < self.size)

    def _spawn(self, slot: int) -> WorkerHandle:
        scratch = None
        if self._scratch is not None:  # plain processes: one scratch root per worker, wiped after each run
            scratch = os.path.join(self._scratch, f"slot-{slot}")
            os.makedirs(scratch, mode=0o700, exist_ok=True)
        group = cgroup.create(f"rewardsmith-{os.getpid()}-{id(self):x}-{slot}") if self.cgroups else None
        uid = self._uids.uid(slot) if self._uids is not None else None
        lim = self.limits
        argv = worker_argv(
            self.bwrap, self.python, slot, lim.scratch_mb, scratch, uid=uid,
            cgroup=str(group) if group else None, scratch_files=lim.scratch_files,
        )
        # bwrap passes LD_BIND_NOW itself (see worker_argv); plain processes get it here. No variable of
        # the host's environment reaches the sandbox (bwrap's own pid 1 included).
        env = dict(HOST_ENV) if self.bwrap else dict(HOST_ENV, LD_BIND_NOW="1")
        return WorkerHandle(argv, slot, self.backend, env, cgroup=group)

    def _start_missing(self, slots: list[int]) -> None:
        """(Lock not held: workers take a while to boot, in parallel.) Start the workers of ``slots``."""
        fresh: list[WorkerHandle] = []
        error = ""
        for slot in slots:
            try:
                fresh.append(self._spawn(slot))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
        ready: list[WorkerHandle] = []
        for w in fresh:
            try:
                w.wait_ready()
                ready.append(w)
            except Exception as exc:
                error = str(exc)
        with self._lock:
            for w in ready:
                if self._closed or self._workers[w.slot] is not None:
                    w.kill()
                else:
                    self._workers[w.slot] = w
            if error:
                self._spawn_error = error
                log.error("sandbox: could not start every worker: %s", error)
                self._spawn_after = time.monotonic() + RESPAWN_BACKOFF
                if all(w is None for w in self._workers):  # nothing can run: fail what waits
                    while self._pending:
                        job = self._pending.popleft()
                        detail = f"could not start a worker: {error}"
                        job.batch.deliver(job.index, RunResult.sandbox_failure(detail, self.backend))

    def _retire(self, w: WorkerHandle, detail: str | None, now: float) -> None:
        """(Lock held.) Kill ``w`` and forget it (a fresh one starts when needed). The request it was
        running failed (``detail``; None: already answered); the ones queued behind it go back first."""
        if detail is not None and w.inflight and w.inflight[0].written:  # never sent: it goes back too
            head = w.inflight.popleft()
            seconds = now - w.head_since if w.head_since is not None else 0.0
            head.batch.deliver(head.index, RunResult.sandbox_failure(detail, self.backend, seconds))
        for job in w.inflight:
            job.written = False
        self._pending.extendleft(reversed(w.inflight))
        w.inflight.clear()
        w.kill()
        self._workers[w.slot] = None
        self.restarts += 1
        self._spawn_after = 0.0

    def _answer(self, w: WorkerHandle, body: bytes, now: float) -> bool:
        """(Lock held.) Hand one answer to its caller; False when the worker had to be retired."""
        try:
            result = RunResult.from_dict(json.loads(body), self.backend)
        except (ValueError, TypeError, AttributeError) as exc:
            self._retire(w, f"unreadable answer from the worker: {exc}", now)
            return False
        job = w.answered(now)
        job.batch.deliver(job.index, result)
        if result.infrastructure_error:  # the worker failed, not the program: start afresh
            self._retire(w, None, now)
            return False
        return True

    def _shutdown(self, detail: str) -> None:
        """(Lock held.) Kill every worker and fail every request still waiting."""
        failed = list(self._pending)
        self._pending.clear()
        for w in self._workers:
            if w is not None:
                failed.extend(w.inflight)
                w.inflight.clear()
                w.kill()
        self._workers = [None] * self.size
        for job in failed:
            job.batch.deliver(job.index, RunResult.sandbox_failure(detail, self.backend))

    def _dispatch(self) -> None:
        try:
            self._dispatch_loop()
        except BaseException as exc:  # a bug here must not leave callers waiting forever
            log.exception("sandbox dispatcher failed")
            with self._lock:
                self._thread = None
                self._shutdown(f"sandbox dispatcher failed: {type(exc).__name__}: {exc}")

    def _dispatch_loop(self) -> None:
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        registered: dict[int, tuple[WorkerHandle, int]] = {}  # rfd / wfd -> (worker, events)
        while True:
            with self._lock:
                if self._closed:
                    self._shutdown("could not start a worker: sandbox is closed")
                    return
                missing = [slot for slot, w in enumerate(self._workers) if w is None]
                start = bool(self._pending and missing and time.monotonic() >= self._spawn_after)
            if start:
                self._start_missing(missing)
            with self._lock:
                now = time.monotonic()
                self._fill(now)
                live = [w for w in self._workers if w is not None]
                wanted: dict[int, tuple[WorkerHandle, int]] = {}
                for w in live:
                    wanted[w.rfd] = (w, select.POLLIN)
                    if w.unsent:
                        wanted[w.wfd] = (w, select.POLLOUT)
                deadlines = [d for d in (w.deadline(WATCHDOG_GRACE) for w in live) if d is not None]
                timeout: float | None = max(0.0, min(deadlines) - now) if deadlines else None
                if self._pending and len(live) < self.size:
                    retry = max(0.0, self._spawn_after - now)
                    timeout = retry if timeout is None else min(timeout, retry)
            for fd in list(registered):
                if fd not in wanted or registered[fd] != wanted[fd]:
                    poller.unregister(fd)
                    del registered[fd]
            for fd, entry in wanted.items():
                if fd not in registered:
                    poller.register(fd, entry[1])
                    registered[fd] = entry
            events = poller.poll(None if timeout is None else timeout * 1000.0 + 1.0)
            with self._lock:
                now = time.monotonic()
                for fd, _event in events:
                    if fd == self._wake_r:
                        try:
                            while os.read(self._wake_r, 4096):
                                pass
                        except BlockingIOError:
                            pass
                        continue
                    entry = registered.get(fd)
                    if entry is None or self._workers[entry[0].slot] is not entry[0]:
                        continue  # retired earlier in this round
                    w = entry[0]
                    if fd == w.wfd:
                        try:
                            w.flush(now)
                        except OSError as exc:
                            self._retire(w, f"worker died ({type(exc).__name__})", now)
                        continue
                    try:
                        chunk = os.read(w.rfd, READ_CHUNK)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        self._retire(w, "worker died", now)
                        continue
                    w.inbuf.extend(chunk)
                    while True:
                        body = w.frame()
                        if body is None:
                            break
                        if not w.inflight:
                            self._retire(w, "worker answered a request it was not sent", now)
                            break
                        if not self._answer(w, body, now):
                            break
                for w in [x for x in self._workers if x is not None]:
                    deadline = w.deadline(WATCHDOG_GRACE)
                    if deadline is not None and now >= deadline:
                        detail = "worker died" if w.proc.poll() is not None else "worker stopped answering"
                        self._retire(w, detail, now)


_shared: dict[tuple[int, Backend], Sandbox] = {}
_shared_lock = threading.Lock()


def get_sandbox(backend: Backend = "auto", workers: int | None = None) -> Sandbox:
    """The process-wide sandbox (one per process and backend; forked children get their own)."""
    key = (os.getpid(), backend)
    with _shared_lock:
        box = _shared.get(key)
        if box is None:
            box = Sandbox(workers=workers, backend=backend)
            _shared[key] = box
        return box


@atexit.register
def _close_shared() -> None:
    for (pid, _), box in list(_shared.items()):
        if pid == os.getpid():
            box.close()
