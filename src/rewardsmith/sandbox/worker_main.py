"""The sandbox worker: the trusted process inside each sandbox that takes requests and answers them.

It never runs program code. At start-up it starts its runner (``zygote.py``, ``runner_main.py``: the
process that forks programs in namespaces of their own) and then, per request from the host:

- ``{"source": str}`` / ``{"argv": [...]}``: has the runner start the program with the request's stdin,
  collects stdout / stderr within the output cap, enforces the wall time, and answers how it ended;
- ``{"driver": "asserts", "args": {...}}``: judges assert-style tests itself
  (``rewardsmith.trusted.assert_judge``): the runner starts the program in call-serving mode, the tests
  run here with the worker's own builtins, each call of the candidate goes to the program over the call
  channel and only plain data comes back. The verdict is computed here and sent to the host on the
  protocol pipe, which no program can reach.

Protocol with the host: requests on stdin are 4-byte big-endian length + ``marshal`` (from the trusted host
only); answers on stdout are 4-byte length + JSON. One answer per request, in order; the host may write
the next requests before the previous answer (they wait in the pipe, out of any program's reach).

Limits: rlimits per program (set by the runner), a wall deadline and an output cap per request (here),
a memory cgroup per worker when the host could make one (limit set here per request: the sample's
processes, files in its tmpfs and kernel memory together), else per-process address space only.
Standard library only; started by ``zygote.launcher`` (``python -I -c ...``: imported from the staged
copy's bytecode, with the package root on ``sys.path``).
"""

from __future__ import annotations

import builtins
import json
import marshal
import os
import select
import signal
import sys
import time
from collections import deque
from contextlib import contextmanager
from typing import Any, Iterator

from _frozen_importlib_external import MAGIC_NUMBER  # what importlib.util.MAGIC_NUMBER is on the host

from rewardsmith.sandbox import linux, zygote
from rewardsmith.sandbox.linux import read_exact
from rewardsmith.trusted import assert_judge, plain
from rewardsmith.trusted.assert_judge import CandidateError, NotPlainData, Remote, SampleOver, UnitTimeout

READ_CHUNK = 65536
#: Largest answer a program may give to one call (plain data as JSON).
REPLY_CAP = 16 << 20
#: Largest prefetch message written with the program's start, before it has loaded (a write of at most
#: PIPE_BUF bytes fits an empty pipe of any size: it never blocks).
PIPELINED_BATCH = 4096 - 4
#: Times a program may be restarted within one sample after dying in a call or running past a test's time.
MAX_RESTARTS = 3
#: Seconds to wait for the runner after a program ended or was killed.
RUNNER_GRACE = 10.0


def send(fd: int, answer: dict) -> None:
    data = json.dumps(answer).encode()
    view = memoryview(len(data).to_bytes(4, "big") + data)
    while view:
        view = view[os.write(fd, view) :]


@contextmanager
def no_alarm() -> Iterator[None]:
    """Hold SIGALRM (a test's timer) while talking to the runner: a message is never cut in half."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGALRM})


def _on_alarm(signum: int, frame: object) -> None:
    raise UnitTimeout()


@contextmanager
def timed(seconds: float) -> Iterator[None]:
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class Cgroup:
    """The worker's memory cgroup (cgroup v1, bound at ``zygote.CGROUP_MOUNT`` by the host): the runner
    and its programs are in it. Its limit is the request's ``memory_mb`` plus what the idle runner uses,
    written only when ``memory_mb`` changes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.memsw = os.path.exists(f"{path}/memory.memsw.limit_in_bytes")
        self.memory_mb: int | None = None

    def _read(self, name: str) -> str:
        with open(f"{self.path}/{name}") as f:
            return f.read()

    def _write(self, name: str, value: int) -> None:
        with open(f"{self.path}/{name}", "w") as f:
            f.write(str(value))

    def limit(self, memory_mb: int) -> None:
        if memory_mb == self.memory_mb:
            return
        want = int(self._read("memory.usage_in_bytes")) + (memory_mb << 20)
        names = ["memory.limit_in_bytes"] + (["memory.memsw.limit_in_bytes"] if self.memsw else [])
        current = int(self._read("memory.limit_in_bytes"))
        for name in names if want < current else reversed(names):  # memsw must stay >= the limit
            self._write(name, want)
        self.memory_mb = memory_mb

    def oom_kills(self) -> int:
        for line in self._read("memory.oom_control").splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0


def classify(sig: int | None, code: int | None, cpu: float, cpu_limit: float, stderr: str, oom: bool) -> str | None:
    """The limit a program that ended by itself (or by the kernel) ran into, if any."""
    if oom:
        return "memory"
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


class ProgramRun:
    """One program started by the runner: its pipes, output within the cap, how it ended."""

    def __init__(self, worker: Worker, request: dict, lim: dict, stdin: bytes, deadline: float, serve: bool) -> None:
        self.worker = worker
        self.lim = lim
        self.deadline = deadline
        self.started = time.monotonic()
        self.cap = int(lim["output_bytes"])
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        in_r, in_w = os.pipe() if stdin else (os.open(os.devnull, os.O_RDONLY), None)
        child = [in_r, out_w, err_w]
        self.call_w = self.rep_r = None
        if serve:
            call_r, self.call_w = os.pipe()
            self.rep_r, rep_w = os.pipe()
            child += [call_r, rep_w]
        self.oom_before = 0
        if worker.cgroup is not None:
            worker.cgroup.limit(int(lim["memory_mb"]))
            self.oom_before = worker.oom_kills  # the count after the previous program
        with no_alarm():
            worker.runner.start(request, child)
        for fd in child:
            os.close(fd)
        self.in_w = in_w
        self.pending = memoryview(stdin)
        self.out_r, self.err_r = out_r, err_r
        self.chunks: dict[int, list[bytes]] = {out_r: [], err_r: []}
        self.output = 0
        self.reply = bytearray()
        self.limit: str | None = None
        self.exit: dict | None = None
        self.exited_at = 0.0
        self.poller = select.poll()
        self.open = {out_r, err_r} | ({self.rep_r} if self.rep_r is not None else set())
        for fd in self.open:
            os.set_blocking(fd, False)
            self.poller.register(fd, select.POLLIN)
        if in_w is not None:
            os.set_blocking(in_w, False)
            self.poller.register(in_w, select.POLLOUT)
        self.poller.register(worker.runner.sock.fileno(), select.POLLIN)
        if self.call_w is not None:
            os.set_blocking(self.call_w, True)

    # ------------------------------------------------------------------------------------- events

    def kill(self) -> None:
        if self.exit is None and not getattr(self, "killed", False):
            self.killed = True
            with no_alarm():
                self.worker.runner.kill()

    def _hit(self, limit: str) -> None:
        if self.limit is None:
            self.limit = limit
        self.kill()

    def frame(self) -> bytes | None:
        buf = self.reply
        if len(buf) < 4:
            return None
        n = int.from_bytes(buf[:4], "big")
        if n > REPLY_CAP:
            raise CandidateError(f"an answer of {n} bytes (over {REPLY_CAP})")
        if len(buf) < 4 + n:
            return None
        body = bytes(buf[4 : 4 + n])
        del buf[: 4 + n]
        return body

    def pump(self, want_frame: bool) -> bytes | None:
        """Move data until a reply frame is complete (``want_frame``) or the program has ended and its
        pipes are drained; enforces the wall deadline and the output cap. None: the program ended."""
        runner_fd = self.worker.runner.sock.fileno()
        while True:
            if want_frame:
                got = self.frame()
                if got is not None:
                    return got
            if self.exit is not None and (not self.open or time.monotonic() - self.exited_at > 0.5):
                return None
            now = time.monotonic()
            if self.limit is None and now >= self.deadline:
                self._hit("wall")
            if self.exit is not None:
                timeout = 0.05
            elif self.limit is not None:
                timeout = RUNNER_GRACE
                if now - self.started > self.deadline - self.started + RUNNER_GRACE + 5:
                    raise RuntimeError("the runner does not answer")
            else:
                timeout = self.deadline - now
            for fd, _event in self.poller.poll(timeout * 1000.0 + 1.0):
                if fd == runner_fd:
                    if self.exit is None:
                        with no_alarm():
                            self.exit = self.worker.runner.read()
                        self.exited_at = time.monotonic()
                        self.poller.unregister(runner_fd)
                elif fd == self.in_w:
                    try:
                        n = os.write(self.in_w, self.pending[:READ_CHUNK])
                        self.pending = self.pending[n:]
                    except BlockingIOError:
                        continue
                    except OSError:  # the program closed its stdin (or ended)
                        self.pending = memoryview(b"")
                    if not self.pending:
                        self.poller.unregister(self.in_w)
                        os.close(self.in_w)
                        self.in_w = None
                else:
                    self._read(fd)

    def _read(self, fd: int) -> None:
        try:
            chunk = os.read(fd, READ_CHUNK)
        except BlockingIOError:
            return
        if not chunk:
            self.poller.unregister(fd)
            self.open.discard(fd)
            return
        if fd == self.rep_r:
            self.reply += chunk
            if len(self.reply) > REPLY_CAP + 4:
                self._hit("output")
            return
        room = self.cap - self.output
        if len(chunk) > room:
            if room > 0:
                self.chunks[fd].append(chunk[:room])
                self.output = self.cap
            self._hit("output")
        else:
            self.chunks[fd].append(chunk)
            self.output += len(chunk)

    def send(self, message: list) -> None:
        """Write one message on the call channel (blocking; the program reads it or dies)."""
        data = json.dumps(message, separators=(",", ":")).encode()
        view = memoryview(len(data).to_bytes(4, "big") + data)
        try:
            while view:
                view = view[os.write(self.call_w, view) :]
        except BrokenPipeError:
            pass  # it ended: pump() finds out

    def finish(self) -> dict:
        """Close what is left, make sure the program and everything it started are gone; the answer."""
        for fd in (self.call_w,):
            if fd is not None:
                os.close(fd)
        self.call_w = None
        if self.exit is None:
            self.kill()
        while self.exit is not None and self.open and self.pump(False) is not None:
            pass
        if self.exit is None or self.open:
            self.pump(False)
        for fd in (self.in_w, self.out_r, self.err_r, self.rep_r):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.in_w = None
        return self.answer()

    def answer(self) -> dict:
        ended = self.exit or {}
        status = int(ended.get("exit", 0))
        code = os.waitstatus_to_exitcode(status) if ended else None
        sig = -code if code is not None and code < 0 else None
        code = None if sig is not None or code is None else code
        stderr = b"".join(self.chunks[self.err_r]).decode(errors="replace")
        cpu = float(ended.get("cpu", 0.0))
        oom = False
        if self.worker.cgroup is not None:  # any process of the sample the OOM killer took
            self.worker.oom_kills = self.worker.cgroup.oom_kills()
            oom = self.worker.oom_kills > self.oom_before
        limit = self.limit
        if limit is None and not getattr(self, "killed", False):
            limit = classify(sig, code, cpu, float(self.lim["cpu_s"]), stderr, oom)
        elif oom and limit is None:
            limit = "memory"
        if ended.get("error"):
            limit, stderr = "sandbox", ended["error"]
        return {
            "exit_code": code,
            "signal": sig,
            "limit": limit,
            "stdout": b"".join(self.chunks[self.out_r]).decode(errors="replace"),
            "stderr": stderr,
            "seconds": time.monotonic() - self.started,
            "cpu_seconds": cpu,
            "cpu_all": float(ended.get("cpu_all", 0.0)),
            "faults": int(ended.get("faults", 0)),
            "truncated": self.limit == "output",
            "detail": ended.get("error", ""),
        }


_AGAIN = object()


class CallSession:
    """``assert_judge.Session`` over one sample: the program in call-serving mode, restarted (up to
    ``MAX_RESTARTS`` times) after it dies in a call or runs past a test's time."""

    def __init__(self, worker: Worker, source: str, lim: dict, deadline: float, prefetch: list | None = None) -> None:
        self.worker = worker
        self.source = source
        self.lim = lim
        self.deadline = deadline
        self.calls = 0
        self.restarts = 0
        self.callbacks: list[Any] = []
        self.answers: dict[str, deque[list]] = {}  # prefetched answers by call
        self.free_restart = False  # the next restart follows an abandoned prefetch: not the program's count
        self.ended: list[dict] = []  # answers of the runs that are over
        self.run: ProgramRun | None = None
        self.loaded: str | None = None  # "ready", or why the program did not load
        self.batch = self._batch(prefetch or [])
        self.batch_sent_to: ProgramRun | None = None  # the run whose call channel holds the batch
        self.start()
        if self.batch is not None and len(plain.json.dumps(["b", self.batch])) <= PIPELINED_BATCH:
            # small enough to wait in the channel's pipe while the program loads: no round trip for it
            assert self.run is not None
            self.run.send(["b", self.batch])
            self.batch_sent_to = self.run

    @staticmethod
    def _batch(calls: list) -> list | None:
        """The message body asking for the answers of ``calls`` (None when an argument is not plain data)."""
        try:
            return [["c", ["n", name], plain.tagged(list(args)), plain.tagged(kwargs)] for name, args, kwargs in calls] or None
        except plain.NotPlain:
            return None

    def start(self) -> None:
        self.run = ProgramRun(self.worker, {"serve": self.source, "limits": self.lim}, self.lim, b"", self.deadline, True)
        self.loaded = None
        self.answers.clear()  # they came from the process that ended (its handles with it)

    def _retire(self) -> None:
        if self.run is not None:
            self.ended.append(self.run.finish())
            self.run = None

    def _receive(self) -> list | None:
        """The next message of the program; None when it ended. SampleOver on a limit of the sample."""
        run = self.run
        assert run is not None
        try:
            body = run.pump(True)
        except CandidateError:
            run.kill()
            raise
        if run.limit in ("wall", "output"):
            raise SampleOver(run.limit)
        if body is None:
            return None
        try:
            message = plain.decode(body, self._incoming)
        except plain.BadWire as exc:
            run.kill()
            raise CandidateError(f"unreadable answer from the program: {exc}") from None
        if type(message) is not list or not message or type(message[0]) is not str:
            run.kill()
            raise CandidateError("unreadable answer from the program")
        return message

    def _incoming(self, tag: str, body: Any) -> Any:
        if tag == "h" and type(body) is int:
            return Remote(self, ["h", body])
        raise plain.BadWire(f"unexpected reference {tag!r}")

    def _death(self) -> str:
        self._retire()
        last = self.ended[-1]
        why = f"limit: {last['limit']}" if last["limit"] else (
            f"signal {last['signal']}" if last["signal"] is not None else f"exit {last['exit_code']}")
        return f"the program ended during the call ({why})"

    def ready(self) -> str | None:
        if self.loaded is not None:
            return None if self.loaded == "ready" else self.loaded
        message = self._receive()
        if message is None:
            self.loaded = self._death()
        elif message[0] == "ready":
            self.loaded = "ready"
        elif message[0] == "fail" and len(message) > 1:
            self.loaded = str(message[1])[:300]
        else:
            self.loaded = "unreadable answer from the program"
        return None if self.loaded == "ready" else self.loaded

    def _live(self) -> ProgramRun:
        if self.run is None or self.run.exit is not None or getattr(self.run, "killed", False):
            self._retire()
            if self.free_restart:
                self.free_restart = False
            elif self.restarts >= MAX_RESTARTS:
                raise CandidateError(f"the program ended {self.restarts + 1} times; no more restarts")
            else:
                self.restarts += 1
            self.start()
            why = self.ready()
            if why is not None:
                raise CandidateError(f"the program did not load again: {why}")
        assert self.run is not None
        return self.run

    def _ref(self, value: Any) -> dict:
        if isinstance(value, Remote):
            return {"n": object.__getattribute__(value, "_target")}
        if callable(value):
            self.callbacks.append(value)
            return {"cb": len(self.callbacks) - 1}
        raise plain.NotPlain(type(value).__name__)

    def prefetch(self, calls: list) -> None:
        """Ask for the answers of all the tests' calls in one message (they are known in advance: literal
        arguments, see ``test_driver._prefetch``); each call then takes its answer from here, in order."""
        run = self._live()
        batch = self.batch if self.batch is not None else self._batch(calls)
        if batch is None:
            return
        if self.batch_sent_to is not run:
            run.send(["b", batch])
        reply = self._receive()
        if reply is None or reply[0] != "B" or type(reply[1]) is not list or len(reply[1]) != len(batch):
            self.abandon(prefetch=True)
            return
        for message, answer in zip(batch, reply[1]):
            self.answers.setdefault(json.dumps(message[1:]), deque()).append(answer)

    def _exchange(self, message: list, args: tuple | None = None) -> Any:
        waiting = self.answers.get(json.dumps(message[1:])) if self.answers and message[0] == "c" else None
        if waiting:
            self._live()
            self.calls += 1
            settled = self._settle(waiting.popleft(), message, args)
            if settled is not _AGAIN:
                return settled
        run = self._live()
        self.calls += 1
        run.send(message)
        while True:
            reply = self._receive()
            if reply is None:
                raise CandidateError(self._death())
            settled = self._settle(reply, message, args)
            if settled is not _AGAIN:
                return settled

    def _settle(self, reply: list, message: list, args: tuple | None) -> Any:
        """The value an answer stands for (or raise what it says); ``_AGAIN`` after serving a callback."""
        run = self.run
        assert run is not None
        kind = reply[0] if type(reply) is list and reply else None
        if kind == "v" and len(reply) == 3:
            if args is not None and type(reply[2]) is list:
                self._write_back(args, reply[2])
            return reply[1]
        if kind == "o" and len(reply) == 3 and type(reply[1]) is int:
            return Remote(self, ["h", reply[1]]) if message[0] == "c" else NotPlainData(
                f"the program's {str(reply[2])[:60]} is not plain data")
        if kind == "e" and len(reply) == 3:
            raise assert_judge.rebuild_exception(str(reply[1])[:80], str(reply[2])[:300])
        if kind == "cb" and len(reply) == 4:
            run.send(self._callback(reply))
            return _AGAIN
        run.kill()
        raise CandidateError("unreadable answer from the program")

    def _callback(self, reply: list) -> list:
        _, ident, args, kwargs = reply
        if type(ident) is not int or not 0 <= ident < len(self.callbacks) or type(args) is not list or type(kwargs) is not dict:
            return ["x", "bad callback"]
        if not all(type(k) is str for k in kwargs):
            return ["x", "bad callback"]
        try:
            result = self.callbacks[ident](*args, **kwargs)
            return ["r", plain.tagged(result, self._ref)]
        except (Exception, plain.NotPlain) as exc:
            return ["x", f"{type(exc).__name__}: {str(exc)[:200]}"]

    @staticmethod
    def _write_back(args: tuple, mutated: list) -> None:
        """Arguments the program changed in place (it sends their new value): change the tests' own objects."""
        for pair in mutated:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not int or not 0 <= pair[0] < len(args):
                continue
            original, value = args[pair[0]], pair[1]
            if type(original) is not type(value):
                continue
            if type(value) is list:
                original[:] = value
            elif type(value) in (dict, set):
                original.clear()
                original.update(value)

    def call(self, target: list, args: tuple, kwargs: dict) -> Any:
        try:
            message = ["c", target, plain.tagged(list(args), self._ref), plain.tagged(kwargs, self._ref)]
        except plain.NotPlain as exc:
            raise CandidateError(f"cannot pass a {exc} to the program") from None
        return self._exchange(message, args)

    def get(self, target: list) -> Any:
        value = self._exchange(["g", target])
        if isinstance(value, NotPlainData):
            raise value
        return value

    def abandon(self, prefetch: bool = False) -> None:
        if self.run is not None:
            self.run.kill()
            self.free_restart = self.free_restart or prefetch

    def close(self) -> dict:
        self._retire()
        return self.ended[-1]


class Worker:
    """Runs one request at a time through its runner."""

    def __init__(self, cfg: zygote.Config, cgroup: str | None) -> None:
        self.cfg = cfg
        self.cgroup = Cgroup(cgroup) if cgroup else None
        self.oom_kills = self.cgroup.oom_kills() if self.cgroup else 0
        self.runner = zygote.start_runner(cfg)

    def restart_runner(self) -> None:
        self.runner.stop()
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        self.runner = zygote.start_runner(self.cfg)

    def run(self, req: dict) -> dict:
        lim = req["limits"]
        deadline = time.monotonic() + float(lim["wall_s"])
        try:
            if req.get("driver") == "asserts":
                return self.run_asserts(req["args"], lim, deadline)
            request = {"limits": lim, "files": req.get("files") or {}}
            if req.get("argv"):
                request["argv"] = req["argv"]
            else:
                request["source"] = req["source"]
            run = ProgramRun(self, request, lim, (req.get("stdin") or "").encode(), deadline, False)
            run.pump(False)
            return run.finish()
        except (OSError, EOFError, RuntimeError, ValueError):
            self.restart_runner()  # the runner failed us: a fresh one for the next request
            raise

    def run_asserts(self, args: dict, lim: dict, deadline: float) -> dict:
        spec = dict(args)
        if args.get("magic") == MAGIC_NUMBER and args.get("compiled") is not None:
            spec.update(marshal.loads(args["compiled"]))
        else:
            spec.update(compile_plan(args))
        session = CallSession(self, args["program"], lim, deadline, spec.get("prefetch"))
        signal.signal(signal.SIGALRM, _on_alarm)
        try:
            verdict = assert_judge.judge(spec, session, timed)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
        last = session.close()
        if last.get("limit") == "sandbox":
            return last
        limits = [a["limit"] for a in session.ended if a["limit"]]
        answer = dict(last)
        answer["limit"] = verdict["limit"] or (limits[0] if limits else None)
        answer["seconds"] = sum(a["seconds"] for a in session.ended)
        answer["cpu_seconds"] = sum(a["cpu_seconds"] for a in session.ended)
        answer["cpu_all"] = sum(a["cpu_all"] for a in session.ended)
        answer["stdout"] = ""
        answer["stderr"] = last["stderr"][-2000:]
        verdict["restarts"] = session.restarts
        answer["judged"] = verdict
        return answer


def compile_plan(args: dict) -> dict:
    """The plan's code objects when the host's interpreter differs from ours (the texts travel too)."""
    out: dict[str, Any] = {"units": [(kind, compile(src, f"test_{i}.py", "eval" if args.get("is_async") else "exec"))
                                     for i, (kind, src) in enumerate(args["units"])]}
    out["module"] = compile(args["module"], "tests.py", "exec") if args.get("module") else None
    out["prefix"] = compile(args["prefix"], "prompt.py", "exec") if args.get("prefix") else None
    return out


PROBE_LIMITS = {"cpu_s": 5.0, "wall_s": 20.0, "memory_mb": 512, "nproc": 8, "fsize_mb": 1, "nofile": 32,
                "stack_mb": 16, "output_bytes": 4096, "scratch_mb": 1}


def _arg(name: str, default: str | None = None) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    isolated = "--isolated" in sys.argv
    uid, gid = _arg("--uid"), _arg("--gid")
    cfg = zygote.Config(
        isolated=isolated,
        uid=int(uid) if uid else None,
        gid=int(gid) if gid else None,
        cgroup="--cgroup" in sys.argv,
        scratch=_arg("--scratch", zygote.SCRATCH) or zygote.SCRATCH,
        scratch_mb=int(_arg("--scratch-mb", "64") or 64),
        scratch_files=int(_arg("--scratch-files", "4096") or 4096),
        warm="--oneshot" not in sys.argv,
    )
    if isolated:
        linux.set_dumpable(False)  # no program can read our memory or descriptors through /proc or ptrace
    linux.prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: the runner becomes our child when its parent exits
    # the protocol uses private copies of fd 0/1; the originals go to /dev/null
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0), os.dup2(null, 1)
    os.close(null)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGXFSZ, signal.SIGXCPU, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    try:
        worker = Worker(cfg, zygote.CGROUP_MOUNT if cfg.cgroup else None)
    except Exception as exc:
        send(proto_out, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        os._exit(1)
    os.set_inheritable(proto_in, False)
    send(proto_out, {"ready": True, "pid": os.getpid(), "isolated": isolated, "seccomp": linux.seccomp_filter() is not None})
    if "--probe" in sys.argv:  # bwrap.probe(): one tiny program through the whole chain, then exit
        send(proto_out, worker.run({"source": "print(6 * 7)", "limits": PROBE_LIMITS}))
        os._exit(0)
    while True:
        try:
            req = marshal.loads(read_exact(proto_in, int.from_bytes(read_exact(proto_in, 4), "big")))
        except EOFError:
            os._exit(0)
        try:
            answer = worker.run(req)
        except Exception as exc:  # the worker failed, not the program
            answer = {"exit_code": None, "limit": "sandbox", "detail": f"{type(exc).__name__}: {exc}"}
        send(proto_out, answer)

