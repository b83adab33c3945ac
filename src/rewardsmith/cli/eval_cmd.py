"""``rewardsmith eval [SPEC] --data FILE --format {pairs,bon,labels,judgebench-scored}``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "eval"
HELP = "benchmark a spec: pairwise / best-of-N / both-orders accuracy, verifier label agreement, bootstrap CIs"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", nargs="?", default=None, help="spec file or built-in name (not needed for judgebench-scored)")
    p.add_argument("--data", "-d", required=True, nargs="+", help="benchmark file(s); for judgebench-scored also a folder")
    p.add_argument("--format", "-f", required=True, choices=["pairs", "bon", "labels", "judgebench-scored"],
                   help="pairs: RewardBench v1 / HH-RLHF / JudgeBench pairs; bon: RewardBench 2 or labelled groups; "
                        "labels: rows with a gold label; judgebench-scored: JudgeBench output files")
    p.add_argument("--ties", choices=["wrong", "random", "right"], default="wrong",
                   help="tie rule: wrong (RewardBench: a tie is not a win, default), random (1/m), right")
    p.add_argument("--slice", action="append", default=None, help="column to slice by (repeatable; default subset/source/category)")
    p.add_argument("--threshold", type=float, default=0.5, help="labels: predicted positive when value >= threshold")
    p.add_argument("--target", default="reward", help="labels: 'reward' or a component name")
    p.add_argument("--limit", type=int, default=None, help="only the first N items")
    p.add_argument("--workers", type=int, default=None, help="worker processes")
    p.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    p.add_argument("--output", "-o", default=None, help="write the results as JSON (a list, one entry per file)")


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console, err_console
    from rewardsmith.evaluate import harness, readers
    from rewardsmith.evaluate.tables import eval_table, pct

    files: list[Path] = []
    for d in args.data:
        path = Path(d)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".jsonl", ".gz", ".parquet")))
        elif path.exists():
            files.append(path)
        else:
            err_console.print(f"[red]no such data file: {path}[/red]")
            return 2
    reports = []
    try:
        if args.format == "judgebench-scored":
            for f in files:
                reports.append(harness.eval_judgebench_scored(readers.read_judgebench_scored(f), slice_columns=args.slice))
        else:
            if not args.spec:
                err_console.print("[red]a spec is needed for --format pairs / bon / labels[/red]")
                return 2
            from rewardsmith.spec import load_spec

            spec = load_spec(args.spec)
            opts = {"workers": args.workers, "cache": not args.no_cache}
            for f in files:
                if args.format == "pairs":
                    r = harness.eval_pairs(spec, readers.read_pairs(f, args.limit), args.ties, args.slice, **opts)
                elif args.format == "bon":
                    r = harness.eval_bon(spec, readers.read_bon(f, args.limit), args.ties, args.slice, **opts)
                else:
                    r = harness.eval_labels(spec, readers.read_labeled(f, args.limit), args.threshold, args.target, args.slice, **opts)
                r.name = f"{spec.name} on {f.name}"
                reports.append(r)
            spec.close()
    except readers.ReaderError as exc:
        err_console.print(f"[red]{exc}[/red]")
        return 2
    for r in reports:
        console.print(eval_table(r))
        head = next(iter(r.metrics.items()))
        console.print(f"{r.name}: {head[0]} = {pct(head[1].value)}", highlight=False)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps([r.to_dict() for r in reports], indent=1, default=str))
    return 0
