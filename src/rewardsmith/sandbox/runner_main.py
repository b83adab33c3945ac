"""The runner: a fresh, small interpreter that builds the programs' namespaces and forks every program.

Started by the worker (``zygote.start_runner``) as ``python -I -c ... CONFIG SOCK SYNC GO``. This
process (still in the worker's namespaces) makes a private mount namespace (``/proc`` and the cgroup
folder covered, ``/dev`` read-only), joins the sample's memory cgroup, then a new user, PID, mount and
IPC namespace; the worker writes its id maps; it drops to the inside uid and forks the runner proper,
pid 1 of the new PID namespace, which serves the worker's requests (``_Runner``) and exits with it.

Why a fresh interpreter and not a fork of the worker: each program is a fork of the runner, and a fork
(page tables copied, pages shared copy-on-write and copied when written, everything torn down at exit)
costs in proportion to the memory of the process forked. The runner holds only what programs use: the
call channel's end (``program_side``), the Linux calls (``linux``) and a few warm standard modules.

See ``zygote.py`` for the layout and the protocol. Standard library only.
"""

from __future__ import annotations

import json
import marshal
import os
import resource
import select
import signal
import socket
import sys
import traceback

from rewardsmith.sandbox import linux, program_side
from rewardsmith.sandbox.linux import read_exact
from rewardsmith.sandbox.zygote import CGROUP_MOUNT, INSIDE_ID, SCRATCH, SHM, Config, recv_frame, send_frame


def _setup(cfg: Config, sock: socket.socket, sync_w: int, go_r: int) -> None:
    """Build the runner's namespaces, fork the runner itself (pid 1 of the new PID namespace), then (with
    isolation) stay as its mount keeper: the one process of the sandbox that may mount."""
    keeper = None
    if cfg.isolated:
        linux.unshare(linux.CLONE_NEWNS)
        linux.mount(None, "/", None, linux.MS_REC | linux.MS_PRIVATE)
        if cfg.cgroup:
            with open(f"{CGROUP_MOUNT}/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))
            _cover(CGROUP_MOUNT)
        _cover("/proc")
        linux.mount(None, "/dev", None, linux.MS_REMOUNT | linux.MS_BIND | linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV)
        if cfg.as_root:
            os.setgroups([])
        # the mounts above become locked: nothing in the new user namespace can take them away
        linux.unshare(linux.CLONE_NEWUSER | linux.CLONE_NEWPID | linux.CLONE_NEWNS | linux.CLONE_NEWIPC)
        # the worker writes our id maps through /proc/PID: without root over the host it can only while
        # we are dumpable (no program exists yet); not dumpable again before anything else happens
        linux.set_dumpable(True)
        os.write(sync_w, b"u")
        if read_exact(go_r, 1) != b"g":
            raise RuntimeError("no id maps")
        linux.set_dumpable(False)
        os.setresgid(INSIDE_ID, INSIDE_ID, INSIDE_ID)
        os.setresuid(INSIDE_ID, INSIDE_ID, INSIDE_ID)
        os.chdir("/")
        keeper = Mounts(cfg)
        keeper.replace([SCRATCH, SHM])
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        os.close(sync_w)
        os.close(go_r)
        try:
            if keeper is not None:
                mine.close()
                linux.die_with_parent()  # the keeper gone (killed with the worker's runner): so are we
                if select.select([theirs], [], [], 0)[0]:  # it was gone already (its end is closed)
                    os._exit(1)
                # the runner keeps no capability and has the programs' seccomp filter: every program,
                # a fork of it, starts that way (nothing to drop or install per program)
                linux.drop_bounding_set()
                linux.drop_capabilities()
                linux.install_seccomp()
            _runner_main(cfg, sock, theirs if keeper is not None else None)
        except BaseException:
            os.write(2, ("runner failed: " + traceback.format_exc()).encode())
        os._exit(1)
    os.write(sync_w, b"p" + pid.to_bytes(4, "big"))
    if keeper is not None:
        sock.close()
        theirs.close()
        os.close(sync_w)
        os.close(go_r)
        keeper.serve(mine)


def _cover(path: str) -> None:
    linux.mount("tmpfs", path, "tmpfs", linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC, "size=4k,nr_inodes=2,mode=0")


#: Replace requests from the runner to its keeper: one letter per mount.
_MOUNT_CODES = {SCRATCH: b"s", SHM: b"m"}


class Mounts:
    """The mount keeper (the runner's parent, in the same user and mount namespaces but not in the
    programs' PID namespace: no program can name it, and its uid's processes cannot trace it, not
    dumpable): replaces /scratch and /dev/shm with new, empty tmpfs mounts when the runner asks."""

    def __init__(self, cfg: Config) -> None:
        size = f"size={cfg.scratch_mb << 20},nr_inodes={cfg.scratch_files}"
        self.options = {SCRATCH: f"{size},mode=0700,uid={INSIDE_ID},gid={INSIDE_ID}", SHM: f"{size},mode=1777"}

    def replace(self, targets: list[str]) -> None:
        """New, empty mounts: the old ones go whatever they hold (constant time)."""
        for target in targets:
            try:
                linux.umount(target)
            except OSError:
                pass
            linux.mount("tmpfs", target, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, self.options[target])

    def serve(self, conn: socket.socket) -> None:
        """Answer the runner until it is gone; then exit."""
        while True:
            try:
                ask = conn.recv(8)
            except OSError:
                ask = b""
            if not ask:
                os._exit(0)
            try:
                self.replace([t for t, code in _MOUNT_CODES.items() if code in ask])
                conn.sendall(b"k")
            except OSError as exc:
                conn.sendall(b"e" + str(exc).encode()[:200])


class _Runner:
    """The runner process: runs one program at a time, reports how it ended, clears up after it."""

    def __init__(self, cfg: Config, sock: socket.socket, keeper: socket.socket | None) -> None:
        self.cfg = cfg
        self.sock = sock
        self.keeper = keeper
        self.scratch = cfg.scratch
        self.clean: dict[str, tuple] = {}

    # -------------------------------------------------------------------------------- scratch

    @staticmethod
    def _state(path: str) -> tuple:
        """What a program would change by leaving anything behind (files, folders, modes, xattrs)."""
        st, vfs = os.stat(path), os.statvfs(path)
        return (vfs.f_ffree, vfs.f_bfree, st.st_mode, st.st_uid, st.st_mtime_ns, st.st_ctime_ns)

    def wipe(self) -> None:
        """Make scratch and /dev/shm empty again: the keeper replaces the ones a program touched."""
        if self.keeper is None:
            _remove_children(self.scratch)
            return
        touched = [t for t, state in self.clean.items() if self._state(t) != state]
        if touched:
            self.keeper.sendall(b"".join(_MOUNT_CODES[t] for t in touched))
            said = self.keeper.recv(256)
            if said != b"k":
                raise RuntimeError(f"the mount keeper failed: {said[1:].decode(errors='replace') or 'gone'}")
            for t in touched:
                self.clean[t] = self._state(t)

    # -------------------------------------------------------------------------------- runs

    def serve(self) -> None:
        if self.keeper is not None:
            self.clean = {t: self._state(t) for t in _MOUNT_CODES}
        else:
            os.makedirs(self.scratch, exist_ok=True)
            if self.cfg.as_root and self.cfg.uid is not None:  # programs run as the worker's program uid
                os.chown(self.scratch, self.cfg.uid, self.cfg.gid if self.cfg.gid is not None else self.cfg.uid)
        send_frame(self.sock, json.dumps({"ready": True}).encode())
        while True:
            try:
                body, fds = recv_frame(self.sock, maxfds=8)
            except (EOFError, OSError):
                self.kill_all()
                return
            req = marshal.loads(body)
            if req.get("kill"):
                for fd in fds:
                    os.close(fd)
                continue  # the program it was meant for has already ended
            self.run(req, fds)

    def run(self, req: dict, fds: list[int]) -> None:
        self.wipe()
        error = ""
        try:
            for name, content in (req.get("files") or {}).items():
                with open(os.path.join(self.scratch, os.path.basename(name)), "w") as f:
                    f.write(content)
        except OSError as exc:
            error = f"could not write the run's files: {exc}"
        limits = _rlimits(req["limits"], self.cfg.isolated)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        pid = os.fork() if not error else -1
        if pid == 0:
            self.sock.close()
            _program(req, fds, limits, self.scratch, self.cfg)
        for fd in fds:
            os.close(fd)
        status, own_cpu, faults = (0, 0.0, 0)
        if pid > 0:
            status, own_cpu, faults = self.supervise(pid)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        answer = {"exit": status, "cpu": own_cpu, "cpu_all": total, "faults": faults, "error": error}
        send_frame(self.sock, json.dumps(answer).encode())

    def supervise(self, pid: int) -> tuple[int, float, int]:
        """Wait for the program (or a kill request); then kill and reap everything left."""
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        poller.register(self.sock.fileno(), select.POLLIN)
        try:
            while True:
                ready = [fd for fd, _ in poller.poll()]
                if pidfd in ready:
                    break
                try:
                    body, extra = recv_frame(self.sock, maxfds=8)
                except (EOFError, OSError):
                    self.kill_all()
                    os._exit(0)
                for fd in extra:
                    os.close(fd)
                if marshal.loads(body).get("kill"):
                    self.kill_all(pid, reap=False)
        finally:
            os.close(pidfd)
        _, status, usage = os.wait4(pid, 0)
        self.kill_all(pid)
        return status, usage.ru_utime + usage.ru_stime, usage.ru_minflt

    def kill_all(self, group: int | None = None, reap: bool = True) -> None:
        """Kill every process of the run and (``reap``) reap them. Inside the PID namespace (we are its
        init): ``kill(-1)`` reaches every process but us; without it only the program's process group
        (``group``: the program's pid)."""
        if not self.cfg.isolated:
            if group is not None:
                try:
                    os.killpg(group, signal.SIGKILL)
                except OSError:
                    pass
            if reap:
                _reap_all(block=False)
            return
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if not reap:  # the program itself is reaped by supervise()
                return
            if not _reap_all(block=True):
                return


def _reap_all(block: bool) -> bool:
    """Reap children; True when some were reaped (there may be more to kill)."""
    reaped = False
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped = True


def _remove_children(root: str) -> None:
    """Without a tmpfs of our own: remove what a run left (iteratively: any depth; unreadable dirs opened up)."""
    stack = [(os.path.join(root, name), False) for name in os.listdir(root)]
    while stack:
        path, visited = stack.pop()
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not (st.st_mode & 0o170000 == 0o040000):
            try:
                os.unlink(path)
            except OSError:
                pass
            continue
        if visited:
            try:
                os.rmdir(path)
            except OSError:
                pass
            continue
        try:
            os.chmod(path, 0o700)
        except OSError:
            pass
        stack.append((path, True))
        try:
            stack.extend((os.path.join(path, n), False) for n in os.listdir(path))
        except OSError:
            pass


def _rlimits(lim: dict, isolated: bool) -> list[tuple[int, tuple[int, int]]]:
    cpu = max(1, int(lim["cpu_s"] + 0.999))
    mem = int(lim["memory_mb"]) << 20
    stack = int(lim.get("stack_mb", 64)) << 20
    # RLIMIT_NPROC counts the processes of our uid in our user namespace: the runner and its mount
    # keeper are two of them
    nproc = int(lim["nproc"]) + (2 if isolated else 0)
    return [
        (resource.RLIMIT_CPU, (cpu, cpu + 1)),
        (resource.RLIMIT_AS, (mem, mem)),
        (resource.RLIMIT_FSIZE, ((int(lim["fsize_mb"]) << 20),) * 2),
        (resource.RLIMIT_NOFILE, (int(lim["nofile"]),) * 2),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_STACK, (stack, stack)),
        (resource.RLIMIT_NPROC, (nproc, nproc)),
    ]


#: Environment of the programs.
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": SCRATCH,
    "TMPDIR": SCRATCH,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}


def _program(req: dict, fds: list[int], limits: list, scratch: str, cfg: Config) -> None:
    """In the program's process: limits, descriptors; then run. Never returns. (With isolation it has no
    capabilities and the seccomp filter from the runner it is a fork of.)"""
    isolated = cfg.isolated
    try:
        # its own process group (what is left of it is killed as one without a PID namespace); not
        # setsid(): a new session also makes a scheduler autogroup, ~6 ms per program here
        os.setpgid(0, 0)
        for which, value in limits[:-1]:
            resource.setrlimit(which, value)
        if not isolated and cfg.as_root and cfg.uid is not None:  # unsafe backend as root: at least not root
            os.setgroups([])
            os.setresgid(cfg.gid or cfg.uid, cfg.gid or cfg.uid, cfg.gid or cfg.uid)
            os.setresuid(cfg.uid, cfg.uid, cfg.uid)
        resource.setrlimit(*limits[-1])  # RLIMIT_NPROC counts the (final) uid's processes
        os.chdir(scratch)
        # fds: stdin (or -1: /dev/null stays), stdout, stderr[, call in, call out]
        for target, fd in enumerate(fds):
            if fd >= 0:
                os.dup2(fd, target)
        os.closerange(len(fds), 1 << 16)
        if req.get("argv"):
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            env = dict(os.environ)
            os.execve(_which(req["argv"][0], env["PATH"]), req["argv"], env)
    except BaseException:
        try:
            os.write(2, traceback.format_exc().encode())
        finally:
            os._exit(126)
    if req.get("serve") is not None:
        os._exit(program_side.serve(req["serve"], scratch))
    os._exit(program_side.run_python(req["source"], scratch))


def _which(name: str, path: str) -> str:
    if "/" in name:
        return name
    for folder in path.split(":"):
        candidate = os.path.join(folder, name)
        if os.access(candidate, os.X_OK):
            return candidate
    return name


#: Run once before the runner forks programs (trusted code). The interpreter sets up a lot lazily on first
#: use: the first ``compile`` alone builds the AST types (~200 page faults, ~2 ms in every program that
#: compiles, i.e. every program, when its parent has not compiled anything); so do typing's caches,
#: exception machinery and f-string formatting. Doing it here once makes each program cheaper.
WARM_UP = '''
from typing import Any, Dict, List, Optional, Tuple, Union
import math, re


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y

    def __repr__(self) -> str:
        return f"Point({self.x!r}, {self.y!r})"


def f(numbers: List[int], words: List[str], pairs: List[Tuple[int, int]], table: Dict[str, int],
      maybe: Optional[str] = None, value: Union[int, float] = 0, blob: Any = None) -> List[float]:
    """Docstring."""
    out = [float(n) * 2.5 for n in numbers if n % 2 == 0]
    out += sorted({w.lower(): len(w) for w in words}.values(), key=lambda v: -v)
    out += [a + b for a, b in pairs] + [math.sqrt(abs(v)) for v in table.values()]
    text = " ".join(str(x) for x in out).strip().split()
    return out if text or maybe else [value]


try:
    {}["missing"]
except KeyError as exc:
    message = repr(exc) + str(exc) + f"{type(exc).__name__}: {str(exc)[:200]}"
result = f([1, 2, 3, 4], ["a", "Bb"], [(1, 2)], {"k": 9}), re.findall(r"[a-z]+", "warm up"), Point(1, 2)
'''


#: Warm imports: programs forked from the runner pay nothing for these. Only small, common ones (each
#: makes every fork a little dearer).
WARM_MODULES = ("bisect", "collections", "functools", "heapq", "itertools", "math", "re", "string", "typing")


def warm_up() -> None:
    import builtins
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
    g: dict = {"__name__": "__warm_up__", "__builtins__": builtins}
    exec(compile(WARM_UP, "warm_up.py", "exec"), g)
    program_side.plain.decode(program_side.plain.encode([1, 2.5, "x", (1,), {"a": {1}}]))
    b"".join([b"x"]).decode(errors="replace")


def _runner_main(cfg: Config, sock: socket.socket, keeper: socket.socket | None) -> None:
    import gc

    if cfg.warm:
        try:
            warm_up()
        except Exception:  # only costs speed
            pass
    sys.argv = ["main.py"]
    here = os.path.dirname(os.path.abspath(__file__))
    staged = os.path.dirname(os.path.dirname(here))
    sys.path[:] = [""] + [p for p in sys.path if p and p not in (staged, here)]  # programs import from their cwd
    os.environ.clear()  # LD_BIND_NOW included: it did its work when this interpreter started
    os.environ.update(CHILD_ENV)
    os.environ["HOME"] = os.environ["TMPDIR"] = cfg.scratch
    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in the forked programs
    _Runner(cfg, sock, keeper).serve()


def start(cfg: Config, sock_fd: int, sync_w: int, go_r: int) -> None:
    """Build the runner from this process (a fresh interpreter, or a fork of a one-shot worker). Never returns."""
    try:
        if cfg.isolated:  # as the worker is: not dumpable (again only while the id maps are written)
            linux.set_dumpable(False)
        for fd in (sock_fd, sync_w, go_r):
            os.set_inheritable(fd, False)
        # the dispositions programs start with (the worker's)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGXFSZ, signal.SIGXCPU, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        _setup(cfg, socket.socket(fileno=sock_fd), sync_w, go_r)
    except BaseException:
        os.write(2, ("runner setup failed: " + traceback.format_exc()).encode())
        os._exit(1)
    os._exit(0)


def main() -> None:
    """``python -I -c ...`` (``zygote.launcher``): CONFIG SOCK SYNC GO."""
    start(Config.from_json(sys.argv[1]), *(int(x) for x in sys.argv[2:5]))
