"""Self-reward benchmark: GSM8K selectors (1,319 problems x 4 model solutions, human is_correct labels).

Anchor: plain string majority vote (collections.Counter over raw ``A:`` strings, no equivalence), in the
same run. Prints accuracy and groups/s of rewardsmith's majority vote (verifier extraction + equivalence),
best-of-4 with the rule verifier and reliability-weighted vote, and the ratio to the anchor.
Run: .venv/bin/python bench/bench_selfreward.py
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import time
from collections import Counter
from pathlib import Path

from rewardsmith.selfreward.rerank import RerankOptions, rerank

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gsm8k" / "model_solutions.jsonl"
MODELS = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]


def load() -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for i, line in enumerate(DATA.read_text().splitlines()):
        rec = json.loads(line)
        ref = re.search(r"A:\s*(.+?)\s*$", rec["ground_truth"]).group(1)  # type: ignore[union-attr]
        groups[f"g{i}"] = [{"id": f"{i}-{m}", "group": f"g{i}", "prompt": rec["question"], "completion": rec[m]["solution"],
                            "reference": ref, "metadata": {"model": m, "is_correct": rec[m]["is_correct"]}} for m in MODELS]
    return groups


def anchor(groups: dict[str, list[dict]]) -> float:
    right = 0
    for rows in groups.values():
        answers = [(re.search(r"A:\s*(.+?)\s*$", r["completion"]) or [None, None])[1] for r in rows]
        counts = Counter(a for a in answers if a)
        if counts:
            win = counts.most_common(1)[0][0]
            right += rows[answers.index(win)]["metadata"]["is_correct"]
    return right / len(groups)


def main() -> None:
    from rewardsmith.verifiers.math import verify

    groups = load()
    t = time.perf_counter()
    anchor_acc = anchor(groups)
    anchor_s = time.perf_counter() - t
    lines = []
    t = time.perf_counter()
    _, maj = rerank(groups, RerankOptions(method="majority"))
    maj_s = time.perf_counter() - t
    for rows in groups.values():
        for r in rows:
            ok = verify(r["completion"], r["reference"])
            r.update(reward=float(bool(ok)), status="ok")
    _, bo4 = rerank(groups, RerankOptions(method="best_of_n"))
    half = {g: rows for g, rows in groups.items() if int(g[1:]) >= 660}
    train = [r for g, rows in groups.items() if int(g[1:]) < 660 for r in rows]
    acc = {m: sum(r["metadata"]["is_correct"] for r in train if r["metadata"]["model"] == m) / (len(train) / 4) for m in MODELS}
    for rows in half.values():
        for r in rows:
            r["metadata"]["reliability"] = acc[r["metadata"]["model"]]
    _, wv = rerank(half, RerankOptions(method="weighted_vote", score_field="metadata.reliability"))
    _, maj_half = rerank(half, RerankOptions(method="majority"))
    n = len(groups)
    lines.append("| selector | label accuracy | pass@1 vs reference | groups/s | ratio to anchor |")
    lines.append("|---|---|---|---|---|")
    lines.append(f"| anchor: string majority (Counter) | {anchor_acc:.4f} | - | {n / anchor_s:.0f} | 1.00 |")
    lines.append(f"| majority_vote (verifier extraction + equivalence) | {maj.label_accuracy:.4f} | {maj.pass_at_1:.4f} | "
                 f"{n / maj_s:.0f} | acc x{maj.label_accuracy / anchor_acc:.3f}, speed x{(n / maj_s) / (n / anchor_s):.3f} |")
    lines.append(f"| best-of-4, rule verifier (math_equiv) | {bo4.label_accuracy:.4f} | {bo4.pass_at_1:.4f} | - | oracle {bo4.oracle:.4f} |")
    lines.append(f"| weighted vote, reliability weights (problems 660-1318) | {wv.label_accuracy:.4f} | {wv.pass_at_1:.4f} | - | "
                 f"plain majority on same half {maj_half.label_accuracy:.4f} |")
    table = "\n".join(lines)
    print(table)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ROOT / "bench" / "results" / "selfreward.md"
    out.write_text(f"# selfreward benchmark\n\n{stamp}, {platform.machine()}, nproc {os.cpu_count()}; "
                   f"majority ties: {maj.ties}/{n}\n\n{table}\n")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
