"""Benchmark: code_tests through the Engine with the sandbox on vs a naive harness.

Anchor: a fresh ``python -c`` subprocess per program, 2 at a time, no isolation (the usual quick
harness: program and tests in one interpreter, so its verdict is forgeable). Ours: ``code_tests`` through
``rewardsmith.engine.Engine`` (bubblewrap sandbox, warm workers, concurrency = cores, the tests judged by
the trusted worker with every candidate call made in the sandboxed program), as the current user and,
when run as root, again as ``nobody`` (the unprivileged mode: no cgroup, user namespaces only).
Workload: HumanEval's 164 canonical solutions repeated 5 times with distinct text (a comment makes each
copy unique, so nothing is deduplicated or cached). Every side runs every program against its tests and
must agree that every one passes.

Besides throughput (the target: ours / anchor, measured in the same run), the bench records the CPU
each side spends per program (anchor: its interpreters; ours: this process + the sandbox workers and
the programs they fork). On a shared machine the throughput ratio moves with the load (each side gets
the CPU share of its runnable processes, and ours has more of them); the CPU ratio moves much less.

Run: ``.venv/bin/python bench/bench_execution.py [--repeat 5] [--baseline-src DIR/src]``; writes
bench/results/execution.md. ``--baseline-src`` measures another checkout (e.g. the previous commit, from
``git archive``) right after ours, in the same run: an A/B under the same load.
The machine may be shared: the load average before and after is recorded with the figures.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import gzip
import json
import os
import platform
import resource
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


def _self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _tree_cpu(roots: list[int]) -> float:
    """CPU seconds of the process trees under ``roots`` (Linux): each process's own time plus what its
    reaped children used (the sandbox workers reap the programs they fork)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    todo = list(roots)
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            todo += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / tick
    return total


def run_anchor(rows: list[dict]) -> tuple[float, list[float], int, float]:
    """Fresh interpreter per program, 2 at a time, no isolation."""

    def one(row: dict) -> tuple[float, bool]:
        ref = row["reference"]
        program = _program(row)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", program], capture_output=True, timeout=60)
        return time.perf_counter() - started, proc.returncode == 0

    cpu = _self_cpu() + _children_cpu()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(one, rows))
    wall = time.perf_counter() - started
    cpu = _self_cpu() + _children_cpu() - cpu
    return wall, [t for t, _ in outcomes], sum(1 for _, ok in outcomes if ok), cpu


def run_ours(rows: list[dict]) -> tuple[float, list[float], int, str, float]:
    from rewardsmith.engine.runner import Engine
    from rewardsmith.sandbox import get_sandbox

    spec = {"name": "bench-execution", "components": [{"name": "tests", "reward": "code_tests", "params": {"backend": "bwrap"}}]}
    with Engine(spec, cache=False) as engine:
        box = get_sandbox("bwrap")
        engine.score(rows[:4])  # start the warm workers (counted separately: start-up, not throughput)
        cpu = _self_cpu() + _tree_cpu(box.worker_pids())
        started = time.perf_counter()
        results = engine.score(rows)
        wall = time.perf_counter() - started
        cpu = _self_cpu() + _tree_cpu(box.worker_pids()) - cpu
    latencies = [float(r.info.get("tests", {}).get("seconds", float("nan"))) for r in results]
    passed = sum(1 for r in results if r.is_ok and r.value == 1.0)
    memory = "memory cgroup per sample" if getattr(box, "cgroups", False) else "no cgroup: memory per process"
    return wall, latencies, passed, f"{box.backend}, {memory}", cpu


def run_ours_unprivileged(repeat: int) -> tuple[float, list[float], int, str, float] | None:
    """``run_ours`` in a child process as nobody (None when this process cannot drop to nobody)."""
    from rewardsmith.testing import unprivileged

    if os.geteuid() != 0:
        return None  # the main run already is unprivileged
    if not unprivileged.available():
        return None
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "HOME": "/tmp",
           "REWARDSMITH_SHARED_DATA": str(DATA.parents[1])}
    argv = unprivileged.as_nobody([sys.executable, str(Path(__file__).resolve()), "--ours-json", "--repeat", str(repeat)], env)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800, cwd="/")
    if out.returncode != 0:
        raise RuntimeError(f"unprivileged run failed: {out.stderr[-2000:]}")
    wall, lat, passed, backend, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, lat, passed, backend, cpu


def run_ours_from(src: str, repeat: int) -> tuple[float, list[float], int, str, float]:
    """``run_ours`` in a child process with the package imported from ``src`` (another checkout: the
    A/B against a previous commit, in the same run and under the same load)."""
    env = dict(os.environ, PYTHONPATH=src, REWARDSMITH_SHARED_DATA=str(DATA.parents[1]))
    argv = [sys.executable, str(Path(__file__).resolve()), "--ours-json", "--repeat", str(repeat)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800, cwd="/", env=env)
    if out.returncode != 0:
        raise RuntimeError(f"run from {src} failed: {out.stderr[-2000:]}")
    wall, lat, passed, backend, cpu = json.loads(out.stdout.strip().splitlines()[-1])
    return wall, lat, passed, backend, cpu


def _program(row: dict) -> str:
    ref = row["reference"]
    return ref["prefix"] + row["completion"] + "\n" + ref["tests"] + f"\ncheck({ref['entry_point']})\n"


FLOOR_SCRIPT = r"""
import json, os, resource, sys
programs = json.load(open(sys.argv[1]))
def cpu(children=True):
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + (b.ru_utime + b.ru_stime if children else 0.0)
start = cpu(False)
for p in programs:
    exec(compile(p, "<program>", "exec"), {"__name__": "__main__"})
in_process = (cpu(False) - start) / len(programs) * 1000
start = cpu()
for p in programs:
    pid = os.fork()
    if pid == 0:
        try:
            exec(compile(p, "<program>", "exec"), {"__name__": "__main__"})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
print(json.dumps([in_process, (cpu() - start) / len(programs) * 1000]))
"""


def run_floors(rows: list[dict]) -> tuple[float, float]:
    """CPU ms per program of two bare harnesses in a fresh small interpreter (the size of a sandbox worker):
    compile + run one after another in one process, and fork per program with the program run in the child
    (no isolation, no IPC). The programs are HumanEval's canonical solutions, which the anchor also runs
    without isolation."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([_program(r) for r in rows], f)
    try:
        out = subprocess.run([sys.executable, "-c", FLOOR_SCRIPT, f.name], capture_output=True, text=True, check=True)
    finally:
        os.unlink(f.name)
    in_process, forked = json.loads(out.stdout.strip().splitlines()[-1])
    return float(in_process), float(forked)


def _row(label: str, run: tuple[float, list[float], int, str, float], n: int) -> tuple[str, float, float]:
    """A table row of one run of ``run_ours`` (wall, latencies, passed, backend, cpu), its rate and CPU ms per program."""
    wall, lat, passed, _backend, cpu = run
    rate, cpu_ms = n / wall, cpu / n * 1000
    row = (f"| {label} | {n} | {passed} | {rate:.1f} | {percentile(lat, 0.5) * 1000:.1f} | "
           f"{percentile(lat, 0.99) * 1000:.1f} | {cpu_ms:.2f} |")
    return row, rate, cpu_ms


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--anchor-sample", type=int, default=0, help="run the anchor on only N programs (0: all)")
    parser.add_argument("--ours-json", action="store_true", help=argparse.SUPPRESS)  # the unprivileged child run
    parser.add_argument("--baseline-src", default="", help="the src/ folder of a previous commit: measured too, right after ours")
    parser.add_argument("--baseline-name", default="previous commit", help="what --baseline-src is, for the table")
    args = parser.parse_args()
    rows = load_programs(args.repeat)
    if args.ours_json:
        print(json.dumps(list(run_ours(rows))))
        return 0
    anchor_rows = rows[: args.anchor_sample] if args.anchor_sample else rows

    load_before = os.getloadavg()[0]
    a_wall, a_lat, a_ok, a_cpu = run_anchor(anchor_rows)
    o_wall, o_lat, o_ok, backend, o_cpu = run_ours(rows)
    baseline = run_ours_from(args.baseline_src, args.repeat) if args.baseline_src else None
    nobody = run_ours_unprivileged(args.repeat)
    floor_in, floor_fork = run_floors(rows)
    a_rate = len(anchor_rows) / a_wall
    o_rate = len(rows) / o_wall
    ratio = o_rate / a_rate
    a_cpu_ms = a_cpu / len(anchor_rows) * 1000
    o_cpu_ms = o_cpu / len(rows) * 1000
    who = "root" if os.geteuid() == 0 else "the current (unprivileged) user"
    nobody_rows: list[str] = []
    nobody_ratio = ""
    if nobody is not None:
        row, n_rate, n_cpu_ms = _row(f"rewardsmith code_tests via Engine, as nobody ({nobody[3]})", nobody, len(rows))
        nobody_rows = [row]
        nobody_ratio = (f"; as nobody: **{n_rate / a_rate:.1f}x** throughput, {a_cpu_ms / n_cpu_ms:.1f}x CPU per program")
    baseline_rows: list[str] = []
    baseline_line = ""
    if baseline is not None:
        who_b = "root" if os.geteuid() == 0 else "the current user"
        row, b_rate, b_cpu_ms = _row(f"{args.baseline_name}, as {who_b} ({baseline[3]}), run right after ours", baseline, len(rows))
        baseline_rows = [row]
        baseline_line = (f"A/B in this run: {args.baseline_name} {b_cpu_ms:.2f} ms CPU per program ({a_cpu_ms / b_cpu_ms:.1f}x the "
                         f"anchor), this tree {o_cpu_ms:.2f} ms ({a_cpu_ms / o_cpu_ms:.1f}x): "
                         + (f"{b_cpu_ms / o_cpu_ms:.2f}x less CPU" if o_cpu_ms <= b_cpu_ms else f"{o_cpu_ms / b_cpu_ms:.2f}x more CPU")
                         + f" per program; throughput {b_rate:.1f} -> {o_rate:.1f} programs/s.")
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, load avg {load_before:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    lines = [
        "# Execution benchmark: code_tests (sandboxed, warm workers) vs naive subprocess harness",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {machine} (`uname -m` = {platform.machine()}, nproc = {os.cpu_count()})",
        f"- workload: HumanEval canonical solutions x{args.repeat} with distinct text ({len(rows)} programs; anchor on {len(anchor_rows)})",
        f"- ours: Engine + code_tests, sandbox backend = {backend}, cache off, per-assert test results",
        "",
        "| harness | programs | all tests pass | programs/s | p50 latency (ms) | p99 latency (ms) | CPU per program (ms) |",
        "|---|---|---|---|---|---|---|",
        f"| anchor: fresh `python -c` per program, 2 at a time, no isolation | {len(anchor_rows)} | {a_ok} | {a_rate:.1f} | {percentile(a_lat, 0.5) * 1000:.1f} | {percentile(a_lat, 0.99) * 1000:.1f} | {a_cpu_ms:.2f} |",
        f"| rewardsmith code_tests via Engine, as {who} ({backend}) | {len(rows)} | {o_ok} | {o_rate:.1f} | {percentile(o_lat, 0.5) * 1000:.1f} | {percentile(o_lat, 0.99) * 1000:.1f} | {o_cpu_ms:.2f} |",
        *baseline_rows,
        *nobody_rows,
        f"| floor: fork a warm interpreter per program, run it, no isolation, no IPC | {len(rows)} | | | | | {floor_fork:.2f} |",
        f"| floor: compile + run in one process, no process per program | {len(rows)} | | | | | {floor_in:.2f} |",
        "",
        f"**ratio (ours / anchor throughput): {ratio:.1f}x** (target >= 10x){nobody_ratio}",
        "",
        f"CPU per program, anchor / ours: {a_cpu_ms / o_cpu_ms:.1f}x (less load-dependent than throughput; ours = engine",
        "process + sandbox workers + the programs they fork). Under load the throughput ratio overstates our lead.",
        "",
        *([baseline_line, ""] if baseline_line else []),
        "Latency: anchor = wall time of one subprocess; ours = time from the program's start to the verdict inside the",
        "sandbox worker (as measured by the worker). Numbers are provisional when the machine is shared.",
        "",
        f"What 10x would take here: the anchor spends {a_cpu_ms:.1f} ms of CPU per program and keeps both cores busy",
        f"when the machine is quiet, so 10x its throughput means at most {a_cpu_ms / 10:.1f} ms of CPU per program for",
        f"everything on our side. The floors above, measured in this run in a fresh small interpreter: forking it per",
        f"program and running the program in the child, with no sandbox and no IPC, costs {floor_fork:.2f} ms"
        f" (at most {a_cpu_ms / floor_fork:.1f}x the anchor);",
        f"the programs' own compile + run is {floor_in:.2f} ms. Ours, with the sandbox and the engine, costs {o_cpu_ms:.2f} ms.",
        "A fresh process per program (the isolation kept here) cannot reach 10x on this machine; the issue's",
        "estimate of the anchor (about 25 programs/s) holds only on a loaded machine.",
    ]
    text = "\n".join(lines) + "\n"
    out = REPO / "bench" / "results" / "execution.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"ratio {ratio:.1f}x  (anchor {a_rate:.1f}/s, ours {o_rate:.1f}/s); CPU per program {a_cpu_ms:.2f} / {o_cpu_ms:.2f} ms = {a_cpu_ms / o_cpu_ms:.1f}x{nobody_ratio}")
    if baseline_line:
        print(baseline_line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
