"""The warm worker that runs inside the sandbox (standard library only; started as a script).

It is a pre-started Python interpreter that forks one child per program, so a short program costs a
fork, not an interpreter start-up. Protocol on its stdin/stdout: 4-byte big-endian length + JSON, one
request then one answer. A request is ``{"source": str}`` (Python run in the forked child),
``{"driver": name, "args": {...}}`` (a trusted driver of this file, e.g. the assert-tests runner, already
compiled in the warm interpreter) or ``{"argv": [..]}`` (exec'd), plus ``stdin``, ``limits`` and optional
``files`` written to the scratch dir.

Per run the child: starts a new session, gets a fresh scratch directory (wiped afterwards), its rlimits
(CPU, address space, processes, file size, open files, no core), drops to an unprivileged uid when the
worker runs as root, and has fd 0/1/2 on pipes plus fd 3 as a report channel. The worker enforces the
wall time and the output cap, kills the whole process tree (inside the sandbox's PID namespace: every
process but itself), and answers exit status, signal, limit hit, output, report and times.
"""

from __future__ import annotations

import builtins
import io
import json
import os
import resource
import selectors
import shutil
import signal
import struct
import sys
import time
import traceback

# Warm imports: programs that use these pay nothing for them.
import bisect  # noqa: F401
import collections  # noqa: F401
import copy  # noqa: F401
import fractions  # noqa: F401
import functools  # noqa: F401
import hashlib  # noqa: F401
import heapq  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import random  # noqa: F401
import re  # noqa: F401
import string  # noqa: F401
import typing  # noqa: F401

HEADER = struct.Struct(">I")
#: Environment of the programs (set once in the worker; argv runs get HOME/TMPDIR = their run dir).
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/scratch",
    "TMPDIR": "/scratch",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}
READ_CHUNK = 65536
REPORT_CAP = 1 << 20


def read_exact(fd: int, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError
        buf.extend(chunk)
    return bytes(buf)


def send(fd: int, message: dict) -> None:
    data = json.dumps(message).encode()
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class Worker:
    def __init__(self, isolated: bool, slot: int, scratch_root: str) -> None:
        self.isolated = isolated  # inside our own PID namespace: every other process is ours to kill
        self.slot = slot
        self.scratch_root = scratch_root
        self.as_root = os.geteuid() == 0
        self.uid = 61000 + slot if self.as_root else os.getuid()
        self.gid = 61000 + slot if self.as_root else os.getgid()
        self.counter = 0

    # ------------------------------------------------------------------------------------------ child

    def child(self, req: dict, run_dir: str, fds: tuple[int, int, int, int]) -> None:
        """In the forked child: limits, identity, fds, then run. Never returns."""
        try:
            os.setsid()
            lim = req["limits"]
            cpu = max(1, int(lim["cpu_s"] + 0.999))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
            mem = int(lim["memory_mb"]) << 20
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_FSIZE, ((int(lim["fsize_mb"]) << 20),) * 2)
            resource.setrlimit(resource.RLIMIT_NOFILE, (int(lim["nofile"]),) * 2)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            stack = int(lim.get("stack_mb", 64)) << 20
            resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
            if self.as_root:
                os.setgroups([])
                os.setresgid(self.gid, self.gid, self.gid)
                os.setresuid(self.uid, self.uid, self.uid)
            # RLIMIT_NPROC counts the processes of the (now unprivileged) real uid
            resource.setrlimit(resource.RLIMIT_NPROC, (int(lim["nproc"]),) * 2)
            os.chdir(run_dir)
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            os.closerange(4, 1 << 16)
            # signal dispositions and the environment were set once in main(): nothing to redo per run
            if req.get("argv"):
                signal.signal(signal.SIGPIPE, signal.SIG_DFL)
                env = dict(CHILD_ENV, HOME=run_dir, TMPDIR=run_dir)
                os.execve(shutil.which(req["argv"][0], path=env["PATH"]) or req["argv"][0], req["argv"], env)
        except BaseException:
            try:
                os.write(2, traceback.format_exc().encode())
            finally:
                os._exit(126)
        if req.get("driver"):
            os._exit(DRIVERS[req["driver"]](req["args"], run_dir))
        os._exit(run_python(req["source"], run_dir))

    # ----------------------------------------------------------------------------------------- parent

    def run(self, req: dict) -> dict:
        lim = req["limits"]
        self.counter += 1
        run_dir = os.path.join(self.scratch_root, f"run-{self.slot}-{self.counter}")
        os.mkdir(run_dir, 0o700)
        for name, content in (req.get("files") or {}).items():
            path = os.path.join(run_dir, os.path.basename(name))
            with open(path, "w") as f:
                f.write(content)
        if self.as_root:
            for dirpath, dirnames, filenames in os.walk(run_dir):
                for n in [dirpath] + [os.path.join(dirpath, x) for x in dirnames + filenames]:
                    os.chown(n, self.uid, self.gid)
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        rep_r, rep_w = os.pipe()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(in_w), os.close(out_r), os.close(err_r), os.close(rep_r)
            self.child(req, run_dir, (in_r, out_w, err_w, rep_w))
        for fd in (in_r, out_w, err_w, rep_w):
            os.close(fd)
        try:
            answer = self.supervise(pid, req, lim, started, in_w, out_r, err_r, rep_r)
        finally:
            self.sweep(pid)
            for fd in (in_w, out_r, err_r, rep_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.wipe_scratch()
        return answer

    def wipe_scratch(self) -> None:
        """Remove everything under the scratch root: the next program starts from an empty dir."""
        for entry in os.listdir(self.scratch_root):
            path = os.path.join(self.scratch_root, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def supervise(
        self, pid: int, req: dict, lim: dict, started: float, in_w: int, out_r: int, err_r: int, rep_r: int
    ) -> dict:
        sel = selectors.DefaultSelector()
        stdin = memoryview(req.get("stdin", "").encode())
        os.set_blocking(in_w, False)
        if stdin:
            sel.register(in_w, selectors.EVENT_WRITE, "stdin")
        else:
            os.close(in_w)
        bufs = {"stdout": bytearray(), "stderr": bytearray(), "report": bytearray()}
        for fd, name in ((out_r, "stdout"), (err_r, "stderr"), (rep_r, "report")):
            sel.register(fd, selectors.EVENT_READ, name)
        pidfd = os.pidfd_open(pid)
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        deadline = started + float(lim["wall_s"])
        cap = int(lim["output_bytes"])
        limit: str | None = None
        status: int | None = None
        rusage = None
        open_pipes = 3
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if limit is None and now >= deadline:
                limit = "wall"
                self.kill_tree(pid)
            if exited_at is not None and (open_pipes == 0 or now - exited_at > 0.5):
                break
            timeout = max(0.0, deadline - now) if limit is None else 0.5
            if exited_at is not None:
                timeout = min(timeout, 0.05)
            for key, _ in sel.select(timeout):
                what = key.data
                if what == "stdin":
                    try:
                        n = os.write(in_w, stdin[:READ_CHUNK])
                        stdin = stdin[n:]
                    except (BrokenPipeError, BlockingIOError, OSError):
                        stdin = memoryview(b"")
                    if not stdin:
                        sel.unregister(in_w)
                        os.close(in_w)
                elif what == "exit":
                    sel.unregister(pidfd)
                    _, status, rusage = os.wait4(pid, 0)
                    exited_at = time.monotonic()
                    if self.isolated:
                        self.kill_tree(pid)  # strays may hold the pipes open
                else:
                    chunk = os.read(key.fd, READ_CHUNK)
                    if not chunk:
                        sel.unregister(key.fd)
                        open_pipes -= 1
                        continue
                    buf = bufs[what]
                    room = (REPORT_CAP if what == "report" else cap - len(bufs["stdout"]) - len(bufs["stderr"]))
                    if what != "report" and len(chunk) > room:
                        buf.extend(chunk[: max(0, room)])
                        if limit is None:
                            limit = "output"
                            self.kill_tree(pid)
                    elif what == "report":
                        buf.extend(chunk[: max(0, REPORT_CAP - len(buf))])
                    else:
                        buf.extend(chunk)
        sel.close()
        os.close(pidfd)
        seconds = time.monotonic() - started
        if status is None:  # killed but not yet reaped
            self.kill_tree(pid)
            _, status, rusage = os.wait4(pid, 0)
        cpu = (rusage.ru_utime + rusage.ru_stime) if rusage is not None else 0.0
        exit_code = os.waitstatus_to_exitcode(status)
        sig = -exit_code if exit_code < 0 else None
        code = None if sig is not None else exit_code
        stderr = bufs["stderr"].decode(errors="replace")
        if limit is None:
            limit = classify(sig, code, cpu, float(lim["cpu_s"]), stderr)
        return {
            "exit_code": code,
            "signal": sig,
            "limit": limit,
            "stdout": bufs["stdout"].decode(errors="replace"),
            "stderr": stderr,
            "report": bufs["report"].decode(errors="replace"),
            "seconds": seconds,
            "cpu_seconds": cpu,
            "faults": rusage.ru_minflt if rusage is not None else 0,
            "truncated": limit == "output",
        }

    def kill_tree(self, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.isolated:
            self.sweep(pid, reap=False)
        elif self.as_root:
            self.kill_uid()

    def sweep(self, pid: int, reap: bool = True) -> None:
        """Kill every process left from the run (double forks and setsid escape the process group)."""
        me = os.getpid()
        for _ in range(50):
            strays = []
            if self.isolated:
                for entry in os.listdir("/proc"):
                    if entry.isdigit() and int(entry) not in (1, me):
                        strays.append(int(entry))
            elif self.as_root:
                strays = self.uid_processes()
            for p in strays:
                try:
                    os.kill(p, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if reap:
                while True:
                    try:
                        reaped, _ = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if reaped == 0:
                        break
            if not strays:
                return
            time.sleep(0.002)

    def uid_processes(self) -> list[int]:
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                if os.stat(f"/proc/{entry}").st_uid == self.uid:
                    out.append(int(entry))
            except OSError:
                pass
        return out

    def kill_uid(self) -> None:
        for p in self.uid_processes():
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def classify(sig: int | None, code: int | None, cpu: float, cpu_limit: float, stderr: str) -> str | None:
    """The limit a run that ended by itself (or by the kernel) ran into, if any."""
    if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= cpu_limit):
        return "cpu"
    if sig == signal.SIGXFSZ or (code and "File too large" in stderr[-2000:]):
        return "fsize"
    tail = stderr[-2000:]
    if code and "MemoryError" in tail:
        return "memory"
    if code and (("BlockingIOError" in tail and "fork" in tail) or "can't start new thread" in tail):
        return "nproc"
    return None


def _show_source(filename: str, source: str) -> None:
    """Let tracebacks print the program's lines (and the limit classifier see e.g. ``os.fork()``)."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)


def _prepare_streams(run_dir: str) -> None:
    """The worker's own std stream objects now sit on the child's pipes (fd 0/1/2): reused as they are
    (empty: the worker never writes to them). ``sys.path[0]`` is "" (the run's cwd) since main()."""


def _finish(code: int) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass
    return code


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def run_python(source: str, run_dir: str) -> int:
    """In the child: run ``source`` as ``__main__``; return the exit status."""
    _prepare_streams(run_dir)
    main = {"__name__": "__main__", "__builtins__": builtins, "__file__": os.path.join(run_dir, "main.py")}
    code = 0
    _show_source("main.py", source)
    try:
        exec(compile(source, "main.py", "exec"), main)
    except SystemExit as exc:
        code = _exit_code(exc)
    except MemoryError:
        os.write(2, b"MemoryError: memory limit reached\n")
        code = 1
    except BaseException:
        try:
            traceback.print_exc()
        except BaseException:
            os.write(2, b"error\n")
        code = 1
    return _finish(code)


class _UnitTimeout(BaseException):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _UnitTimeout()


def run_asserts(args: dict, run_dir: str) -> int:
    """In the child: the assert-tests driver. Runs the program, the tests module, then each unit (a
    statement of ``check``'s body or of the tests) with its own alarm, reporting one JSON line per unit
    on fd 3: ``{"unit": i, "ok": bool, "error"?: str, "n": nonce}``; then ``{"done": true}``."""
    _prepare_streams(run_dir)
    nonce = args["nonce"]

    def report(obj: dict) -> None:
        obj["n"] = nonce
        try:
            os.write(3, (json.dumps(obj) + "\n").encode())
        except OSError:
            pass

    signal.signal(signal.SIGALRM, _alarm)
    g = {"__name__": "__main__", "__builtins__": builtins, "__file__": os.path.join(run_dir, "solution.py")}
    _show_source("solution.py", args["program"])
    try:
        exec(compile(args["program"], "solution.py", "exec"), g)
        if args["module"]:
            exec(compile(args["module"], "tests.py", "exec"), g)
        if args["entry_point"] is not None:
            g[args["bind"]] = g[args["entry_point"]]
    except BaseException as exc:
        if isinstance(exc, MemoryError):
            os.write(2, b"MemoryError: memory limit reached\n")
        report({"program_error": f"{type(exc).__name__}: {str(exc)[:300]}"})
        return _finish(1)
    timeout = float(args["timeout"])
    for i, (_kind, src) in enumerate(args["units"]):
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            exec(compile(src, f"test_{i}.py", "exec"), g)
            signal.setitimer(signal.ITIMER_REAL, 0)
            report({"unit": i, "ok": True})
        except _UnitTimeout:
            report({"unit": i, "ok": False, "error": "timeout"})
        except BaseException as exc:
            signal.setitimer(signal.ITIMER_REAL, 0)
            report({"unit": i, "ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
    report({"done": True})
    return _finish(0)


DRIVERS = {"asserts": run_asserts}


def main() -> None:
    isolated = "--isolated" in sys.argv
    slot = int(sys.argv[sys.argv.index("--slot") + 1]) if "--slot" in sys.argv else 0
    scratch = sys.argv[sys.argv.index("--scratch") + 1] if "--scratch" in sys.argv else "/tmp"
    # the protocol uses private copies of fd 0/1; the originals go to /dev/null
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0), os.dup2(null, 1)
    os.close(null)
    # the dispositions every program starts with: kernel defaults (SIGXFSZ kills at the file-size
    # limit), except SIGPIPE, ignored as in any Python program (and the worker must survive a closed pipe)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGXFSZ, signal.SIGXCPU, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(CHILD_ENV)
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch
    sys.argv = ["main.py"]
    sys.path[0] = ""  # imports from the run's cwd, not from this script's folder
    worker = Worker(isolated, slot, scratch)
    import gc

    gc.collect()
    gc.freeze()  # fewer copy-on-write pages in the forked children
    send(proto_out, {"ready": True, "pid": os.getpid(), "uid": worker.uid, "isolated": isolated})
    while True:
        try:
            (n,) = HEADER.unpack(read_exact(proto_in, HEADER.size))
            req = json.loads(read_exact(proto_in, n))
        except EOFError:
            os._exit(0)
        try:
            answer = worker.run(req)
        except Exception as exc:  # the worker failed, not the program
            answer = {"exit_code": None, "limit": "sandbox", "detail": f"{type(exc).__name__}: {exc}"}
        send(proto_out, answer)


if __name__ == "__main__":
    main()
