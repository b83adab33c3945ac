"""`rewardsmith score --backend ray --address HOST:PORT` joins a real Ray cluster: a head started here with
`ray start --head --node-ip-address 127.0.0.1` and token authentication on (what Ray does when a token
exists), the token handed to the client only the way Ray itself reads it ($RAY_AUTH_TOKEN_PATH), two
scoring actors; the rows equal the local backend's."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from tests.server.conftest import HERE, MATH_SPEC, free_port, gsm8k_rows

pytest.importorskip("ray")
RAY = Path(sys.executable).with_name("ray")
REPO = HERE.parents[1]


@pytest.fixture(scope="module")
def ray_head() -> Iterator[dict[str, str]]:
    if not RAY.exists():
        pytest.skip("the `ray` command is not installed beside this Python")
    root = Path(tempfile.mkdtemp(prefix="rs-ray-", dir="/tmp"))  # short: Ray's socket paths live under it
    token = root / "auth_token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    (root / "home").mkdir()
    port = free_port()
    env = dict(os.environ, HOME=str(root / "home"), RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    ports = {flag: str(free_port()) for flag in ("--dashboard-port", "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port",
                                                  "--metrics-export-port", "--runtime-env-agent-port", "--node-manager-port",
                                                  "--object-manager-port")}
    cmd = [str(RAY), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
           "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(root / "r"),
           *[x for kv in ports.items() for x in kv]]
    log = open(root / "head.log", "wb")
    head = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while b"Ray runtime started" not in (root / "head.log").read_bytes():
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ray head did not start:\n{(root / 'head.log').read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield {"address": f"127.0.0.1:{port}", "token_path": str(token), "root": str(root)}
    finally:
        for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, 10)):
            try:
                os.killpg(head.pid, sig)  # the head and every process it started (one session)
            except ProcessLookupError:
                break
            try:
                head.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        time.sleep(1)
        try:
            os.killpg(head.pid, signal.SIGKILL)  # stragglers of the session, if any
        except ProcessLookupError:
            pass
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def _score(spec: Path, src: Path, out: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "rewardsmith", "-v", "score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=str(REPO))


def test_score_joins_a_token_cluster_and_matches_local(ray_head: dict[str, str], tmp_path: Path, shared_data: Path) -> None:
    spec = tmp_path / "grpo.yaml"
    spec.write_text(MATH_SPEC + "normalize: {kind: grpo}\n")
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in gsm8k_rows(shared_data, 10, start=300)))
    client_home = tmp_path / "client-home"  # no ~/.ray/auth_token here: the token comes from Ray's env var only
    client_home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(HOME=str(client_home), PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]))
    local = _score(spec, src, tmp_path / "local.jsonl", env, "--workers", "2")
    assert local.returncode == 0, local.stderr
    joined = _score(spec, src, tmp_path / "ray.jsonl", {**env, "RAY_AUTH_TOKEN_PATH": ray_head["token_path"]},
                    "--backend", "ray", "--address", ray_head["address"], "--workers", "2")
    assert joined.returncode == 0, joined.stderr[-3000:]
    assert "with token authentication" in joined.stderr and "Connected to Ray cluster" in joined.stderr
    want = [json.loads(x) for x in (tmp_path / "local.jsonl").read_text().splitlines()]
    got = [json.loads(x) for x in (tmp_path / "ray.jsonl").read_text().splitlines()]
    assert len(got) == 40 and got == want
    assert sum(r["status"] == "ok" for r in got) == 40
