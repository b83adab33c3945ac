"""A killable CAS: symbolic comparisons run in a child process (``cas_worker.py``) with a hard deadline.

math-verify's own timeouts use ``signal.alarm``: they work only in the main thread and report a timeout as
"not equal". Here every symbolic comparison is a request to one worker process per calling process (started
on first use, shared by its threads behind a lock); if the reply does not come by the deadline the worker is
killed and ``CasTimeout`` is raised, which ``math_equiv`` reports as ``error: timeout`` (never a zero). The
same holds in the main thread, in other threads, inside an event loop and in the engine's worker processes
(a forked child starts its own worker; the engine's process-group kill also takes this one along).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

#: Seconds a fresh worker may take to import sympy and math-verify and warm up (not part of any comparison's
#: budget; about 2 s on an idle machine, 8 s at a load of 15 on 2 cores).
STARTUP_S = 20.0
_WORKER = Path(__file__).with_name("cas_worker.py")


class CasTimeout(TimeoutError):
    """A symbolic comparison did not finish by its deadline (the worker was killed)."""


class CasError(RuntimeError):
    """The CAS worker could not be started or failed on a request."""


class _Client:
    """One worker process and the pipe to it; not shared across ``fork`` (see ``_reset_after_fork``)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.buf = b""
        self.starts = 0

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-s", str(_WORKER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        self.buf = b""
        self.starts += 1
        try:
            ready = self._read_line(time.monotonic() + STARTUP_S)
        except CasTimeout:
            self._kill()
            raise CasError(f"CAS worker did not start within {STARTUP_S:.0f} s") from None
        if not json.loads(ready).get("ready"):
            self._kill()
            raise CasError("CAS worker did not say it was ready")

    def _kill(self) -> None:
        proc, self.proc = self.proc, None
        self.buf = b""
        if proc is None:
            return
        try:
            proc.kill()
        except ProcessLookupError:
            pass
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass

    def _read_line(self, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CasTimeout("CAS comparison ran past its deadline")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                code = self.proc.poll()
                self._kill()
                raise CasError(f"CAS worker exited (status {code})")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def request(self, payload: dict[str, Any], deadline: float) -> dict[str, Any]:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                began = time.monotonic()
                self._kill()
                self._start()
                waited = time.monotonic() - began
                deadline += waited
                if getattr(_credit, "active", False):
                    _credit.seconds += waited
            deadline = _effective(deadline)
            assert self.proc is not None and self.proc.stdin is not None
            payload = {**payload, "seconds": max(0.1, deadline - time.monotonic())}
            try:
                self.proc.stdin.write(json.dumps(payload).encode() + b"\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, OSError) as exc:
                self._kill()
                raise CasError(f"CAS worker pipe closed: {exc}") from None
            try:
                line = self._read_line(deadline)
            except CasTimeout:
                self._kill()
                raise
            reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise CasError(str(reply.get("error", "CAS worker failed")))
        return reply

    def close(self) -> None:
        with self.lock:
            self._kill()


_client = _Client()
#: Seconds this thread waited for a worker to start during the current verification (between ``begin()``
#: and ``end()``): added to that verification's deadline, so that start-up (imports, warm-up) is never taken
#: from a comparison's budget.
_credit = threading.local()


def begin() -> None:
    """Start one verification's budget on this thread."""
    _credit.active, _credit.seconds = True, 0.0


def end() -> None:
    _credit.active, _credit.seconds = False, 0.0


def _effective(deadline: float) -> float:
    return deadline + (_credit.seconds if getattr(_credit, "active", False) else 0.0)


def _reset_after_fork() -> None:
    global _client
    _client = _Client()  # the parent's worker and lock stay the parent's


os.register_at_fork(after_in_child=_reset_after_fork)


def equal(pred: str, ref: str, deadline: float, tolerance: float = 0.0) -> tuple[bool, str]:
    """Whether math-verify finds ``pred`` equal to ``ref`` (reference first), and how; ``CasTimeout`` past
    ``deadline`` (``time.monotonic()``), ``CasError`` when the worker fails."""
    if time.monotonic() >= _effective(deadline):
        raise CasTimeout("no time left for a CAS comparison")
    reply = _client.request({"op": "equal", "pred": pred, "ref": ref, "tolerance": tolerance}, deadline)
    return bool(reply["equal"]), str(reply.get("how", "symbolic"))


def parses(ref: str, deadline: float) -> bool:
    """Whether math-verify reads ``ref`` as mathematics (not only as a string)."""
    if time.monotonic() >= _effective(deadline):
        raise CasTimeout("no time left to parse the reference")
    return bool(_client.request({"op": "parses", "ref": ref}, deadline)["parses"])


def worker_starts() -> int:
    """How many CAS workers this process has started (a timeout kills one; the next request starts another)."""
    return _client.starts


def shutdown() -> None:
    """Stop this process's CAS worker (it also exits by itself when this process closes the pipe)."""
    _client.close()
