"""Benchmark: math verification through the HTTP server vs in-process (64-sample batches), and the Ray
backend on 2 local CPUs vs the local backend. Writes bench/results/server.md.

Run: .venv/bin/python bench/bench_server.py [--batches 16]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REWARDSMITH_SHARED_DATA", ROOT.parent / "shared" / "data"))
SPEC = "name: bench-math\ncomponents:\n  - {name: correct, reward: math_equiv}\n"
SOLVERS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def rows(n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with open(DATA / "gsm8k" / "model_solutions.jsonl", "rb") as f:
        for i, line in enumerate(f):
            d = orjson.loads(line)
            ref = d["ground_truth"].rsplit("A:", 1)[1].strip()
            for k in SOLVERS:
                out.append({"id": f"{i}-{k}", "prompt": d["question"], "completion": d[k]["solution"], "reference": ref})
            if len(out) >= n:
                return out[:n]
    return out


def pct(xs: list[float], p: int) -> float:
    return statistics.quantiles(xs, n=100)[p - 1] if len(xs) > 1 else xs[0]


def timed(fn: Any, batches: list[list[dict[str, Any]]]) -> tuple[float, list[float], list[Any]]:
    lat, out = [], []
    t0 = time.perf_counter()
    for b in batches:
        t = time.perf_counter()
        out.extend(fn(b))
        lat.append(time.perf_counter() - t)
    return time.perf_counter() - t0, lat, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=16)
    args = ap.parse_args()
    from rewardsmith.engine import Engine
    from rewardsmith.server import RewardClient

    tmp = Path(tempfile.mkdtemp())
    spec = tmp / "bench.yaml"
    spec.write_text(SPEC)
    data = rows(64 * args.batches)
    batches = [data[i : i + 64] for i in range(0, len(data), 64)]
    engine = Engine(str(spec), workers=2, cache=False)
    engine.score(batches[0][:4])  # fork the workers
    t_local, lat_local, res_local = timed(engine.score, batches)
    engine.close()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "rewardsmith", "serve", str(spec), "--port", str(port), "--insecure-local",
                             "--no-cache", "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(url + "/readyz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    client = RewardClient(url)
    client.score(batches[0][:4])
    t_srv, lat_srv, res_srv = timed(client.score, batches)
    client.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    assert [r.to_fields() for r in res_srv] == [r.to_fields() for r in res_local]

    import ray

    from rewardsmith.engine.ray_backend import RayEngine

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    reng = RayEngine(str(spec), workers=2, cache=False)
    reng.score(batches[0][:4])
    t_ray, lat_ray, res_ray = timed(reng.score, batches)
    reng.close()
    ray.shutdown()
    assert [r.to_fields() for r in res_ray] == [r.to_fields() for r in res_local]

    n = len(data)
    lines = [
        f"# Server and Ray benchmark ({datetime.date.today()}, {platform.machine()}, {os.cpu_count()} CPUs; provisional, machine shared)",
        "",
        f"math_equiv on {n} real GSM8K model solutions, batches of 64, 2 worker processes, no cache; results identical in all three.",
        "",
        "| path | rows/s | ratio vs in-process | p50 batch ms | p99 batch ms |",
        "|---|---|---|---|---|",
    ]
    for name, t, lat in (("in-process Engine", t_local, lat_local), ("HTTP server (/v1/score, sync client)", t_srv, lat_srv),
                         ("RayEngine (2 local CPUs)", t_ray, lat_ray)):
        lines.append(f"| {name} | {n / t:.0f} | {t_local / t:.2f}x | {pct(lat, 50) * 1000:.0f} | {pct(lat, 99) * 1000:.0f} |")
    lines += ["", f"server / in-process throughput: {t_local / t_srv:.2f}x (target >= 0.75x); Ray / local: {t_local / t_ray:.2f}x"]
    text = "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / "server.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
