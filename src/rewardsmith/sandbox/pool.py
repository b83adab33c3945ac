"""Host side of the sandbox: a pool of warm workers, one program at a time each.

``Sandbox.run(source, stdin=..., limits=...)`` checks a worker out, sends the request, waits for the
answer (with a watchdog a little past the wall limit) and checks it back in. A worker that dies or
stops answering is killed with its whole tree (its process group; inside bwrap the PID namespace dies
with it) and replaced; the run is reported as ``limit: sandbox`` (an infrastructure error, never a
zero). Concurrency is the number of workers (default: cores). Without bubblewrap the same workers run
as plain processes with rlimits only, and the pool logs a loud warning (see ``checks.py``).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import json
import logging
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal

from rewardsmith.sandbox.bwrap import find_bwrap, worker_argv
from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.result import RunResult

log = logging.getLogger("rewardsmith.sandbox")

HEADER = struct.Struct(">I")
Backend = Literal["auto", "bwrap", "subprocess"]
#: Seconds granted past the wall limit before the host declares a worker hung.
WATCHDOG_GRACE = 5.0
#: Seconds a fresh worker may take to say it is ready.
START_TIMEOUT = 30.0


class SandboxUnavailable(RuntimeError):
    """``backend="bwrap"`` was asked for and bubblewrap cannot run here."""


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


class _Worker:
    def __init__(self, argv: list[str], slot: int, backend: str) -> None:
        self.slot = slot
        self.backend = backend
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_die_with_parent,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        hello = self.receive(START_TIMEOUT)
        if hello is None or not hello.get("ready"):
            err = self.stderr_text()
            self.kill()
            raise RuntimeError(f"sandbox worker did not start: {err or 'no answer'}")
        self.info = hello

    def stderr_text(self) -> str:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        chunks = []
        while select.select([fd], [], [], 0.2)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace").strip()[-1000:]

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode()
        view = memoryview(HEADER.pack(len(data)) + data)
        while view:
            n = os.write(self.wfd, view)
            view = view[n:]

    def _read(self, n: int, deadline: float) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                return None
            chunk = os.read(self.rfd, n - len(buf))
            if not chunk:
                return None
            buf.extend(chunk)
        return bytes(buf)

    def receive(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        head = self._read(HEADER.size, deadline)
        if head is None:
            return None
        body = self._read(HEADER.unpack(head)[0], deadline + 5.0)
        return None if body is None else json.loads(body)

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def _die_with_parent() -> None:
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Sandbox:
    """Isolated execution with warm workers.

    ``backend``: "auto" (bubblewrap when usable, else plain processes with a loud warning), "bwrap"
    (raise ``SandboxUnavailable`` when it cannot run) or "subprocess" (rlimits only, never isolation).
    ``workers``: concurrent programs (default: cores). ``limits``: defaults for every run.
    """

    def __init__(
        self,
        workers: int | None = None,
        limits: Limits | None = None,
        backend: Backend = "auto",
        python: str | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.size = max(1, workers or os.cpu_count() or 1)
        self.python = python or sys.executable
        bwrap, why = (None, "subprocess backend requested") if backend == "subprocess" else find_bwrap()
        if bwrap is None and backend == "bwrap":
            raise SandboxUnavailable(f"bubblewrap is not usable: {why}")
        if bwrap is None and backend == "auto":
            log.warning(
                "SANDBOX DOWNGRADED: bubblewrap is not usable (%s); untrusted programs run as plain "
                "processes with rlimits only: no filesystem, network or PID isolation", why,
            )
        self.bwrap = bwrap
        self.backend = "bwrap" if bwrap else "subprocess"
        self.isolated = bwrap is not None
        self._scratch = None if bwrap else tempfile.mkdtemp(prefix="rewardsmith-scratch-")
        if self._scratch and os.geteuid() == 0:
            os.chmod(self._scratch, 0o711)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._started = 0
        self._closed = False
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
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
        if sum(x is not None for x in (request.source, request.argv, request.driver)) != 1:
            raise ValueError("give exactly one of source, argv and driver")
        lim = request.limits or self.limits
        message = {
            "source": request.source,
            "argv": request.argv,
            "driver": request.driver,
            "args": request.args,
            "stdin": request.stdin,
            "limits": lim.to_dict(),
            "files": request.files,
        }
        started = time.monotonic()
        try:
            worker = self._checkout()
        except Exception as exc:
            return RunResult.sandbox_failure(f"could not start a worker: {exc}", self.backend)
        healthy = False
        try:
            worker.send(message)
            answer = worker.receive(lim.wall_s + WATCHDOG_GRACE)
            if answer is None:
                detail = "worker died" if worker.proc.poll() is not None else "worker stopped answering"
                return RunResult.sandbox_failure(detail, self.backend, time.monotonic() - started)
            healthy = answer.get("limit") != "sandbox"
            return RunResult.from_dict(answer, self.backend)
        except (OSError, ValueError) as exc:
            return RunResult.sandbox_failure(f"{type(exc).__name__}: {exc}", self.backend, time.monotonic() - started)
        finally:
            self._checkin(worker, healthy)

    def run_many(self, requests: Iterable[Request]) -> list[RunResult]:
        """Run several programs concurrently over the workers; results in order."""
        reqs = list(requests)
        if len(reqs) <= 1:
            return [self.submit(r) for r in reqs]
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(self.size, thread_name_prefix="sandbox")
            executor = self._executor
        return list(executor.map(self.submit, reqs))

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().kill()
            except queue.Empty:
                break
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --------------------------------------------------------------------------------------- internals

    def _spawn(self, slot: int) -> _Worker:
        scratch = None
        if self._scratch is not None:  # plain processes: one scratch root per worker, wiped after each run
            scratch = os.path.join(self._scratch, f"slot-{slot}")
            os.makedirs(scratch, mode=0o711, exist_ok=True)
        argv = worker_argv(self.bwrap, self.python, slot, self.limits.scratch_mb, scratch)
        return _Worker(argv, slot, self.backend)

    def _checkout(self) -> _Worker:
        if self._closed:
            raise RuntimeError("sandbox is closed")
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        while True:
            with self._lock:
                if self._started < self.size:
                    slot = self._started
                    self._started += 1
                    try:
                        return self._spawn(slot)
                    except Exception:
                        self._started -= 1
                        raise
            try:
                return self._idle.get(timeout=1.0)
            except queue.Empty:
                if self._closed:
                    raise RuntimeError("sandbox is closed") from None

    def _checkin(self, worker: _Worker, healthy: bool) -> None:
        if healthy and worker.proc.poll() is None and not self._closed:
            self._idle.put(worker)
            return
        worker.kill()
        if self._closed:
            return
        self.restarts += 1
        try:
            fresh = self._spawn(worker.slot)
        except Exception as exc:
            log.error("sandbox: could not restart worker %d: %s", worker.slot, exc)
            with self._lock:
                self._started -= 1
            return
        self._idle.put(fresh)


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
