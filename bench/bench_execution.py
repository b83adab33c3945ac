"""Benchmark: code_tests through the Engine with the sandbox on vs a naive harness.

Anchor: a fresh ``python -c`` subprocess per program, 2 at a time, no isolation (the usual quick
harness). Ours: ``code_tests`` through ``rewardsmith.engine.Engine`` (bubblewrap sandbox, warm forking
workers, concurrency = cores). Workload: HumanEval's 164 canonical solutions repeated 5 times with
distinct text (a comment makes each copy unique, so nothing is deduplicated or cached). Both sides
run every program against its tests and must agree that every one passes.

Run: ``.venv/bin/python bench/bench_execution.py [--repeat 5]``; writes bench/results/execution.md.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REWARDSMITH_SHARED_DATA", REPO.parent / "shared" / "data")) / "humaneval" / "HumanEval.jsonl.gz"


def load_programs(repeat: int) -> list[dict]:
    rows = [json.loads(line) for line in gzip.open(DATA, "rt")]
    out = []
    for k in range(repeat):
        for r in rows:
            out.append(
                {
                    "prompt": r["prompt"],
                    "completion": r["canonical_solution"] + f"\n# copy {k}\n",
                    "reference": {"tests": r["test"], "entry_point": r["entry_point"], "prefix": r["prompt"]},
                    "group": f"{r['task_id']}#{k}",
                }
            )
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_anchor(rows: list[dict]) -> tuple[float, list[float], int]:
    """Fresh interpreter per program, 2 at a time, no isolation."""

    def one(row: dict) -> tuple[float, bool]:
        ref = row["reference"]
        program = ref["prefix"] + row["completion"] + "\n" + ref["tests"] + f"\ncheck({ref['entry_point']})\n"
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
        return time.perf_counter() - started, proc.returncode == 0

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(one, rows))
    wall = time.perf_counter() - started
    return wall, [t for t, _ in outcomes], sum(1 for _, ok in outcomes if ok)


def run_ours(rows: list[dict]) -> tuple[float, list[float], int, str]:
    from rewardsmith.engine.runner import Engine
    from rewardsmith.sandbox import get_sandbox

    spec = {"name": "bench-execution", "components": [{"name": "tests", "reward": "code_tests", "params": {"backend": "bwrap"}}]}
    with Engine(spec, cache=False) as engine:
        box = get_sandbox("bwrap")
        engine.score(rows[:4])  # start the warm workers (counted separately: start-up, not throughput)
        started = time.perf_counter()
        results = engine.score(rows)
        wall = time.perf_counter() - started
    latencies = [float(r.info.get("tests", {}).get("seconds", float("nan"))) for r in results]
    passed = sum(1 for r in results if r.is_ok and r.value == 1.0)
    return wall, latencies, passed, box.backend


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--anchor-sample", type=int, default=0, help="run the anchor on only N programs (0: all)")
    args = parser.parse_args()
    rows = load_programs(args.repeat)
    anchor_rows = rows[: args.anchor_sample] if args.anchor_sample else rows

    a_wall, a_lat, a_ok = run_anchor(anchor_rows)
    o_wall, o_lat, o_ok, backend = run_ours(rows)
    a_rate = len(anchor_rows) / a_wall
    o_rate = len(rows) / o_wall
    ratio = o_rate / a_rate
    machine = f"{platform.machine()}, {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f} at start of write-up"
    lines = [
        "# Execution benchmark: code_tests (sandboxed, warm workers) vs naive subprocess harness",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine} (`uname -m` = {platform.machine()}, nproc = {os.cpu_count()})",
        f"- workload: HumanEval canonical solutions x{args.repeat} with distinct text ({len(rows)} programs; anchor on {len(anchor_rows)})",
        f"- ours: Engine + code_tests, sandbox backend = {backend}, cache off, per-assert test results",
        "",
        "| harness | programs | all tests pass | programs/s | p50 latency (ms) | p99 latency (ms) |",
        "|---|---|---|---|---|---|",
        f"| anchor: fresh `python -c` per program, 2 at a time, no isolation | {len(anchor_rows)} | {a_ok} | {a_rate:.1f} | {percentile(a_lat, 0.5) * 1000:.1f} | {percentile(a_lat, 0.99) * 1000:.1f} |",
        f"| rewardsmith code_tests via Engine, bubblewrap sandbox | {len(rows)} | {o_ok} | {o_rate:.1f} | {percentile(o_lat, 0.5) * 1000:.1f} | {percentile(o_lat, 0.99) * 1000:.1f} |",
        "",
        f"**ratio (ours / anchor throughput): {ratio:.1f}x** (target >= 10x)",
        "",
        "Latency: anchor = wall time of one subprocess; ours = time of the program's run inside the sandbox",
        "worker (fork to exit, as measured by the worker). Numbers are provisional when the machine is shared.",
    ]
    text = "\n".join(lines) + "\n"
    out = REPO / "bench" / "results" / "execution.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"ratio {ratio:.1f}x  (anchor {a_rate:.1f}/s, ours {o_rate:.1f}/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
