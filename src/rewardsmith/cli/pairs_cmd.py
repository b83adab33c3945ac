"""``rewardsmith pairs SPEC --input SCORED --output PAIRS``: DPO preference pairs from scored groups."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import get_args

NAME = "pairs"
HELP = (
    "build DPO pairs (prompt, chosen, rejected, margin, provenance) from scored groups: best-vs-worst, all "
    "above a margin, rule-verified, anchored rejection across model columns, follow-up likelihood"
)

#: Registered names whose component holds follow-up-likelihood scores (the models area's FLR reward).
FLR_REWARDS = ("followup_likelihood", "follow_up_likelihood", "flr")


def configure(p: argparse.ArgumentParser) -> None:
    from rewardsmith.selfreward.pairs import Strategy, VerifiedPairing

    p.add_argument("spec", help="spec that scores the rows (rows that already carry 'status' keep their scores)")
    p.add_argument("--input", "-i", required=True, help="scored (or unscored) grouped rows: .jsonl, .jsonl.gz, .parquet")
    p.add_argument("--output", "-o", required=True, help="pairs (.jsonl or .parquet)")
    p.add_argument("--strategy", "-s", choices=get_args(Strategy), default="best_worst")
    p.add_argument("--score", default="reward", help="ranking field: reward, components.NAME, metadata.NAME")
    p.add_argument("--min-margin", type=float, default=0.0, help="drop pairs whose margin is below this")
    p.add_argument("--max-length-ratio", type=float, default=None, help="drop pairs whose chosen is this many times longer than rejected")
    p.add_argument("--no-dedup", action="store_true", help="keep identical chosen/rejected texts and repeated pairs")
    p.add_argument("--verified", default="correct", help="verified: the rule-verifier field (component name)")
    p.add_argument("--verified-threshold", type=float, default=0.5)
    p.add_argument("--verified-pairing", choices=get_args(VerifiedPairing), default="hardest")
    p.add_argument("--model-field", default="model", help="anchored: metadata field naming the model column")
    p.add_argument("--chosen-model", action="append", default=[], help="anchored: newer model column (repeatable)")
    p.add_argument("--rejected-model", action="append", default=[], help="anchored: older model column (repeatable)")
    p.add_argument("--flr", default=None, help="flr: follow-up-likelihood field (default: the spec's FLR component)")
    p.add_argument("--rescore", action="store_true", help="score every row with SPEC even if already scored")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--report", default=None, help="also write the report as JSON here")


def _flr_field(spec: object, given: str | None, rows: list[dict]) -> str | None:
    if given:
        return given
    for comp, bound in zip(spec.components, spec.bound):  # type: ignore[attr-defined]
        if bound.definition.name in FLR_REWARDS:
            return f"components.{comp.name}"
    for row in rows:  # scored elsewhere: a component or metadata column with an FLR name
        for name in FLR_REWARDS:
            if name in (row.get("components") or {}) or name in (row.get("metadata") or {}):
                return name
    return None


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console, err_console
    from rewardsmith.rows import RowWriter
    from rewardsmith.selfreward.pairs import PairOptions, build_pairs
    from rewardsmith.cli.scored_input import read_input
    from rewardsmith.selfreward.scored import group_rows, score_rows
    from rewardsmith.spec import load_spec

    spec = load_spec(args.spec)
    rows = read_input(args.input)
    if rows is None:
        return 2
    rows = score_rows(rows, spec, rescore=args.rescore, workers=args.workers, cache=not args.no_cache)
    flr = _flr_field(spec, args.flr, rows) if args.strategy == "flr" else None
    if args.strategy == "flr" and flr is None:
        err_console.print("[red]strategy flr: no follow-up-likelihood scores (add a followup_likelihood component or pass --flr FIELD)[/red]")
        return 2
    if args.strategy == "anchored" and (not args.chosen_model or not args.rejected_model):
        err_console.print("[red]strategy anchored needs --chosen-model (newer) and --rejected-model (older)[/red]")
        return 2
    options = PairOptions(
        strategy=args.strategy, score_field=args.score, min_margin=args.min_margin,
        max_length_ratio=args.max_length_ratio, dedup=not args.no_dedup, verified_field=args.verified,
        verified_threshold=args.verified_threshold, verified_pairing=args.verified_pairing,
        model_field=args.model_field, chosen_models=args.chosen_model, rejected_models=args.rejected_model,
        flr_field=flr, spec_name=spec.name,
    )
    pairs, report = build_pairs(group_rows(rows), options)
    writer = RowWriter(args.output, resume=False)
    writer.write(pairs)
    writer.finish()
    if args.report:
        Path(args.report).write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    dropped = ", ".join(f"{why}: {n}" for why, n in report.dropped.items() if n) or "none"
    console.print(
        f"{args.strategy}: {report.pairs} pairs from {report.groups_with_pairs}/{report.groups} groups "
        f"({report.candidates} candidates; dropped {dropped}) -> {args.output}",
        highlight=False, soft_wrap=True,
    )
    return 0
