"""A one-shot sandboxed command that needs host files (read-only): e.g. SQL against a database file.

The warm workers see no host data; a run that must read a given file (a SQLite / DuckDB database)
starts its own bubblewrap sandbox with that file bound read-only, the same namespaces and minimal root,
a wall timeout that kills the whole tree (the PID namespace dies with bwrap) and capped output. Slower
than the warm pool (a fresh interpreter), so it is for work that is not a short Python program.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rewardsmith.sandbox.bwrap import HOST_ENV, find_bwrap, sandbox_argv
from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.result import RunResult

log = logging.getLogger("rewardsmith.sandbox")


def _limit_self(limits: Limits) -> None:
    import resource

    os.setsid()
    mem = limits.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = max(1, int(limits.cpu_s + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.fsize_mb << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_oneshot(
    command: list[str],
    *,
    stdin: str = "",
    ro_files: list[str] | None = None,
    limits: Limits | None = None,
    backend: str = "auto",
) -> RunResult:
    """Run ``command`` once in a fresh sandbox where each of ``ro_files`` is visible read-only at its path.
    ``backend`` as for ``Sandbox``: without bubblewrap the run fails (an infrastructure error, never a
    silent run without isolation) unless "unsafe-subprocess" is named."""
    from rewardsmith.sandbox.pool import check_backend

    check_backend(backend)
    lim = limits or Limits()
    bwrap, why = (None, "unsafe-subprocess backend requested") if backend == "unsafe-subprocess" else find_bwrap()
    if bwrap is None:
        if backend != "unsafe-subprocess":
            return RunResult.sandbox_failure(
                f"bubblewrap cannot isolate programs here: {why} (backend: unsafe-subprocess runs without isolation)", "bwrap"
            )
        log.warning("UNSAFE SANDBOX: running %s with rlimits only (backend unsafe-subprocess)", command[0])
        argv = command
        kind = "unsafe-subprocess"
    else:
        argv = sandbox_argv(bwrap, command, lim.scratch_mb, extra_ro=list(ro_files or []), worker_caps=False)
        kind = "bwrap"
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: _limit_self(lim),
            close_fds=True,
            env=dict(HOST_ENV) if kind == "bwrap" else None,  # no host variable in the sandbox, pid 1 included
        )
    except OSError as exc:
        return RunResult.sandbox_failure(f"could not start: {exc}", kind)
    limit = None
    try:
        out, err = proc.communicate(stdin.encode(), timeout=lim.wall_s)
    except subprocess.TimeoutExpired:
        limit = "wall"
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        out, err = proc.communicate()
    seconds = time.monotonic() - started
    code = proc.returncode
    sig = -code if code is not None and code < 0 else None
    if limit is None and sig in (signal.SIGXCPU, signal.SIGKILL):
        limit = "cpu" if sig == signal.SIGXCPU else None
    truncated = len(out) + len(err) > lim.output_bytes
    return RunResult(
        exit_code=None if sig is not None else code,
        signal=sig,
        limit=limit,  # type: ignore[arg-type]
        stdout=out[: lim.output_bytes].decode(errors="replace"),
        stderr=err[-65536:].decode(errors="replace"),
        seconds=seconds,
        truncated=truncated,
        backend=kind,
    )


def python_command(script: Path) -> list[str]:
    """``python -I script`` with this interpreter (bound read-only in the sandbox root)."""
    return [sys.executable, "-I", str(script)]
