"""Why an embedded verdict took 30-130 s: seconds per ``reference_verifier`` verdict of the embedded SmolLM2-135M
at 1 intra-op thread (the judge's default since this benchmark) against torch's default (one thread per core,
the anchor: what the judge ran with before), on the same GSM8K rows, alternating, in one process.

    PYTHONPATH=src python bench/bench_judge_threads.py --rows 6 --busy 0,1 --out bench/results/judge_threads.md

Two conditions: nothing else started by the benchmark, and one process spinning on a core beside the judge (a
trainer stands there in practice). Do not set OMP_NUM_THREADS (the anchor is torch's own default). Reports wall
and CPU seconds per verdict (medians), the ratio anchor / ours per condition, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_embedded_judge import rows  # noqa: E402


def torch_default_threads() -> int:
    """The intra-op thread count a fresh thread gets (torch's default unless someone set it)."""
    import torch

    seen: list[int] = []
    t = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))
    t.start()
    t.join()
    return seen[0]


def spinners(n: int) -> list[subprocess.Popen[bytes]]:
    """``n`` processes that each keep one core busy (standing in for a trainer beside the judge)."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=6)
    p.add_argument("--busy", default="0,1", help="conditions: how many cores a competing busy process takes")
    p.add_argument("--out", default="bench/results/judge_threads.md")
    args = p.parse_args()
    if "OMP_NUM_THREADS" in os.environ:
        raise SystemExit("unset OMP_NUM_THREADS: the anchor is torch's default thread count")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rewardsmith.judges.kinds.reference import reference_verifier

    anchor = torch_default_threads()
    settings = {"ours (threads=1)": 1, f"anchor (torch default, threads={anchor})": anchor}
    ours, base = list(settings)
    data = rows(args.rows)
    asyncio.run(reference_verifier(data[0]["question"], data[0]["completion"], reference=data[0]["reference"]))  # load once
    table: list[str] = []
    ratios: list[str] = []
    same = True
    loads = [os.getloadavg()[0]]
    for busy in (int(x) for x in args.busy.split(",")):
        procs = spinners(busy)
        try:
            wall: dict[str, list[float]] = {k: [] for k in settings}
            cpu: dict[str, list[float]] = {k: [] for k in settings}
            verdicts: dict[str, list[float]] = {k: [] for k in settings}
            for i, r in enumerate(data):
                for name in (list(settings) if i % 2 == 0 else list(reversed(settings))):
                    t, c = time.time(), time.process_time()
                    res = asyncio.run(reference_verifier(r["question"], r["completion"], reference=r["reference"],
                                                         threads=settings[name]))
                    wall[name].append(time.time() - t)
                    cpu[name].append(time.process_time() - c)
                    verdicts[name].append(res.value)
                    print(f"busy {busy} row {r['id']} {name}: {wall[name][-1]:.2f} s wall, {cpu[name][-1]:.2f} s cpu", flush=True)
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
        loads.append(os.getloadavg()[0])
        same = same and verdicts[ours] == verdicts[base]
        med = {k: statistics.median(v) for k, v in wall.items()}
        for k in settings:
            table.append(f"| {busy} | {k} | {med[k]:.2f} | {statistics.median(cpu[k]):.2f} | {max(wall[k]):.2f} |")
        ratios.append(f"{busy} busy: {med[base] / med[ours]:.1f}x")
    lines = [
        f"# Embedded judge: seconds per verdict by intra-op threads ({date.today()})\n",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other work; load average "
        f"{', '.join(f'{x:.1f}' for x in loads)} (start, after each condition). `reference_verifier`, embedded "
        f"SmolLM2-135M, the first {len(data)} GSM8K rows of bench_embedded_judge.py, each judged at both settings "
        "(alternating order), one process, model loaded once. Condition: how many other processes spin on a core "
        "(started by the benchmark, standing in for a trainer). Same verdicts at both settings: "
        f"{same}.\n",
        "| busy cores | setting | median wall s / verdict | median CPU s / verdict | max wall s |",
        "|---|---|---|---|---|",
        *table,
        "",
        f"Ratio anchor / ours (median wall): {'; '.join(ratios)}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
