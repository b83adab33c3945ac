"""``rewardsmith rerank SPEC --input GROUPS --output BEST``: reward-guided selection of one completion per group."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import get_args

NAME = "rerank"
HELP = (
    "select one completion per group (best-of-N, majority / weighted vote, self-certainty + Borda, early "
    "rejection by partial PRM scores) and report pass@1 against references"
)


def configure(p: argparse.ArgumentParser) -> None:
    from rewardsmith.selfreward.selection import Method, WeightTransform

    p.add_argument("spec", help="spec that scores the rows (rows that already carry 'status' keep their scores)")
    p.add_argument("--input", "-i", required=True, help="grouped rows (.jsonl, .jsonl.gz or .parquet)")
    p.add_argument("--output", "-o", required=True, help="one selected row per group (.jsonl or .parquet)")
    p.add_argument("--method", "-m", choices=get_args(Method), default="best_of_n")
    p.add_argument("--score", default="reward", help="score field: reward, components.NAME, metadata.NAME")
    p.add_argument("--certainty", default="self_certainty", help="self-certainty field (component or metadata)")
    p.add_argument("--steps", default="step_values", help="per-step (partial) PRM scores field")
    p.add_argument("--label", default="metadata.is_correct", help="boolean label field for label accuracy")
    p.add_argument("--answer-kind", choices=["math", "qa", "exact"], default="math")
    p.add_argument("--tolerance", type=float, default=0.0, help="relative numeric tolerance of answer equivalence")
    p.add_argument("--borda-p", type=float, default=0.5, help="Borda vote exponent p in (N - r + 1) ** p")
    p.add_argument("--weights", choices=get_args(WeightTransform), default="raw", help="weighted vote: score -> weight")
    p.add_argument("--temperature", type=float, default=1.0, help="weighted vote with --weights exp")
    p.add_argument("--prefix-steps", type=int, default=1, help="early rejection: steps scored before rejecting")
    p.add_argument("--keep", type=float, default=0.5, help="early rejection: share of candidates kept")
    p.add_argument("--rescore", action="store_true", help="score every row with SPEC even if already scored")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--report", default=None, help="also write the report as JSON here")


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console, err_console
    from rewardsmith.rows import RowWriter
    from rewardsmith.selfreward.rerank import RerankOptions, rerank
    from rewardsmith.cli.scored_input import read_input
    from rewardsmith.selfreward.scored import group_rows, score_rows
    from rewardsmith.spec import load_spec

    spec = load_spec(args.spec)
    rows = read_input(args.input)
    if rows is None:
        return 2
    needs_scores = args.method in ("best_of_n", "weighted_vote", "early_rejection") or args.rescore
    if needs_scores:
        rows = score_rows(rows, spec, rescore=args.rescore, workers=args.workers, cache=not args.no_cache)
    options = RerankOptions(
        method=args.method, score_field=args.score, certainty_field=args.certainty, steps_field=args.steps,
        label_field=args.label, kind=args.answer_kind, tolerance=args.tolerance, borda_p=args.borda_p,
        transform=args.weights, temperature=args.temperature, prefix_steps=args.prefix_steps, keep=args.keep,
    )
    selected, report = rerank(group_rows(rows), options)
    writer = RowWriter(args.output, resume=False)
    writer.write(selected)
    writer.finish()
    summary = report.to_dict()
    summary["spec"] = spec.name
    if args.report:
        Path(args.report).write_text(json.dumps(summary, indent=2) + "\n")

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.2%}"

    console.print(
        f"{args.method}: {report.selected}/{report.groups} groups selected; "
        f"pass@1 vs reference {pct(report.pass_at_1)} ({report.correct}/{report.with_reference}); "
        f"label accuracy {pct(report.label_accuracy)} ({report.label_correct}/{report.labelled}); "
        f"oracle {pct(report.oracle)}; ties {report.ties}",
        highlight=False, soft_wrap=True,
    )
    if report.steps_total:
        console.print(f"early rejection saved {report.steps_saved}/{report.steps_total} steps", highlight=False)
    for why, n in report.problems.items():
        console.print(f"  {n} groups: {why}", highlight=False)
    console.print(f"-> {args.output}", highlight=False)
    return 0
