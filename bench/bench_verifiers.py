"""math_equiv vs math-verify (issue 3: rule verifiers).

Anchor: math-verify called directly in one process (``verify(parse("$ref$"), parse(completion))`` per
item). Ours: ``math_equiv`` through ``rewardsmith.engine.Engine`` with 1 and 2 worker processes, cache off.
Data: GSM8K model solutions (5,276, repeated 4x with distinct text; reference = the final number), the
57-row public equivalence set, and Math-Verify's own 270 test cases (gold given to math-verify as written).
Reports label agreement and verifications/s; target >= 5x math-verify with 2 workers (goal 20x) and agreement
never below math-verify's.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from machine import header, write  # noqa: E402

from rewardsmith.engine import Engine  # noqa: E402
from rewardsmith.verifiers.math import math_equiv  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPEAT = 4
#: A row that needs the CAS: the warm-up gives every engine worker one, so no timed row pays a CAS start-up.
CAS_WARM_UP = {"prompt": "q", "completion": r"$\boxed{\frac{\sqrt{3}}{2}}$", "reference": r"\frac{3}{2\sqrt{3}}"}
SPEC = {"name": "bench-math", "components": [{"name": "correct", "reward": "math_equiv"}]}


def gsm8k_rows() -> list[dict[str, Any]]:
    rows = []
    for line in (DATA / "gsm8k" / "model_solutions.jsonl").read_text().splitlines():
        problem = json.loads(line)
        number = problem["ground_truth"].rsplit("A:", 1)[1].strip()
        for key, value in problem.items():
            if isinstance(value, dict):
                rows.append({"completion": value["solution"], "reference": number, "label": bool(value["is_correct"])})
    out = []
    for rep in range(REPEAT):  # distinct text per repetition, so no cache or dedupe can help
        for i, r in enumerate(rows):
            out.append({"id": f"{rep}-{i}", "prompt": "q", "completion": f"Attempt {rep + 1}.\n{r['completion']}",
                        "reference": r["reference"], "label": r["label"]})
    return out


def public_rows() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (DATA / "math_equiv" / "public.jsonl").read_text().splitlines() if line.strip()]
    return [{"id": r["id"], "prompt": "q", "completion": r["completion"], "reference": r["reference"], "label": r["label"]} for r in rows]


def peer_rows() -> list[dict[str, Any]]:
    """Math-Verify's own test cases (tests/verifiers/data/math_verify_cases.json): gold as given, already in $...$."""
    doc = json.loads((Path(__file__).resolve().parents[1] / "tests" / "verifiers" / "data" / "math_verify_cases.json").read_text())
    return [{"id": c["id"], "prompt": "q", "completion": c["pred"], "reference": c["gold"], "label": bool(c["expected"]),
             "anchor_gold": c["gold"]} for c in doc["cases"]]


def anchor(rows: list[dict[str, Any]]) -> tuple[float, int]:
    from math_verify import parse
    from math_verify import verify as mv_verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    start = time.perf_counter()
    agree = 0
    for r in rows:
        gold = r.get("anchor_gold") or f"${r['reference']}$"
        got = mv_verify(parse(gold), parse(r["completion"]))
        agree += got == r["label"]
    return time.perf_counter() - start, agree


def engine_run(rows: list[dict[str, Any]], workers: int) -> tuple[float, int, int]:
    with Engine(SPEC, workers=workers, cache=False) as engine:
        # start the workers and each one's CAS worker (forked / spawned once; not part of the timing)
        engine.score(rows[:8] + [dict(CAS_WARM_UP, id=f"warm-{i}") for i in range(8 * workers)])
        start = time.perf_counter()
        results = engine.score(rows)
        seconds = time.perf_counter() - start
    agree = sum((res.value == 1.0) == r["label"] for res, r in zip(results, rows) if res.is_ok)
    errors = [f"{r['id']}: {res.reason}" for res, r in zip(results, rows) if not res.is_ok]
    for line in errors[:5]:
        print(f"  error ({workers} workers) {line[:160]}", flush=True)
    return seconds, agree, len(errors)


def hedge_table() -> list[str]:
    """Each hedge probe (tests/verifiers/math_hedges.py) scored by math_equiv and by math-verify."""
    from math_verify import parse
    from math_verify import verify as mv_verify

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.verifiers.math_hedges import HEDGES

    out = ["\n### Hedge and spray probes (each should earn 0)\n\n",
           "| probe | completion | reference | math_equiv | math-verify |\n|---|---|---|---|---|\n"]
    paid = [0, 0]
    for completion, reference, what in HEDGES:
        ours = math_equiv(completion, reference)
        theirs = bool(mv_verify(parse(f"${reference}$"), parse(completion)))
        shown = f"{ours.value:g}" if ours.is_ok else ours.status.value
        paid[0] += ours.is_ok and ours.value > 0
        paid[1] += theirs
        cell = completion.replace("|", "\\|").replace("\n", "\\n")
        out.append(f"| {what} | `{cell}` | `{reference}` | {shown} | {int(theirs)} |\n")
    out.append(f"\nPaid hedges: math_equiv {paid[0]}/{len(HEDGES)}, math-verify {paid[1]}/{len(HEDGES)}.\n")
    print("".join(out[-1:]), end="", flush=True)
    return out


def main() -> None:
    sets = {"GSM8K model solutions x4": gsm8k_rows(), "math_equiv public": public_rows(),
            "Math-Verify's own tests": peer_rows()}
    load_before = os.getloadavg()
    lines = [header("Rule verifiers: math_equiv vs math-verify (bench/bench_verifiers.py)")]
    lines.append("| set | rows | math-verify agreement | math-verify /s | math_equiv agreement 1w / 2w / in-process | 1 worker /s | 2 workers /s | ratio 1w | ratio 2w | in-process /s |\n")
    lines.append("|---|---|---|---|---|---|---|---|---|---|\n")
    for name, rows in sets.items():
        n = len(rows)
        a_sec, a_agree = anchor(rows)
        w1_sec, w1_agree, w1_err = engine_run(rows, 1)
        w2_sec, w2_agree, w2_err = engine_run(rows, 2)
        math_equiv(CAS_WARM_UP["completion"], CAS_WARM_UP["reference"])  # this process's CAS worker, untimed
        start = time.perf_counter()
        direct = [math_equiv(r["completion"], r["reference"]) for r in rows]
        d_sec = time.perf_counter() - start
        direct_agree = sum((res.value == 1.0) == r["label"] for res, r in zip(direct, rows) if res.is_ok)
        if not w1_agree == w2_agree == direct_agree:  # only a timeout under load can make them differ
            print(f"note: agreement differs between runs: {w1_agree}, {w2_agree}, {direct_agree}", flush=True)
        a_rate, w1_rate, w2_rate, d_rate = n / a_sec, n / w1_sec, n / w2_sec, n / d_sec
        row = (
            f"| {name} | {n:,} | {a_agree}/{n} | {a_rate:,.0f} | {w1_agree} / {w2_agree} / {direct_agree} of {n} "
            f"(errors {w1_err}/{w2_err}/{sum(not r.is_ok for r in direct)}) | "
            f"{w1_rate:,.0f} | {w2_rate:,.0f} | {w1_rate / a_rate:.1f}x | {w2_rate / a_rate:.1f}x | {d_rate:,.0f} |\n"
        )
        print(row, end="", flush=True)
        lines.append(row)
    lines.append(
        "\nAnchor: math-verify 0.9 `verify(parse('$ref$'), parse(completion))` per item, one process (Math-Verify's "
        "own cases: `parse(gold)` as written). An error is a comparison past `cas_seconds` (5 s): under this load "
        "the symbolic-sum cases of Math-Verify's tests can exceed it when two workers share the cores. "
        "Ours: `math_equiv` through `Engine(workers=1|2, cache=False)` after a warm-up batch that starts every "
        "worker's CAS process; "
        "in-process = `math_equiv` called in a loop (no engine). Target on GSM8K: >= 5x with 2 workers (goal 20x).\n"
        f"\nLoad average (1/5/15 min) before: {load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f}, "
        f"after: {os.getloadavg()[0]:.1f}/{os.getloadavg()[1]:.1f}/{os.getloadavg()[2]:.1f}. The machine is shared "
        "with other sessions' tests and training: absolute rates are low and noisy; the ratio is measured in the "
        "same run.\n"
    )
    lines += hedge_table()
    out = write("verifiers", "".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
