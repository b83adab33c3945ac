"""The CLI as a user runs it: real subprocesses, real files, a run killed half way and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"
PYTHONPATH = os.pathsep.join([str(SRC), str(HERE)])  # this checkout's code first, then the test rewards


def cli(*args: str, env_extra: dict[str, str] | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=PYTHONPATH, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "rewardsmith", *args], capture_output=True, text=True, env=env, timeout=300, **kw)


def write_rows(path: Path, n: int, bad_line_at: int | None = None) -> None:
    with open(path, "w") as f:
        for i in range(n):
            if i == bad_line_at:
                f.write("{not json\n")
                continue
            f.write(json.dumps({"id": f"r{i}", "prompt": "p", "completion": "x" * (i % 17 + 1)}) + "\n")


def test_score_jsonl_and_parquet_with_bad_rows(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("components:\n  - {name: len, reward: 'user_rewards:t_len'}\n  - {name: rep, reward: repetition, weight: 0.0}\n")
    src = tmp_path / "in.jsonl"
    write_rows(src, 50, bad_line_at=10)
    with open(src, "a") as f:
        f.write(json.dumps({"id": "nocomp", "prompt": "p"}) + "\n")
    out = tmp_path / "out.jsonl"
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q")
    assert r.returncode == 0, r.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(got) == 51
    assert got[10]["status"] == "error" and "line 11: malformed JSON" in got[10]["reason"] and got[10]["reward"] is None
    assert got[50]["status"] == "error" and "'completion'" in got[50]["reason"] and "nocomp" in got[50]["reason"]
    assert got[0] == {"id": "r0", "prompt": "p", "completion": "x", "reward": 1.0, "status": "ok", "components": {"len": 1.0, "rep": 0.0}, "reason": None}
    assert "reward" in r.stdout and "len" in r.stdout  # the summary table
    pout = tmp_path / "out.parquet"
    r = cli("score", str(spec), "-i", str(src), "-o", str(pout), "--no-cache", "-q")
    assert r.returncode == 0, r.stderr
    table = pq.read_table(pout).to_pylist()
    assert [row["reward"] for row in table] == [row["reward"] for row in got]
    # parquet in, too
    r = cli("score", str(spec), "-i", str(pout), "-o", str(tmp_path / "again.jsonl"), "--no-cache", "-q")
    assert r.returncode == 0, r.stderr


def test_spec_error_stops_before_work(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("components:\n  - {name: len, reward: 'user_rewards:t_len', params: {scale: x}}\n")
    src = tmp_path / "in.jsonl"
    write_rows(src, 3)
    r = cli("score", str(spec), "-i", str(src), "-o", str(tmp_path / "o.jsonl"), "--no-cache")
    assert r.returncode == 2 and "components[0].params.scale (line 2)" in r.stdout + r.stderr
    assert not (tmp_path / "o.jsonl").exists() or (tmp_path / "o.jsonl").read_text() == ""


def test_killed_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text("components:\n  - {name: slow, reward: 'user_rewards:slow_len'}\n")
    src = tmp_path / "in.jsonl"
    n = 600
    write_rows(src, n)
    out = tmp_path / "out.jsonl"
    env = dict(os.environ, PYTHONPATH=PYTHONPATH)
    args = [sys.executable, "-m", "rewardsmith", "score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q", "--chunk", "50", "--workers", "2"]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        if out.exists() and out.read_text().count("\n") >= 150:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = out.read_text().count("\n")
    assert 150 <= done_before < n, done_before  # killed half way, finished rows kept
    r = cli("score", str(spec), "-i", str(src), "-o", str(out), "--no-cache", "-q", "--chunk", "50")
    assert r.returncode == 0, r.stderr
    assert f"resuming: {done_before} rows" in r.stdout
    clean = tmp_path / "clean.jsonl"
    r = cli("score", str(spec), "-i", str(src), "-o", str(clean), "--no-cache", "-q", "--chunk", "50")
    assert r.returncode == 0
    assert out.read_text() == clean.read_text()


def test_list_and_check(tmp_path: Path) -> None:
    r = cli("list", "--plain")
    assert r.returncode == 0
    names = {line.split("\t")[0] for line in r.stdout.splitlines()}
    assert {"overlong_penalty", "cosine_length", "repetition", "tool_call_cost", "model_cost"} <= names
    assert all(len(line.split("\t")) == 5 and line.split("\t")[4] for line in r.stdout.splitlines())  # every reward names its source
    spec = tmp_path / "s.yaml"
    spec.write_text("components:\n  - {name: over, reward: overlong_penalty}\n")
    r = cli("check", str(spec))
    assert r.returncode == 0 and "ok" in r.stdout and "DAPO" in r.stdout
