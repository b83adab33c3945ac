"""A one-shot sandboxed command that needs host files (read-only): e.g. SQL against a database file.

The warm workers see no host data; a run that must read a given file (a SQLite / DuckDB database)
gets a sandbox worker of its own with that file bound read-only, and runs its command through the
same chain as every code program (``worker_main.py`` -> ``runner_main.py`` -> program): the same
bubblewrap root and namespaces, a program uid of its own (as root: lent from this process's block of
program uids; otherwise the user's uid in nested user namespaces), no variable of the host's
environment anywhere, no /proc, a read-only /dev, private size- and inode-capped /scratch and
/dev/shm, no capabilities, the seccomp filter, rlimits, a memory cgroup for the whole run when one
can be made (as for the warm workers), a wall limit and an output cap enforced by the worker, and a
host-side watchdog that kills the whole tree. The worker exits with the run.

Slower than the warm pool (a fresh sandbox and interpreters per run), so it is for work that is not a
short Python program.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rewardsmith.sandbox import cgroup
from rewardsmith.sandbox.bwrap import HOST_ENV, find_bwrap, worker_argv
from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.result import RunResult
from rewardsmith.sandbox.uids import UidLender
from rewardsmith.sandbox.worker_handle import WorkerHandle

log = logging.getLogger("rewardsmith.sandbox")


@functools.lru_cache(maxsize=1)
def _lender() -> UidLender | None:
    """This process's program uids for one-shot runs (as root; None otherwise: nested user namespaces)."""
    return UidLender() if os.geteuid() == 0 else None


def run_oneshot(
    command: list[str],
    *,
    stdin: str = "",
    ro_files: list[str] | None = None,
    limits: Limits | None = None,
    backend: str = "auto",
) -> RunResult:
    """Run ``command`` once in a fresh sandbox where each of ``ro_files`` is visible read-only at its
    (resolved) path. ``backend`` as for ``Sandbox``: without bubblewrap the run fails (an infrastructure
    error, never a silent run without isolation) unless "unsafe-subprocess" is named."""
    from rewardsmith.sandbox.pool import WATCHDOG_GRACE, Request, check_backend, encode_request

    check_backend(backend)
    lim = limits or Limits()
    if backend == "unsafe-subprocess":
        bwrap, kind = None, "unsafe-subprocess"
        log.warning("UNSAFE SANDBOX: running %s with rlimits only (backend unsafe-subprocess)", command[0])
    else:
        bwrap, why = find_bwrap()
        kind = "bwrap"
        if bwrap is None:
            return RunResult.sandbox_failure(
                f"bubblewrap cannot isolate programs here: {why} (backend: unsafe-subprocess runs without isolation)", kind
            )
    lender = _lender()
    slot = lender.take() if lender is not None else 0
    scratch = None if bwrap else tempfile.mkdtemp(prefix="rewardsmith-oneshot-")
    if scratch and os.geteuid() == 0:
        os.chmod(scratch, 0o711)
    group = None
    worker: WorkerHandle | None = None
    try:
        if bwrap is not None and cgroup.memory_root()[0] is not None:
            group = cgroup.create(f"rewardsmith-{os.getpid()}-oneshot-{slot}")
        argv = worker_argv(
            bwrap, sys.executable, slot, lim.scratch_mb, os.path.join(scratch, "run") if scratch else None,
            uid=lender.block.uid(slot) if lender is not None else None, cgroup=str(group) if group else None,
            scratch_files=lim.scratch_files, extra_ro=list(ro_files or []),
        ) + ["--oneshot"]
        env = dict(HOST_ENV) if bwrap else dict(HOST_ENV, LD_BIND_NOW="1")  # no host variable reaches the run
        try:
            worker = WorkerHandle(argv, slot, kind, env, cgroup=group)
            group = None  # the handle removes it
            worker.wait_ready()
        except (OSError, RuntimeError) as exc:
            return RunResult.sandbox_failure(f"could not start a sandbox: {exc}", kind)
        body = worker.exchange(encode_request(Request(argv=list(command), stdin=stdin, limits=lim), lim),
                               lim.wall_s + WATCHDOG_GRACE)
        if body is None:
            detail = "worker died" if worker.proc.poll() is not None else "worker stopped answering"
            return RunResult.sandbox_failure(detail, kind, lim.wall_s)
        try:
            return RunResult.from_dict(json.loads(body), kind)
        except (ValueError, TypeError, AttributeError) as exc:
            return RunResult.sandbox_failure(f"unreadable answer from the worker: {exc}", kind)
    finally:
        if worker is not None:
            worker.kill()
        if group is not None:
            cgroup.remove(group)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        if lender is not None:
            lender.give_back(slot)


def python_command(script: Path) -> list[str]:
    """``python -I script`` with this interpreter (bound read-only in the sandbox root)."""
    return [sys.executable, "-I", str(script)]
