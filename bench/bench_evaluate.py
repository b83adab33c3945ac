"""Benchmark of the evaluate area. Anchor: a plain-Python reimplementation of JudgeBench's both-orders metric
(the published scoring loop) on the same files, in the same run; and brute-force enumeration for the exact
best-of-N curve. Prints ratios and writes bench/results/evaluate.md."""

from __future__ import annotations

import datetime
import itertools
import json
import os
import platform
import time
from pathlib import Path

from rewardsmith.evaluate import curves, harness, readers

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "judgebench" / "rm_outputs"


def anchor_judgebench(path: Path) -> float:
    """JudgeBench-style loop over the raw JSON (no bootstrap, no slices)."""
    flip = {"A>B": "B>A", "B>A": "A>B", "A=B": "A=B"}

    def dec(s: list[float]) -> str:
        return "A>B" if s[0] > s[1] else "B>A" if s[0] < s[1] else "A=B"

    rows = [json.loads(line) for line in open(path)]
    n = 0
    for r in rows:
        c = 0
        for d in (dec(r["judgments"][0]["judgment"]["scores"]), flip[dec(r["judgments"][1]["judgment"]["scores"])]):
            c += 1 if d == r["label"] else -1 if d == flip[r["label"]] else 0
        n += c > 0
    return 100 * n / len(rows)


def main() -> None:
    lines = []
    files = sorted(DATA.glob("*.jsonl"))
    t0 = time.perf_counter()
    anchor = {f.name: anchor_judgebench(f) for f in files}
    t_anchor = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = {f.name: 100 * harness.eval_judgebench_scored(readers.read_judgebench_scored(f)).metrics["both_orders_accuracy"].value for f in files}
    t_ours = time.perf_counter() - t0
    for k in anchor:
        lines.append(f"| judgebench {k} | {ours[k]:.2f} | anchor {anchor[k]:.2f} | equal: {abs(ours[k] - anchor[k]) < 1e-9} |")
    lines.append(f"| judgebench-scored, 3 files (ours incl. 1000-resample bootstrap + slices) | {t_ours:.3f}s | anchor loop {t_anchor:.3f}s | ratio {t_ours / t_anchor:.1f}x |")

    import random

    rng = random.Random(0)
    groups = [([float(rng.randint(0, 5)) for _ in range(12)], [float(rng.randint(0, 1)) for _ in range(12)]) for _ in range(20)]
    t0 = time.perf_counter()
    exact = curves.best_of_n_curve(groups)
    t_exact = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute = []
    for n in range(1, 13):
        vals = []
        for proxy, gold in groups:
            gs = []
            for sub in itertools.combinations(range(12), n):
                top = max(proxy[i] for i in sub)
                w = [gold[i] for i in sub if proxy[i] == top]
                gs.append(sum(w) / len(w))
            vals.append(sum(gs) / len(gs))
        brute.append(sum(vals) / len(vals))
    t_brute = time.perf_counter() - t0
    err = max(abs(p.gold - b) for p, b in zip(exact, brute))
    lines.append(f"| best-of-N curve, 20 groups of 12 (exact formula) | {t_exact * 1000:.2f} ms | brute-force enumeration {t_brute * 1000:.0f} ms | speed-up {t_brute / t_exact:.0f}x, max diff {err:.1e} |")

    head = (f"# bench_evaluate\n\n{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}, "
            f"{platform.machine()}, nproc {os.cpu_count()} (provisional: machine shared)\n\n| case | ours | anchor | ratio |\n|---|---|---|---|\n")
    text = head + "\n".join(lines) + "\n"
    print(text)
    out = ROOT / "bench" / "results" / "evaluate.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
