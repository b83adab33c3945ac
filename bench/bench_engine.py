"""Engine overhead and worker scaling (issue: the spine).

1. 100,000 samples through a trivial reward, end to end as `rewardsmith score` runs them (read Parquet,
   score, write Parquet). Anchor: a bare loop over the same file (pyarrow read, the same function per row,
   pyarrow write) — what the engine adds is the difference.
2. A CPU-bound reward over 1 and 2 worker processes. Anchor: 1 worker. Target >= 1.8x.
"""

from __future__ import annotations

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

    start = time.perf_counter()
    table = pq.read_table(src).to_pylist()
    out = [dict(r, reward=bench_trivial(r["completion"]), status="ok") for r in table]
    pq.write_table(pa.Table.from_pylist(out), tmp / "anchor.parquet")
    anchor = N / (time.perf_counter() - start)

    start = time.perf_counter()
    rc = cli_main(["score", str(spec), "-i", str(src), "-o", str(tmp / "out.parquet"), "--no-cache", "-q", "--chunk", "4096", "--restart"])
    ours = N / (time.perf_counter() - start)
    assert rc == 0 and pq.read_metadata(tmp / "out.parquet").num_rows == N
    return anchor, ours


def scaling() -> tuple[float, float]:
    spec = load_spec({"components": [{"name": "c", "reward": "bench_cpu"}]})
    samples = [{"prompt": "p", "completion": f"c{i}"} for i in range(400)]
    rates = []
    for workers in (1, 2):
        with Engine(spec, workers=workers, cache=False) as engine:
            engine.score(samples[:8])  # start the pool
            start = time.perf_counter()
            engine.score(samples)
            rates.append(len(samples) / (time.perf_counter() - start))
    return rates[0], rates[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        anchor, ours = engine_overhead(Path(d))
    one, two = scaling()
    per_sample_us = 1e6 / ours - 1e6 / anchor
    text = header("Engine overhead and scaling (bench/bench_engine.py)")
    text += "| measure | anchor | rewardsmith | ratio | target |\n|---|---|---|---|---|\n"
    text += f"| 100k trivial samples, Parquet in -> Parquet out (samples/s) | bare loop {anchor:,.0f} | `rewardsmith score` {ours:,.0f} | {ours / anchor:.2f}x | >= 50,000/s |\n"
    text += f"| engine overhead per sample | | {per_sample_us:.1f} us | | |\n"
    text += f"| CPU-bound reward (samples/s) | 1 worker {one:,.1f} | 2 workers {two:,.1f} | {two / one:.2f}x | >= 1.8x |\n"
    print(text)
    write("engine", text)


if __name__ == "__main__":
    main()
