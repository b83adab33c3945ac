"""How good the embedded judge is: agreement of the embedded SmolLM2-135M ``reference_verifier`` (constrained
yes/no verdict) with ``math_equiv`` on GSM8K model solutions, against the majority-class anchor in the same run.

    PYTHONPATH=src python bench/bench_embedded_judge.py --rows 300 --out bench/results/embedded_judge.jsonl

Rows: the first ``--rows`` questions of ../shared/data/gsm8k/model_solutions.jsonl, question i with the solution
of model i mod 4 (a mix of right and wrong answers). Each finished row is appended to ``--out`` (a rerun resumes);
the summary (agreement, the anchor "always the majority verdict", the ratio, a confusion table, the agreement
with the human ``is_correct`` labels) is printed and written next to it as Markdown.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time
from datetime import date
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "gsm8k" / "model_solutions.jsonl"
MODELS = ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")


def rows(n: int) -> list[dict[str, Any]]:
    out = []
    for i, line in enumerate(DATA.read_text().splitlines()[:n]):
        r = json.loads(line)
        key = MODELS[i % 4]
        sol = r[key]
        out.append({"id": i, "model": key, "question": r["question"], "completion": sol["solution"],
                    "reference": r["ground_truth"].split("A:")[-1].strip(), "human": bool(sol["is_correct"])})
    return out


def summarize(done: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(done)
    agree = sum(d["judge"] == d["math_equiv"] for d in done)
    yes_share = sum(d["math_equiv"] for d in done) / n
    anchor = max(yes_share, 1 - yes_share)  # always answering the majority verdict
    human = sum(d["judge"] == d["human"] for d in done)
    table = {f"judge {'yes' if j else 'no'} / math_equiv {'yes' if m else 'no'}":
             sum(1 for d in done if d["judge"] == j and d["math_equiv"] == m) for j in (True, False) for m in (True, False)}
    scored = [d for d in done if "yes_minus_no" in d and "p_yes" in d]
    pos = [d["yes_minus_no"] for d in scored if d["math_equiv"]]
    neg = [d["yes_minus_no"] for d in scored if not d["math_equiv"]]
    auc = (sum((p > q) + 0.5 * (p == q) for p in pos for q in neg) / (len(pos) * len(neg))) if pos and neg else float("nan")
    secs = sorted(d["seconds"] for d in done)
    return {"rows": n, "median_seconds_per_row": secs[n // 2], "agreement": agree / n, "auc_log_odds_vs_math_equiv": auc, "rows_with_log_odds": len(scored), "anchor_majority": anchor, "ratio_to_anchor": (agree / n) / anchor,
            "agreement_with_human_labels": human / n, "math_equiv_yes_share": yes_share, "confusion": table,
            "mean_p_yes": (sum(d["p_yes"] for d in scored) / len(scored)) if scored else float("nan")}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=300)
    p.add_argument("--out", default="bench/results/embedded_judge.jsonl")
    args = p.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rewardsmith.judges.kinds.reference import reference_verifier
    from rewardsmith.verifiers.math.reward import math_equiv

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = [json.loads(x) for x in out.read_text().splitlines()] if out.exists() else []
    seen = {d["id"] for d in done}
    start = time.time()
    for r in rows(args.rows):
        if r["id"] in seen:
            continue
        truth = math_equiv(r["completion"], r["reference"])
        truth_value = truth.value if hasattr(truth, "value") else truth
        t, cpu = time.time(), time.process_time()
        res = asyncio.run(reference_verifier(r["question"], r["completion"], reference=r["reference"]))
        if not res.is_ok:
            raise SystemExit(f"row {r['id']}: the embedded judge gave no verdict: {res.reason}")
        probs = (res.info.get("label_probs") or {}) if isinstance(res.info, dict) else {}
        rec = {"id": r["id"], "model": r["model"], "judge": res.value == 1.0, "math_equiv": bool(truth_value == 1.0),
               "human": r["human"], "seconds": round(time.time() - t, 2),
               "cpu_seconds": round(time.process_time() - cpu, 2)}
        if "yes" in probs:
            rec["p_yes"] = float(probs["yes"])
        logps = res.info.get("label_logprobs") or {}
        if "yes" in logps and "no" in logps:
            rec["yes_minus_no"] = round(logps["yes"] - logps["no"], 4)  # the judge's log-odds, for a ranking measure
        with out.open("a") as f:
            f.write(json.dumps(rec) + "\n")
        done.append(rec)
        print(json.dumps(rec), flush=True)
    s = summarize(done)
    print(json.dumps(s, indent=1))
    md = out.with_suffix(".md")
    md.write_text(
        f"# Embedded judge agreement with math_equiv ({date.today()})\n\n"
        f"Machine: {platform.machine()} {platform.processor() or ''}, {os.cpu_count()} CPUs shared with other work "
        f"(load average {os.getloadavg()[0]:.1f} at the end); this run {time.time() - start:.0f} s.\n\n"
        "`reference_verifier` on the embedded SmolLM2-135M-Instruct (Q4_1 GGUF), constrained yes/no verdict, versus "
        "`math_equiv` on the same GSM8K model solutions (question i, solution of model i mod 4). Anchor: always the "
        "majority verdict of `math_equiv` on these rows.\n\n"
        "| measure | value |\n|---|---|\n"
        + "".join(f"| {k} | {v:.3f} |\n" if isinstance(v, float) else f"| {k} | {v} |\n" for k, v in s.items() if k != "confusion")
        + "\n| confusion | rows |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in s["confusion"].items())
    )


if __name__ == "__main__":
    main()
