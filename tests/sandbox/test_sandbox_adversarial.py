"""Adversarial programs: each ends within its limit with the right reason, the host is unaffected, and
the next program runs normally (same warm worker)."""

from __future__ import annotations

import os
import signal
import socket
import threading
from pathlib import Path

import pytest

from rewardsmith.sandbox import Limits, Sandbox

REPO = Path(__file__).resolve().parents[2]


def next_program_runs(box: Sandbox) -> None:
    r = box.run("import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))", stdin="1 2 3")
    assert r.ok, r
    assert r.stdout == "6\n"


def test_fork_bomb(box: Sandbox, strays) -> None:
    r = box.run("import os\nwhile True:\n    os.fork()\n")
    assert r.limit == "nproc", r
    assert strays() == []
    next_program_runs(box)


def test_fork_bomb_that_swallows_errors(box: Sandbox, strays) -> None:
    source = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    r = box.run(source, limits=box.limits.with_(wall_s=2, cpu_s=30))
    assert r.limit == "wall", r
    assert r.signal == signal.SIGKILL
    assert strays() == []
    next_program_runs(box)


def test_infinite_loop_hits_cpu_limit(box: Sandbox) -> None:
    r = box.run("while True:\n    pass\n", limits=box.limits.with_(cpu_s=1, wall_s=60))
    assert r.limit == "cpu", r
    assert r.signal in (signal.SIGXCPU, signal.SIGKILL)
    next_program_runs(box)


def test_sleeping_program_hits_wall_limit(box: Sandbox) -> None:
    r = box.run("import time\ntime.sleep(60)\n", limits=box.limits.with_(wall_s=1))
    assert r.limit == "wall", r
    assert r.cpu_seconds < 1.0
    next_program_runs(box)


def test_memory_hog(box: Sandbox) -> None:
    r = box.run("x = bytearray(8 << 30)\n")
    assert r.limit == "memory", r
    r = box.run("chunks = []\nwhile True:\n    chunks.append(bytearray(16 << 20))\n")
    assert r.limit == "memory", r
    next_program_runs(box)


def test_write_outside_scratch(box: Sandbox, tmp_path: Path) -> None:
    targets = [str(REPO / "evil.txt"), "/usr/evil.txt", "/etc/evil.txt", str(tmp_path / "evil.txt"), "/evil.txt", "/tmp/evil.txt"]
    source = (
        "import sys\n"
        f"for p in {targets!r}:\n"
        "    try:\n"
        "        open(p, 'w').write('pwned')\n"
        "        print('WROTE', p)\n"
        "    except OSError as e:\n"
        "        print('refused', p, type(e).__name__)\n"
        "open('inside.txt', 'w').write('fine')\n"
        "print('scratch ok', open('inside.txt').read())\n"
    )
    r = box.run(source)
    assert r.ok, r
    assert "WROTE" not in r.stdout
    assert r.stdout.count("refused") == len(targets)
    assert "scratch ok fine" in r.stdout
    for t in targets[:5]:
        assert not Path(t).exists()
    # the scratch dir is wiped: the next program does not see the file
    r2 = box.run("import os\nprint(os.path.exists('inside.txt'), sorted(os.listdir('..')))")
    assert r2.stdout.startswith("False"), r2


def test_read_files_that_are_not_world_readable(box: Sandbox, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    secret.chmod(0o600)
    visible_private = "/etc/shadow" if Path("/etc/shadow").exists() else None
    paths = [str(secret)] + ([visible_private] if visible_private else [])
    source = (
        f"for p in {paths!r}:\n"
        "    try:\n"
        "        print('READ', p, open(p).read()[:40])\n"
        "    except OSError as e:\n"
        "        print('refused', p, type(e).__name__)\n"
    )
    r = box.run(source)
    assert r.ok, r
    assert "READ" not in r.stdout and "TOP-SECRET" not in r.stdout
    assert r.stdout.count("refused") == len(paths)
    if visible_private and os.geteuid() == 0:
        assert "PermissionError" in r.stdout  # visible, but the program runs as an unprivileged uid


def test_socket_to_host_loopback(box: Sandbox) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        # the host server itself is reachable from the host: the test can fail
        probe = socket.create_connection(("127.0.0.1", port), timeout=2)
        probe.close()
        for _ in range(50):
            if accepted:
                break
            stop.wait(0.05)
        assert len(accepted) == 1
        source = (
            "import socket\n"
            f"for host, port in [('127.0.0.1', {port}), ('1.1.1.1', 53)]:\n"
            "    s = socket.socket()\n"
            "    s.settimeout(2)\n"
            "    try:\n"
            "        s.connect((host, port)); s.sendall(b'hello'); print('CONNECTED', host)\n"
            "    except OSError as e:\n"
            "        print('blocked', host, type(e).__name__)\n"
        )
        r = box.run(source)
        assert r.ok, r
        assert "CONNECTED" not in r.stdout
        assert r.stdout.count("blocked") == 2
        assert len(accepted) == 1  # nothing new reached the host's server
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
    next_program_runs(box)


def test_killing_the_parent(box: Sandbox, strays) -> None:
    restarts = box.restarts
    source = (
        "import os, signal\n"
        "for target in (os.getppid(), 1, -1):\n"
        "    try:\n"
        "        os.kill(target, signal.SIGKILL)\n"
        "        print('sent', target)\n"
        "    except OSError as e:\n"
        "        print('refused', target, type(e).__name__)\n"
        "print('still here')\n"
    )
    r = box.run(source)
    # kill(-1) may take the program itself down; either way the host and the sandbox survive
    assert r.infrastructure_error is False or box.restarts == restarts + 1
    if os.geteuid() == 0:
        assert "refused %d" % 1 in r.stdout or r.signal == signal.SIGKILL
        assert box.restarts == restarts  # the worker (another uid) could not be killed
    assert strays() == []
    next_program_runs(box)


def test_hundred_megabytes_of_output(box: Sandbox) -> None:
    r = box.run("import sys\nsys.stdout.write('x' * 100_000_000)\nsys.stdout.flush()\n")
    assert r.limit == "output", r
    assert r.truncated
    assert len(r.stdout) + len(r.stderr) <= box.limits.output_bytes
    r = box.run("import os\nwhile True:\n    os.write(2, b'y' * 65536)\n")
    assert r.limit == "output", r
    next_program_runs(box)


def test_os_exit(box: Sandbox) -> None:
    r = box.run("import os\nprint('buffered, lost')\nos._exit(7)\n")
    assert r.exit_code == 7 and r.limit is None and r.signal is None, r
    next_program_runs(box)


def test_deep_recursion(box: Sandbox) -> None:
    r = box.run("def f(n):\n    return f(n + 1)\nf(0)\n")
    assert r.exit_code == 1 and "RecursionError" in r.stderr, r
    # recursion through C calls with the guard lifted: the C stack (RLIMIT_STACK) overflows
    r = box.run("import sys\nsys.setrecursionlimit(10**8)\ndef f(n):\n    return list(map(f, [n + 1]))\nf(0)\n")
    assert r.signal == signal.SIGSEGV and r.limit is None, r
    next_program_runs(box)


def test_big_file_in_scratch_hits_file_size_limit(box: Sandbox) -> None:
    r = box.run("with open('big.bin', 'wb') as f:\n    f.write(b'0' * (64 << 20))\n")
    assert r.limit == "fsize", r
    next_program_runs(box)


def test_pid_namespace_and_identity(box: Sandbox) -> None:
    r = box.run("import os\nprint(os.getpid() < 100, len([p for p in os.listdir('/proc') if p.isdigit()]) < 10, os.getuid())")
    assert r.ok, r
    pid_small, few_procs, uid = r.stdout.split()
    assert pid_small == "True" and few_procs == "True"
    if os.geteuid() == 0:
        assert int(uid) >= 61000
