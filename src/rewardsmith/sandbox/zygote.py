"""The runner: the one process in a sandbox that forks programs, kept out of the judge's reach and vice versa.

Inside each bubblewrap sandbox the worker (``worker_main.py``: the judge, it never runs program code)
starts a runner at boot and asks it to run each program. Layout, from the worker down::

    worker (judge)          bubblewrap's namespaces; as root: root with a few capabilities; else the
      |                     user's uid in bubblewrap's user namespace. Not dumpable.
      +- runner (pid 1)     its own user namespace (one uid, 1000 inside, mapped to a uid of its own as
           |                root or to the user's uid otherwise), PID namespace (it is init: programs
           |                cannot signal it), mount namespace (no /proc, read-only /dev, private
           |                size- and inode-capped tmpfs for /scratch and /dev/shm, remade per program),
           |                IPC namespace; in the sample's memory cgroup when there is one.
           +- program       forked per run: rlimits, no capabilities, seccomp filter (``linux.py``),
                            fds 0-2 (and 3-4, the call channel) only.

A program therefore cannot name the worker or bubblewrap's pid 1 (another PID namespace, no /proc),
cannot signal the runner (init), cannot read either's memory or descriptors (not dumpable, no
capability over their user namespace, ptrace and process_vm_* refused), and what it leaves behind
(processes, files, shared memory) is gone before the next program: every process but the runner is
killed (``kill(-1)`` from init), the tmpfs mounts are replaced (constant time, whatever is in them).

Runner protocol on a unix stream socket with the worker: requests 4-byte length + ``marshal`` (from
the trusted worker), with the program's descriptors attached (SCM_RIGHTS); answers 4-byte length +
JSON. Standard library only.
"""

from __future__ import annotations

import array
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

SCRATCH = "/scratch"
SHM = "/dev/shm"
#: uid and gid of programs inside their user namespace
INSIDE_ID = 1000
CGROUP_MOUNT = "/run/rewardsmith-cgroup"


def send_frame(sock: socket.socket, data: bytes, fds: list[int] | None = None) -> None:
    frame = len(data).to_bytes(4, "big") + data
    if fds:
        sent = sock.sendmsg([frame[:65536]], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        frame = frame[sent:]
    if frame:
        sock.sendall(frame)


def recv_frame(sock: socket.socket, maxfds: int = 0) -> tuple[bytes, list[int]]:
    """One frame and the descriptors attached to its first bytes; EOFError when the peer is gone."""
    fds: list[int] = []
    head = b""
    while len(head) < 4:
        if maxfds:
            chunk, anc, _flags, _addr = sock.recvmsg(4 - len(head), socket.CMSG_SPACE(maxfds * 4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    got = array.array("i")
                    got.frombytes(data[: len(data) - len(data) % got.itemsize])
                    fds.extend(got)
        else:
            chunk = sock.recv(4 - len(head))
        if not chunk:
            for fd in fds:
                os.close(fd)
            raise EOFError
        head += chunk
    n = int.from_bytes(head, "big")
    body = bytearray()
    while len(body) < n:
        chunk = sock.recv(min(n - len(body), 1 << 20))
        if not chunk:
            raise EOFError
        body += chunk
    return bytes(body), fds


class Config:
    """How the worker was told to build the runner (from its command line)."""

    def __init__(
        self, isolated: bool, uid: int | None, gid: int | None, cgroup: bool, scratch: str, scratch_mb: int, scratch_files: int
    ) -> None:
        self.isolated = isolated
        self.scratch = scratch if not isolated else SCRATCH  # without isolation: a host folder of this worker
        self.uid = uid  # as root: the program uid of this worker on the host
        self.gid = gid
        self.cgroup = cgroup
        self.scratch_mb = scratch_mb
        self.scratch_files = scratch_files
        self.as_root = os.geteuid() == 0


# ------------------------------------------------------------------------------------ worker's side


class Runner:
    """The worker's handle on its runner."""

    def __init__(self, sock: socket.socket, pid: int) -> None:
        self.sock = sock
        self.pid = pid

    def start(self, request: dict, fds: list[int]) -> None:
        send_frame(self.sock, marshal.dumps(request), fds)

    def kill(self) -> None:
        send_frame(self.sock, marshal.dumps({"kill": True}))

    def read(self) -> dict:
        body, _ = recv_frame(self.sock)
        return json.loads(body)

    def stop(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass
        self.sock.close()


def start_runner(cfg: Config, timeout: float = 30.0) -> Runner:
    """Fork the runner; as its parent, write its user namespace's id maps; wait for it to be ready."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sync_r, sync_w = os.pipe()  # runner -> worker: "unshared", then the runner's pid
    go_r, go_w = os.pipe()  # worker -> runner: maps written
    pid = os.fork()
    if pid == 0:
        try:
            mine.close()
            os.close(sync_r)
            os.close(go_w)
            _setup(cfg, theirs, sync_w, go_r)
        except BaseException:
            try:
                os.write(2, ("runner setup failed: " + traceback.format_exc()).encode())
            finally:
                os._exit(1)
        os._exit(0)
    theirs.close()
    os.close(sync_w)
    os.close(go_r)
    try:
        if not select.select([sync_r], [], [], timeout)[0]:
            raise RuntimeError("runner did not start")
        step = os.read(sync_r, 1)
        if cfg.isolated:
            if step != b"u":
                raise RuntimeError("runner setup failed (see stderr)")
            outside_uid = cfg.uid if cfg.as_root and cfg.uid is not None else os.getuid()
            outside_gid = cfg.gid if cfg.as_root and cfg.gid is not None else os.getgid()
            with open(f"/proc/{pid}/setgroups", "w") as f:
                f.write("deny")
            with open(f"/proc/{pid}/uid_map", "w") as f:
                f.write(f"{INSIDE_ID} {outside_uid} 1\n")
            with open(f"/proc/{pid}/gid_map", "w") as f:
                f.write(f"{INSIDE_ID} {outside_gid} 1\n")
            os.write(go_w, b"g")
            if not select.select([sync_r], [], [], timeout)[0]:
                raise RuntimeError("runner did not start")
            step = os.read(sync_r, 1)
        if step != b"p":
            raise RuntimeError("runner setup failed (see stderr)")
        runner_pid = int.from_bytes(read_exact(sync_r, 4), "big")
    finally:
        os.close(sync_r)
        os.close(go_w)
        os.waitpid(pid, 0)
    runner = Runner(mine, runner_pid)
    hello = runner.read()
    if not hello.get("ready"):
        raise RuntimeError(f"runner not ready: {hello}")
    return runner


# ------------------------------------------------------------------------------------ runner setup


def _setup(cfg: Config, sock: socket.socket, sync_w: int, go_r: int) -> None:
    """In the forked child of the worker: build the runner's namespaces, then fork the runner itself."""
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
    pid = os.fork()
    if pid == 0:
        os.close(sync_w)
        os.close(go_r)
        try:
            _runner_main(cfg, sock)
        except BaseException:
            os.write(2, ("runner failed: " + traceback.format_exc()).encode())
        os._exit(1)
    os.write(sync_w, b"p" + pid.to_bytes(4, "big"))


def _cover(path: str) -> None:
    linux.mount("tmpfs", path, "tmpfs", linux.MS_RDONLY | linux.MS_NOSUID | linux.MS_NODEV | linux.MS_NOEXEC, "size=4k,nr_inodes=2,mode=0")


class _Runner:
    """The runner process: runs one program at a time, reports how it ended, clears up after it."""

    def __init__(self, cfg: Config, sock: socket.socket) -> None:
        self.cfg = cfg
        self.sock = sock
        self.scratch = cfg.scratch
        self.tmpfs = f"size={cfg.scratch_mb << 20},nr_inodes={cfg.scratch_files},mode=0700,uid={INSIDE_ID},gid={INSIDE_ID}"
        self.shm = f"size={cfg.scratch_mb << 20},nr_inodes={cfg.scratch_files},mode=1777"
        self.clean: dict[str, tuple] = {}

    # -------------------------------------------------------------------------------- scratch

    @staticmethod
    def _state(path: str) -> tuple:
        """What a program would change by leaving anything behind (files, folders, modes, xattrs)."""
        st, vfs = os.stat(path), os.statvfs(path)
        return (vfs.f_ffree, vfs.f_bfree, st.st_mode, st.st_uid, st.st_mtime_ns, st.st_ctime_ns)

    def fresh_mounts(self, only: list[str] | None = None) -> None:
        """New, empty /scratch and /dev/shm: the old ones go whatever they hold (constant time)."""
        for target, options in ((SCRATCH, self.tmpfs), (SHM, self.shm)):
            if only is not None and target not in only:
                continue
            try:
                linux.umount(target)
            except OSError:
                pass
            linux.mount("tmpfs", target, "tmpfs", linux.MS_NOSUID | linux.MS_NODEV, options)
            self.clean[target] = self._state(target)

    def wipe(self) -> None:
        """Make scratch and /dev/shm empty again: remount the ones a program touched."""
        if not self.cfg.isolated:
            _remove_children(self.scratch)
            return
        touched = [t for t, state in self.clean.items() if self._state(t) != state]
        if touched:
            self.fresh_mounts(touched)

    # -------------------------------------------------------------------------------- runs

    def serve(self) -> None:
        if self.cfg.isolated:
            linux.drop_bounding_set()
            self.fresh_mounts()
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
                    self.kill_all(pid)
        finally:
            os.close(pidfd)
        _, status, usage = os.wait4(pid, 0)
        self.kill_all()
        return status, usage.ru_utime + usage.ru_stime, usage.ru_minflt

    def kill_all(self, pid: int | None = None) -> None:
        """Kill every process of the run and reap them. Inside the PID namespace (we are its init):
        ``kill(-1)`` reaches every process but us; without it only the program's process group."""
        if not self.cfg.isolated:
            if pid is not None:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            _reap_all(block=False)
            return
        while True:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if pid is not None:  # the program itself is reaped by supervise()
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
    # RLIMIT_NPROC counts the processes of our uid in our user namespace: the runner is one of them
    nproc = int(lim["nproc"]) + (1 if isolated else 0)
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
    """In the program's process: limits, descriptors, no capabilities, seccomp; then run. Never returns."""
    isolated = cfg.isolated
    try:
        os.setsid()
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
        if isolated:
            linux.drop_capabilities()
            linux.install_seccomp()
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


def _runner_main(cfg: Config, sock: socket.socket) -> None:
    import gc

    sys.argv = ["main.py"]
    staged = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path[:] = [""] + [p for p in sys.path if p and p != staged]  # programs import from their cwd
    os.environ.clear()
    os.environ.update(CHILD_ENV)
    os.environ["HOME"] = os.environ["TMPDIR"] = cfg.scratch
    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in the forked programs
    _Runner(cfg, sock).serve()
