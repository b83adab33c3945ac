"""The host's handle on one warm sandbox worker process, and the requests it owes answers to.

Requests travel as 4-byte length + ``marshal`` (host to worker) and answers as 4-byte length + JSON
(worker to host, parsed with ``json``: nothing from inside the sandbox is unmarshalled). A handle keeps
the requests written ahead of their answers (``inflight``, oldest first: the worker runs them in that
order) and the bytes the pipe has not taken yet (writes never block: the pipe is non-blocking).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import select
import signal
import subprocess
import threading
import time
from collections import deque
from typing import Any

from rewardsmith.sandbox.result import RunResult

#: Seconds a fresh worker may take to say it is ready.
START_TIMEOUT = 30.0
READ_CHUNK = 1 << 20


class Batch:
    """The results of one ``run_many`` call, filled in by the dispatcher."""

    __slots__ = ("results", "left", "done")

    def __init__(self, n: int) -> None:
        self.results: list[RunResult | None] = [None] * n
        self.left = n
        self.done = threading.Event()
        if n == 0:
            self.done.set()

    def deliver(self, index: int, result: RunResult) -> None:
        if self.results[index] is None:
            self.results[index] = result
            self.left -= 1
            if self.left == 0:
                self.done.set()


class Job:
    """One request on its way: its framed bytes, its wall limit (for the watchdog) and where its result goes."""

    __slots__ = ("data", "wall", "batch", "index", "written")

    def __init__(self, data: bytes, wall: float, batch: Batch, index: int) -> None:
        self.data = data
        self.wall = wall
        self.batch = batch
        self.index = index
        self.written = False


class WorkerHandle:
    """One warm worker process and the host's view of it: requests written ahead, answers owed."""

    def __init__(
        self, argv: list[str], slot: int, backend: str, env: dict[str, str] | None = None, cgroup: Path | None = None
    ) -> None:
        self.slot = slot
        self.cgroup = cgroup
        self.backend = backend
        self.proc = subprocess.Popen(
            argv,
            env=env,
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
        self.info: dict[str, Any] = {}
        self.inflight: deque[Job] = deque()  # sent (or being sent), not answered; [0] runs now
        self.unsent: deque[memoryview] = deque()  # bytes of inflight jobs not yet in the pipe
        self.unsent_jobs: deque[Job] = deque()
        self.inbuf = bytearray()
        self.head_since: float | None = None  # when the worker could start inflight[0]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            frame = self.frame()
            if frame is not None:
                break
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                frame = None
                break
            chunk = os.read(self.rfd, READ_CHUNK)
            if not chunk:
                break
            self.inbuf.extend(chunk)
        hello = json.loads(frame) if frame is not None else None
        if not isinstance(hello, dict) or not hello.get("ready"):
            err = self.stderr_text()
            if not err and isinstance(hello, dict):
                err = str(hello.get("error", ""))
            self.kill()
            raise RuntimeError(f"sandbox worker did not start: {err or 'no answer'}")
        self.info = hello
        os.set_blocking(self.wfd, False)

    def exchange(self, data: bytes, timeout: float) -> bytes | None:
        """Write one request and wait for its answer (one-shot use, after ``wait_ready``); None when the
        worker did not answer within ``timeout`` seconds or died."""
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while True:
            body = self.frame()
            if body is not None:
                return body
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            readable, writable, _ = select.select([self.rfd], [self.wfd] if view else [], [], left)
            if writable:
                try:
                    view = view[os.write(self.wfd, view[:READ_CHUNK]) :]
                except BlockingIOError:
                    pass
                except OSError:
                    return None
            if readable:
                chunk = os.read(self.rfd, READ_CHUNK)
                if not chunk:
                    return None
                self.inbuf.extend(chunk)

    def frame(self) -> bytes | None:
        buf = self.inbuf
        if len(buf) < 4:
            return None
        n = int.from_bytes(buf[:4], "big")
        if len(buf) < 4 + n:
            return None
        body = bytes(buf[4 : 4 + n])
        del buf[: 4 + n]
        return body

    def stderr_text(self) -> str:
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()
        chunks = []
        try:
            while select.select([fd], [], [], 0.2)[0]:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (OSError, ValueError):
            pass
        return b"".join(chunks).decode(errors="replace").strip()[-1000:]

    def queue(self, job: Job, now: float) -> None:
        self.inflight.append(job)
        self.unsent.append(memoryview(job.data))
        self.unsent_jobs.append(job)
        self.flush(now)

    def flush(self, now: float) -> None:
        """Write what the pipe takes without blocking."""
        while self.unsent:
            view = self.unsent[0]
            try:
                n = os.write(self.wfd, view)
            except BlockingIOError:
                return
            if n < len(view):
                self.unsent[0] = view[n:]
                continue
            self.unsent.popleft()
            job = self.unsent_jobs.popleft()
            job.written = True
            if self.inflight and self.inflight[0] is job and self.head_since is None:
                self.head_since = now

    def answered(self, now: float) -> Job:
        job = self.inflight.popleft()
        nxt = self.inflight[0] if self.inflight else None
        self.head_since = now if nxt is not None and nxt.written else None
        return job

    def deadline(self, grace: float) -> float | None:
        """When the request it runs must be answered by (its wall limit + ``grace``); None: nothing runs."""
        if not self.inflight or self.head_since is None:
            return None
        return self.head_since + self.inflight[0].wall + grace

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
        if self.cgroup is not None:
            from rewardsmith.sandbox import cgroup

            cgroup.remove(self.cgroup)
            self.cgroup = None


def _die_with_parent() -> None:
    import ctypes

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
