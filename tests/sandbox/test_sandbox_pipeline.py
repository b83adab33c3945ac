"""Pipelined workers: many requests in flight per worker, one program at a time in each.

A batch where some programs hang, crash or hit limits still gives every other program its own right
result; programs that follow each other in one worker do not see each other; a worker that dies or stops
answering costs only the program it was running (the ones queued behind it run on a fresh worker).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from rewardsmith.sandbox import Limits, Request, Sandbox
from rewardsmith.sandbox import pool as pool_mod


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _worker_python(bwrap_pid: int) -> int:
    """Host pid of the worker interpreter under a worker's bwrap (bwrap -> bwrap (pid 1 inside) -> worker
    -> mount keeper -> runner -> programs): the first interpreter whose parent is bwrap."""
    todo = [bwrap_pid]
    while todo:
        pid = todo.pop(0)
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        if not argv[0].endswith("bwrap") and any("worker_main" in a for a in argv):
            return pid
        todo.extend(_children(pid))
    raise AssertionError("no worker interpreter found")


def _wait_until_running_a_program(worker: int) -> None:
    """Until the worker's runner (the child of its mount keeper) has a child: the program."""
    for _ in range(500):
        if any(_children(runner) for keeper in _children(worker) for runner in _children(keeper)):
            return
        time.sleep(0.01)
    raise AssertionError("the worker never started the program")


def test_a_batch_with_hangs_crashes_and_hogs_keeps_every_other_result(box: Sandbox, strays) -> None:
    quick = box.limits.with_(wall_s=1, cpu_s=1)
    bad = [
        (Request(source="import time\ntime.sleep(60)\n", limits=quick), lambda r: r.limit == "wall"),
        (Request(source="while True:\n    pass\n", limits=box.limits.with_(cpu_s=1, wall_s=30)), lambda r: r.limit == "cpu"),
        (Request(source="import os\nos._exit(3)\n"), lambda r: r.exit_code == 3 and r.limit is None),
        (Request(source="import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"), lambda r: r.signal == signal.SIGSEGV),
        (Request(source="x = bytearray(8 << 30)\n"), lambda r: r.limit == "memory"),
        (Request(source="import sys\nsys.stdout.write('x' * 10_000_000)\n"), lambda r: r.limit == "output" and r.truncated),
        (Request(source="import os\nwhile True:\n    os.fork()\n"), lambda r: r.limit == "nproc"),
        (Request(source="raise ValueError('boom')\n"), lambda r: r.exit_code == 1 and "ValueError: boom" in r.stderr),
    ]
    requests: list[Request] = []
    checks = []
    for i, (req, check) in enumerate(bad):
        requests.append(Request(source=f"import sys\nprint({i} * 7, sys.stdin.read())", stdin=f"in{i}"))
        checks.append(lambda r, i=i: r.ok and r.stdout == f"{i * 7} in{i}\n")
        requests.append(req)
        checks.append(check)
    results = box.run_many(requests)
    assert len(results) == len(requests)
    for req, check, result in zip(requests, checks, results):
        assert check(result), (req.source, result)
    assert not any(r.infrastructure_error for r in results)
    assert strays() == []


def test_programs_back_to_back_in_one_worker_do_not_see_each_other(bwrap_path: str) -> None:
    first = (
        "import builtins, os, sys, time\n"
        "open('left-behind.txt', 'w').write('x')\n"
        "builtins.LEAKED = 1\n"
        "os.environ['LEAKED'] = '1'\n"
        "sys.modules['json'] = None\n"
        "if os.fork() == 0:\n"  # a daemon that outlives the program (double fork, own session)
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "print('planted')\n"
    )
    second = (
        "import builtins, json, os\n"
        "try:\n"
        "    os.kill(-1, 0)\n"  # any process of its PID namespace but itself and init (the runner)?
        "    alone = False\n"
        "except ProcessLookupError:\n"
        "    alone = True\n"
        "print(os.listdir('.'), hasattr(builtins, 'LEAKED'), os.environ.get('LEAKED'), alone)\n"
    )
    with Sandbox(workers=1, backend="bwrap", pipeline=3) as sb:
        one, two, three = sb.run_many([Request(source=first), Request(source=second), Request(source=second)])
    assert one.ok and one.stdout == "planted\n", one
    # the daemon is gone: the program and its runner are alone in their PID namespace
    assert two.ok and two.stdout == "[] False None True\n", two
    assert three.stdout == two.stdout


def test_results_keep_their_order_whatever_the_pipeline(bwrap_path: str) -> None:
    reqs = [Request(source=f"import time\ntime.sleep({0.05 * (i % 3)})\nprint({i})") for i in range(12)]
    for depth in (1, 4):
        with Sandbox(workers=2, backend="bwrap", pipeline=depth) as sb:
            assert [r.stdout for r in sb.run_many(reqs)] == [f"{i}\n" for i in range(12)]


def test_concurrent_callers_share_the_workers(bwrap_path: str) -> None:
    with Sandbox(workers=2, backend="bwrap") as sb:
        out: dict[int, list[str]] = {}

        def caller(k: int) -> None:
            out[k] = [r.stdout for r in sb.run_many([Request(source=f"print({k}, {i})") for i in range(5)])]

        threads = [threading.Thread(target=caller, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert out == {k: [f"{k} {i}\n" for i in range(5)] for k in range(6)}


def test_a_worker_killed_mid_batch_costs_only_its_running_program(bwrap_path: str) -> None:
    with Sandbox(workers=1, backend="bwrap", pipeline=4) as sb:
        assert sb.run("pass").ok
        worker = _worker_python(sb.worker_pids()[0])
        reqs = [Request(source="import time\ntime.sleep(30)\n")] + [Request(source=f"print({i})") for i in range(6)]
        got: dict[str, list] = {}
        thread = threading.Thread(target=lambda: got.setdefault("results", sb.run_many(reqs)))
        thread.start()
        _wait_until_running_a_program(worker)
        os.kill(worker, signal.SIGKILL)
        thread.join(60)
        results = got["results"]
        assert results[0].infrastructure_error and results[0].detail == "worker died", results[0]
        assert [r.stdout for r in results[1:]] == [f"{i}\n" for i in range(6)]
        assert sb.restarts == 1
        assert sb.run("print('fresh')").stdout == "fresh\n"


def test_a_worker_that_stops_answering_is_replaced(bwrap_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_mod, "WATCHDOG_GRACE", 0.5)
    with Sandbox(workers=1, backend="bwrap", limits=Limits(wall_s=1)) as sb:
        assert sb.run("pass").ok
        worker = _worker_python(sb.worker_pids()[0])
        reqs = [Request(source="import time\ntime.sleep(30)\n")] + [Request(source=f"print({i})") for i in range(3)]
        got: dict[str, list] = {}
        thread = threading.Thread(target=lambda: got.setdefault("results", sb.run_many(reqs)))
        thread.start()
        _wait_until_running_a_program(worker)
        os.kill(worker, signal.SIGSTOP)  # the worker can no longer enforce the wall limit: the host must
        thread.join(60)
        results = got["results"]
        assert results[0].infrastructure_error and results[0].detail == "worker stopped answering", results[0]
        assert [r.stdout for r in results[1:]] == ["0\n", "1\n", "2\n"]
        assert sb.restarts == 1


def test_closing_fails_what_still_waits(bwrap_path: str) -> None:
    sb = Sandbox(workers=1, backend="bwrap")
    got: dict[str, list] = {}
    reqs = [Request(source="import time\ntime.sleep(30)\n"), Request(source="print(1)")]
    thread = threading.Thread(target=lambda: got.setdefault("results", sb.run_many(reqs)))
    thread.start()
    for _ in range(3000):
        if sb.worker_pids() and any(_children(r) for k in _children(_worker_python(sb.worker_pids()[0])) for r in _children(k)):
            break
        time.sleep(0.01)
    sb.close()
    thread.join(30)
    assert all(r.infrastructure_error for r in got["results"])
    assert sb.run("print(1)").infrastructure_error
