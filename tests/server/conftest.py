"""Fixtures for the server tests: real `rewardsmith serve` processes on 127.0.0.1 and GSM8K rows."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import orjson
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SOLVERS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")

MATH_SPEC = """
name: server-test
components:
  - {name: correct, reward: math_equiv, weight: 1.0}
  - {name: words, reward: "server_rewards:slow_words", weight: 0.01, required: false}
  - {name: rep, reward: repetition, weight: 0.1, params: {n: 2}}
combine: weighted_sum
"""


def gsm8k_rows(shared_data: Path, problems: int, start: int = 0) -> list[dict[str, Any]]:
    """Four real model solutions per GSM8K test problem, grouped by problem, with the gold answer as reference."""
    rows: list[dict[str, Any]] = []
    with open(shared_data / "gsm8k" / "model_solutions.jsonl", "rb") as f:
        for i, line in enumerate(f):
            if i < start:
                continue
            if i >= start + problems:
                break
            d = orjson.loads(line)
            reference = d["ground_truth"].rsplit("A:", 1)[1].strip()
            for k in SOLVERS:
                rows.append(
                    {"id": f"{i}-{k}", "prompt": d["question"], "completion": d[k]["solution"], "reference": reference,
                     "group": f"p{i}", "metadata": {"is_correct": d[k]["is_correct"]}}
                )
    return rows


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServeProcess:
    """`rewardsmith serve SPEC ...` in a subprocess; ``url``, ``pid``, ``stop()`` (SIGTERM, graceful)."""

    def __init__(self, spec_path: Path, *args: str, token: str | None = "test-token", cache_dir: Path | None = None,
                 log: Path | None = None, insecure: bool = True) -> None:
        """``token``: passed in $REWARDSMITH_TOKEN; None: ``--insecure-local`` (unless ``insecure=False``:
        then ``args`` say where the token comes from)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = token
        cmd = [sys.executable, "-m", "rewardsmith", "serve", str(spec_path), "--port", str(self.port), *args]
        env = dict(os.environ)
        env.pop("REWARDSMITH_TOKEN", None)
        if token:
            env["REWARDSMITH_TOKEN"] = token  # the token goes in the environment, not on the command line
        elif insecure:
            cmd.append("--insecure-local")
        env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")])
        if cache_dir is not None:
            env["REWARDSMITH_CACHE_DIR"] = str(cache_dir)
        self.log_path = log or spec_path.with_suffix(f".{self.port}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(REPO))
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._wait_ready()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _wait_ready(self, limit: float = 90.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready after {limit}s:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)

    def rss_bytes(self) -> int:
        import psutil

        return int(psutil.Process(self.pid).memory_info().rss)

    def metric(self, metric_name: str, /, **labels: str) -> float:
        """The value of one sample of the server's /metrics (0.0 when absent)."""
        from prometheus_client.parser import text_string_to_metric_families

        text = httpx.get(self.url + "/metrics", headers=self.headers, timeout=10).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == metric_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    return float(sample.value)
        return 0.0


@pytest.fixture(scope="session")
def math_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("specs") / "math.yaml"
    path.write_text(MATH_SPEC)
    return path


@pytest.fixture(scope="session")
def math_server(math_spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    """One token-protected server for the API tests (small limits so the limit paths are reachable)."""
    srv = ServeProcess(
        math_spec, "--workers", "2", "--no-cache", "--max-batch", "256", "--max-body-mb", "1", "--stream-chunk", "64", "--docs",
        log=tmp_path_factory.mktemp("logs") / "math_server.log",
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def local_engine(math_spec: Path) -> Iterator[Any]:
    """The in-process engine on the same spec: what the server must agree with."""
    sys.path.insert(0, str(HERE))
    from rewardsmith.engine import Engine

    engine = Engine(str(math_spec), workers=2, cache=False)
    yield engine
    engine.close()
