"""Engine overhead and worker scaling (issue: the spine).

1. 100,000 samples through a trivial reward, end to end as `rewardsmith score` runs them (read Parquet,
   score, write Parquet). Anchor: a bare loop over the same file (pyarrow read, the same function per row,
   pyarrow write) — what the engine adds is the difference.
2. A CPU-bound reward over 1 and 2 worker processes. Anchor: 1 worker. Target >= 1.8x. Also the CPU time
   the parent process spends per item with 2 workers (handing out chunks, taking results): what it takes
   from the workers' cores.

Each measure is the best of ``REPEATS`` runs, ours and the anchor's interleaved, since the machine this
runs on is often shared. The load average before and after is recorded: a 1 -> 2 worker figure only means
something when 2 cores are idle.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from machine import header, write  # noqa: E402

from rewardsmith import load_spec, reward  # noqa: E402
from rewardsmith.cli import main as cli_main  # noqa: E402
from rewardsmith.engine import Engine  # noqa: E402

N = 100_000
REPEATS = 3


@reward("bench_trivial", source="benchmark", executor="inline", replace=True)
def bench_trivial(completion: str) -> float:
    return float(len(completion) % 5)


@reward("bench_cpu", source="benchmark", executor="process", replace=True)
def bench_cpu(completion: str, work: int = 60_000) -> float:
    acc = 0
    for i in range(work):
        acc = (acc * 31 + i + len(completion)) % 1_000_003
    return float(acc % 10)


def engine_overhead(tmp: Path) -> tuple[float, float]:
    src = tmp / "in.parquet"
    rows = [{"id": f"r{i}", "prompt": f"question {i % 1000}", "completion": "answer " * (i % 13 + 1)} for i in range(N)]
    pq.write_table(pa.Table.from_pylist(rows), src)
    spec = tmp / "trivial.yaml"
    spec.write_text("components:\n  - {name: t, reward: bench_trivial}\n")

    def anchor_run() -> float:
        start = time.perf_counter()
        table = pq.read_table(src).to_pylist()
        out = [dict(r, reward=bench_trivial(r["completion"]), status="ok") for r in table]
        pq.write_table(pa.Table.from_pylist(out), tmp / "anchor.parquet")
        return N / (time.perf_counter() - start)

    def our_run() -> float:
        start = time.perf_counter()
        rc = cli_main(["score", str(spec), "-i", str(src), "-o", str(tmp / "out.parquet"), "--no-cache", "-q", "--chunk", "4096", "--restart"])
        rate = N / (time.perf_counter() - start)
        assert rc == 0 and pq.read_metadata(tmp / "out.parquet").num_rows == N
        return rate

    anchor = ours = 0.0
    for _ in range(REPEATS):
        anchor = max(anchor, anchor_run())
        ours = max(ours, our_run())
    return anchor, ours


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def scaling() -> tuple[float, float, float]:
    spec = load_spec({"components": [{"name": "c", "reward": "bench_cpu"}]})
    samples = [{"prompt": "p", "completion": f"c{i}"} for i in range(400)]
    rates = {1: 0.0, 2: 0.0}
    parent_us = float("inf")
    with Engine(spec, workers=1, cache=False) as one, Engine(spec, workers=2, cache=False) as two:
        engines = {1: one, 2: two}
        for engine in engines.values():
            engine.score(samples[:8])  # start the pool
        for _ in range(REPEATS):
            for workers, engine in engines.items():
                cpu = _cpu_self()
                start = time.perf_counter()
                engine.score(samples)
                rates[workers] = max(rates[workers], len(samples) / (time.perf_counter() - start))
                if workers == 2:
                    parent_us = min(parent_us, (_cpu_self() - cpu) / len(samples) * 1e6)
    return rates[1], rates[2], parent_us


def main() -> None:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as d:
        anchor, ours = engine_overhead(Path(d))
    one, two, parent_us = scaling()
    load_after = os.getloadavg()
    per_sample_us = 1e6 / ours - 1e6 / anchor
    cores = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    busy = max(load_before[0], load_after[0])
    text = header("Engine overhead and scaling (bench/bench_engine.py)")
    text += f"Best of {REPEATS} runs each. This process could use {usable} of {cores} CPUs. Load average (1/5/15 min) before: "
    text += f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, after: {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}"
    if usable < 2:
        text += " (one CPU only: the 1 -> 2 worker figure measures nothing; run with both CPUs, e.g. `taskset -c 0,1`)"
    elif busy > usable - 1:
        text += " (contended: other work held the cores, so the scaling figure is a lower bound)"
    text += ".\n\n"
    text += "| measure | anchor | rewardsmith | ratio | target |\n|---|---|---|---|---|\n"
    text += f"| 100k trivial samples, Parquet in -> Parquet out (samples/s) | bare loop {anchor:,.0f} | `rewardsmith score` {ours:,.0f} | {ours / anchor:.2f}x | >= 50,000/s |\n"
    text += f"| engine overhead per sample | | {per_sample_us:.1f} us | | |\n"
    text += f"| CPU-bound reward (samples/s) | 1 worker {one:,.1f} | 2 workers {two:,.1f} | {two / one:.2f}x | >= 1.8x |\n"
    text += f"| parent CPU per item, 2 workers | | {parent_us:.0f} us | | |\n"
    print(text)
    write("engine", text)


if __name__ == "__main__":
    main()
