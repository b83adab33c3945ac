"""Adversarial programs: each ends within its limit with the right reason, the host is unaffected, and
the next program runs normally (same warm worker)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
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
    """The program's parent is the runner, init of the program's own PID namespace: signals to it are
    dropped, and nothing outside the namespace (the worker, bubblewrap) has a pid the program can name."""
    restarts = box.restarts
    source = (
        "import os, signal\n"
        "print('parent', os.getppid())\n"
        "for target in (os.getppid(), 1, -1, 2, 3):\n"
        "    try:\n"
        "        os.kill(target, signal.SIGKILL)\n"
        "        print('sent', target)\n"
        "    except OSError as e:\n"
        "        print('refused', target, type(e).__name__)\n"
        "print('still here')\n"
    )
    r = box.run(source)
    assert r.ok, r
    assert r.stdout.splitlines()[0] == "parent 1"
    assert "still here" in r.stdout and "refused -1 ProcessLookupError" in r.stdout
    assert "refused 2 ProcessLookupError" in r.stdout and "refused 3 ProcessLookupError" in r.stdout
    assert box.restarts == restarts  # the worker and its runner are untouched
    assert strays() == []
    next_program_runs(box)


def test_no_host_environment_and_no_view_of_other_processes(box: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing of the host's environment is anywhere in the sandbox (bubblewrap's pid 1 included); /proc is
    not there for programs, so no other process's environ, fds or memory can be opened."""
    source = (
        "import os\n"
        "print(sorted(os.environ))\n"
        "for path in ('/proc/1/environ', '/proc/2/environ', '/proc/2/fd/0', '/proc/2/mem', '/proc/self/status'):\n"
        "    try:\n"
        "        open(path, 'rb').read(64)\n"
        "        print('opened', path)\n"
        "    except OSError as e:\n"
        "        print('refused', path, type(e).__name__)\n"
    )
    r = box.run(source)
    assert r.ok, r
    lines = r.stdout.splitlines()
    assert lines[0] == str(sorted(["HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED", "TMPDIR"]))
    assert [line.split()[0] for line in lines[1:]] == ["refused"] * 5
    # and the worker's own pid 1 was started with PATH only (read from the host side)
    outer = box.worker_pids()[0]
    for pid in [outer, *_children(outer)]:
        assert set(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")) <= {b"", b"PATH=/usr/local/bin:/usr/bin:/bin"}


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


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
    """Own PID namespace (small pid, parent 1: the runner) and user namespace (uid 1000 inside, empty
    capability bounding set)."""
    r = box.run("import os\nprint(os.getpid(), os.getppid(), os.getuid(), open('/dev/null').name)\n"
                "import ctypes\nprint(ctypes.CDLL(None).prctl(23, 21, 0, 0, 0))")  # PR_CAPBSET_READ CAP_SYS_ADMIN
    assert r.ok, r
    first, second = r.stdout.splitlines()
    pid, ppid, uid, _ = first.split()
    assert int(pid) < 1000 and (ppid, uid) == ("1", "1000")
    assert second == "0"


def test_dev_is_read_only_and_shm_is_private_capped_and_wiped(box: Sandbox) -> None:
    source = (
        "import os\n"
        "print(sorted(os.listdir('/dev/shm')))\n"
        "for path in ('/dev/planted', '/dev/shm/planted'):\n"
        "    try:\n"
        "        open(path, 'w').write('x')\n"
        "        print('wrote', path)\n"
        "    except OSError as e:\n"
        "        print('refused', path, type(e).__name__)\n"
        "n = 0\n"
        "try:\n"
        "    with open('/dev/shm/big', 'wb') as f:\n"
        "        for _ in range(1000):\n"
        "            f.write(b'x' * (1 << 20))\n"
        "            f.flush()\n"
        "            n += 1\n"
        "except OSError as e:\n"
        "    print('full after', n, 'MB', type(e).__name__)\n"
    )
    limits = box.limits.with_(fsize_mb=2000)
    first = box.run(source, limits=limits)
    assert first.ok, first
    lines = first.stdout.splitlines()
    assert lines[:3] == ["[]", "refused /dev/planted OSError", "wrote /dev/shm/planted"]
    full = lines[3].split()
    assert full[:2] == ["full", "after"] and int(full[2]) <= box.limits.scratch_mb
    second = box.run(source, limits=limits)
    assert second.stdout.splitlines()[0] == "[]", second  # the previous program's files are gone


def test_files_and_folders_in_scratch_are_capped(box: Sandbox) -> None:
    source = (
        "import os\n"
        "n = 0\n"
        "try:\n"
        "    while n < 150_000:\n"
        "        open('e%d' % n, 'w').close()\n"
        "        n += 1\n"
        "except OSError as e:\n"
        "    print(n, e.errno)\n"
    )
    r = box.run(source, limits=box.limits.with_(wall_s=30, cpu_s=30))
    assert r.ok, r
    made, errno = r.stdout.split()
    assert int(made) < box.limits.scratch_files and errno == "28"  # ENOSPC: out of inodes
    next_program_runs(box)


@pytest.mark.skipif(os.geteuid() != 0, reason="memory cgroups need root here (the unprivileged bound is per process)")
def test_memory_is_bounded_per_sample_not_per_process(bwrap_path: str) -> None:
    """Six children of 100 MB each under a 256 MB limit: per process each would fit; the sample does not."""
    source = (
        "import os, time\n"
        "kids = []\n"
        "for _ in range(6):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        block = bytearray(100 << 20)\n"
        "        for i in range(0, len(block), 4096):\n"
        "            block[i] = 1\n"
        "        time.sleep(2)\n"
        "        os._exit(0)\n"
        "    kids.append(pid)\n"
        "done = sum(os.waitpid(p, 0)[1] == 0 for p in kids)\n"
        "print(done)\n"
    )
    with Sandbox(workers=1, backend="bwrap", limits=Limits(memory_mb=256, wall_s=20, cpu_s=20)) as sb:
        assert sb.cgroups, sb.memory_bound
        r = sb.run(source)
        assert int(r.stdout or "0") < 6, r
        assert r.limit == "memory", r
        assert sb.run("print('next')").stdout == "next\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="program uids are per instance only as root")
def test_two_instances_do_not_share_program_uids_or_process_counts(bwrap_path: str) -> None:
    hold = "import os, time\nkids = [os.fork() or time.sleep(3) or os._exit(0) for _ in range(14)]\nprint('held')\n"
    forks = "import os\nkids = [os.fork() or os._exit(0) for _ in range(10)]\nprint('forked')\n"
    limits = Limits(nproc=16, wall_s=20, cpu_s=20)
    with Sandbox(workers=1, backend="bwrap", limits=limits) as a, Sandbox(workers=1, backend="bwrap", limits=limits) as b:
        assert a._uids is not None and b._uids is not None and a._uids.base != b._uids.base
        got: dict[str, object] = {}
        thread = threading.Thread(target=lambda: got.setdefault("a", a.run(hold)))
        thread.start()
        time.sleep(1.0)
        rb = b.run(forks)
        thread.join(30)
        assert rb.ok and rb.stdout == "forked\n", rb
