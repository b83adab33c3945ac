"""The worker's side of its runner: the one process in a sandbox that forks programs.

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

The runner is a fresh, small interpreter (``runner_main.py``, exec'd by a child of the worker, which
then builds the namespaces and forks the runner): a program is a fork of the runner, and a fork costs
in proportion to the memory of the process forked (page tables copied, pages shared copy-on-write,
all of it torn down again at exit), so nothing of the judge is copied into each program.

A program therefore cannot name the worker or bubblewrap's pid 1 (another PID namespace, no /proc),
cannot signal the runner (init), cannot read either's memory or descriptors (not dumpable, no
capability over their user namespace, ptrace and process_vm_* refused), and what it leaves behind
(processes, files, shared memory) is gone before the next program: every process but the runner is
killed (``kill(-1)`` from init), the tmpfs mounts it touched are replaced (constant time, whatever is
in them).

Runner protocol on a unix stream socket with the worker: requests 4-byte length + ``marshal`` (from
the trusted worker), with the program's descriptors attached (SCM_RIGHTS); answers 4-byte length +
JSON. Standard library only.
"""

from __future__ import annotations

import array
import json
import marshal
import os
import select
import signal
import socket
import sys

from rewardsmith.sandbox.linux import read_exact

SCRATCH = "/scratch"
SHM = "/dev/shm"
#: uid and gid of programs inside their user namespace
INSIDE_ID = 1000
CGROUP_MOUNT = "/run/rewardsmith-cgroup"
#: The root of the package tree this module was loaded from (the staged copy of the worker's modules).
MODULES_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def launcher(python: str, root: str, module: str) -> list[str]:
    """The command that runs ``rewardsmith.sandbox.<module>.main()`` from the package tree at ``root``
    (imported, so from its compiled bytecode; a script would be compiled at every start)."""
    code = f"import sys; sys.path.insert(0, {root!r}); from rewardsmith.sandbox import {module} as m; m.main()"
    return [python, "-I", "-c", code]


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
    """How the worker was told to build the runner (from its command line); travels to the runner as JSON."""

    def __init__(
        self, isolated: bool, uid: int | None, gid: int | None, cgroup: bool, scratch: str, scratch_mb: int,
        scratch_files: int, as_root: bool | None = None, warm: bool = True,
    ) -> None:
        self.isolated = isolated
        self.scratch = scratch if not isolated else SCRATCH  # without isolation: a host folder of this worker
        self.uid = uid  # as root: the program uid of this worker on the host
        self.gid = gid
        self.cgroup = cgroup
        self.scratch_mb = scratch_mb
        self.scratch_files = scratch_files
        self.as_root = os.geteuid() == 0 if as_root is None else as_root
        #: a warm pool's runner: a fresh interpreter with warm modules (every fork of it is a program);
        #: else (one-shot) a fork of the worker, no warm-up (its one program execs a command)
        self.warm = warm

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Config:
        return cls(**json.loads(text))


class Runner:
    """The worker's handle on its runner (and, with isolation, the runner's mount keeper)."""

    def __init__(self, sock: socket.socket, pid: int, keeper: int | None = None) -> None:
        self.sock = sock
        self.pid = pid
        self.keeper = keeper

    def start(self, request: dict, fds: list[int]) -> None:
        send_frame(self.sock, marshal.dumps(request), fds)

    def kill(self) -> None:
        send_frame(self.sock, marshal.dumps({"kill": True}))

    def read(self) -> dict:
        body, _ = recv_frame(self.sock)
        return json.loads(body)

    def stop(self) -> None:
        for pid in (self.pid, self.keeper):
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.sock.close()


def start_runner(cfg: Config, timeout: float = 30.0) -> Runner:
    """Start ``runner_main.py`` in a fresh interpreter (it builds the namespaces, forks the runner and,
    with isolation, stays as its mount keeper); as its parent, write the id maps of its user namespace;
    wait for the runner to be ready."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sync_r, sync_w = os.pipe()  # runner -> worker: "unshared", then the runner's pid
    go_r, go_w = os.pipe()  # worker -> runner: maps written
    passed = [theirs.fileno(), sync_w, go_r]
    argv = launcher(sys.executable, MODULES_ROOT, "runner_main") + [cfg.to_json(), *map(str, passed)]
    # LD_BIND_NOW: every symbol is resolved once here, not in each forked program (copying the pages it writes)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LD_BIND_NOW": "1"}
    pid = os.fork()
    if pid == 0:
        try:
            mine.close()
            os.close(sync_r)
            os.close(go_w)
            if not cfg.warm:
                from rewardsmith.sandbox import runner_main

                runner_main.start(cfg, *passed)
            for fd in passed:
                os.set_inheritable(fd, True)
            os.execve(sys.executable, argv, env)
        finally:
            os.write(2, b"could not start the runner\n")
            os._exit(1)
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
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(sync_r)
        os.close(go_w)
    if not cfg.isolated:
        os.waitpid(pid, 0)  # done: the runner was its last act
    runner = Runner(mine, runner_pid, pid if cfg.isolated else None)
    hello = runner.read()
    if not hello.get("ready"):
        raise RuntimeError(f"runner not ready: {hello}")
    return runner
