"""Sandbox basics: protocol, concurrency, backends, environment checks, dying with the parent."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rewardsmith.sandbox import Limits, Request, Sandbox, SandboxUnavailable
from rewardsmith.sandbox import bwrap as bwrap_mod
from rewardsmith.sandbox.checks import check_environment, environment_errors
from rewardsmith.spec import load_spec

REPO = Path(__file__).resolve().parents[2]


def test_stdin_files_argv_and_exit_status(box: Sandbox) -> None:
    r = box.run("import sys\nprint(sys.stdin.read()[::-1])", stdin="abc")
    assert (r.exit_code, r.stdout, r.backend) == (0, "cba\n", "bwrap")
    r = box.run("print(open('data.txt').read().upper())", files={"data.txt": "hello"})
    assert r.stdout == "HELLO\n"
    r = box.run(argv=["sh", "-c", "echo $((6*7)); exit 3"])
    assert (r.exit_code, r.stdout) == (3, "42\n")
    r = box.run("raise SystemExit('bye')")
    assert r.exit_code == 1 and "bye" in r.stderr
    r = box.run("raise ValueError('boom')")
    assert r.exit_code == 1 and "ValueError: boom" in r.stderr and "main.py" in r.stderr


def test_run_many_keeps_order_over_two_workers(bwrap_path: str) -> None:
    with Sandbox(workers=2, backend="bwrap") as sb:
        reqs = [Request(source=f"print({i} * {i})") for i in range(20)]
        results = sb.run_many(reqs)
        assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(20)]
        # two workers: two sandboxes; as root each with its own program uid on the host
        args = [Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") for pid in sb.worker_pids()]
        uids = {a[a.index(b"--uid") + 1] for a in args if b"--uid" in a}
        assert len(uids) == (2 if os.geteuid() == 0 else 0)


def test_network_and_filesystem_view(box: Sandbox) -> None:
    source = textwrap.dedent(
        """
        import os, socket
        print(sorted(n for n in os.listdir('/') if n not in ('lib32', 'libx32')))
        print(os.path.exists('/work/shared/data'), os.path.exists(os.path.expanduser('~root/.ssh')))
        print([name for _, name in socket.if_nameindex()])
        """
    )
    r = box.run(source)
    assert r.ok, r
    lines = r.stdout.splitlines()
    assert "'home'" not in lines[0] and "'var'" not in lines[0]
    assert lines[1] == "False False"
    assert lines[2] == "['lo']"  # its own network namespace: loopback only


def test_refuses_without_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDSMITH_BWRAP", "/nonexistent/bwrap")
    bwrap_mod.find_bwrap.cache_clear()
    try:
        with pytest.raises(SandboxUnavailable):
            Sandbox(workers=1, backend="bwrap")
    finally:
        monkeypatch.delenv("REWARDSMITH_BWRAP")
        bwrap_mod.find_bwrap.cache_clear()


def test_no_silent_fallback_and_the_unsafe_backend_only_by_name(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("REWARDSMITH_BWRAP", "")
    bwrap_mod.find_bwrap.cache_clear()
    try:
        for backend in ("auto", "bwrap"):
            with pytest.raises(SandboxUnavailable, match="unsafe-subprocess"):
                Sandbox(workers=1, backend=backend)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unsafe-subprocess"):
            Sandbox(workers=1, backend="subprocess")  # type: ignore[arg-type]
        with caplog.at_level(logging.WARNING, logger="rewardsmith.sandbox"):
            sb = Sandbox(workers=1, backend="unsafe-subprocess", limits=Limits(wall_s=5, cpu_s=5, memory_mb=256))
        assert any("UNSAFE" in rec.getMessage() for rec in caplog.records)
        with sb:
            assert sb.backend == "unsafe-subprocess" and not sb.isolated
            assert sb.run("print(6 * 7)").stdout == "42\n"
            assert sb.run("import time\ntime.sleep(30)").limit == "wall"
            assert sb.run("x = bytearray(2 << 30)").limit == "memory"
            if os.geteuid() == 0:  # even unisolated, programs do not run as root
                assert sb.run("import os\nprint(os.getuid())").stdout.strip() != "0"
    finally:
        monkeypatch.delenv("REWARDSMITH_BWRAP")
        bwrap_mod.find_bwrap.cache_clear()


def test_check_fails_when_code_would_run_without_a_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = load_spec({"name": "s", "components": [{"name": "tests", "reward": "code_tests"}]})
    unsafe = load_spec({"name": "u", "components": [
        {"name": "tests", "reward": "code_tests", "params": {"backend": "unsafe-subprocess"}}]})
    plain = load_spec({"name": "p", "components": [{"name": "calls", "reward": "tool_call"}]})
    bwrap_mod.find_bwrap.cache_clear()
    if bwrap_mod.find_bwrap()[0] is not None:
        assert environment_errors(spec) == []
    monkeypatch.setenv("REWARDSMITH_BWRAP", "/nonexistent/bwrap")
    bwrap_mod.find_bwrap.cache_clear()
    try:
        errors = environment_errors(spec)
        assert len(errors) == 1 and "NO SANDBOX for tests" in errors[0]
        assert environment_errors(unsafe) == []
        assert [w for w in check_environment(unsafe) if w.startswith("UNSAFE: tests")]
        assert environment_errors(plain) == [] and check_environment(plain) == []
    finally:
        monkeypatch.delenv("REWARDSMITH_BWRAP")
        bwrap_mod.find_bwrap.cache_clear()


def test_cli_check_fails_without_a_sandbox(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: ct\ncomponents:\n  - {name: tests, reward: code_tests}\n")
    env = dict(os.environ, REWARDSMITH_BWRAP="/nonexistent/bwrap", COLUMNS="200")
    out = subprocess.run([sys.executable, "-m", "rewardsmith", "check", str(spec)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, (out.stdout, out.stderr)
    assert "ERROR" in out.stdout and "NO SANDBOX for tests" in out.stdout


def test_workers_die_with_their_parent(bwrap_path: str) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from rewardsmith.sandbox import Sandbox
        sb = Sandbox(workers=2, backend="bwrap")
        sb.run_many([__import__("rewardsmith.sandbox", fromlist=["Request"]).Request(source="pass")] * 4)
        print(" ".join(str(p) for p in sb.worker_pids()), flush=True)
        os._exit(0)  # no cleanup: the kernel must take the sandboxes down
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    pids = [int(p) for p in out.stdout.split()]
    assert len(pids) == 2, out.stderr
    def running(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    alive = pids
    for _ in range(200):
        alive = [p for p in pids if running(p)]
        if not alive:
            break
        time.sleep(0.05)
    assert alive == []
