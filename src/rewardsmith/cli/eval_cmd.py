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
    p.add_argument("--format", "-f", required=True, choices=["pairs", "bon", "labels", "judgebench-scored", "rows"],
                   help="pairs: RewardBench v1 / HH-RLHF / JudgeBench pairs; bon: RewardBench 2 or labelled groups; "
                        "labels: rows with a gold label; judgebench-scored: JudgeBench output files; "
                        "rows: contract rows, with --compare and/or --agree")
    p.add_argument("--compare", default=None, help="rows: a second spec; prints the STARC / EPIC distance and rank correlations")
    p.add_argument("--agree", default=None, help="rows: JUDGE,VERIFIER component names; prints their agreement")
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
            if args.format == "rows":
                return _rows(args, spec, files, opts)
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


def _rows(args: argparse.Namespace, spec: object, files: list[Path], opts: dict[str, object]) -> int:
    """Distances between two specs and judge-vs-verifier agreement on plain contract rows."""
    from rewardsmith.cli import console, err_console
    from rewardsmith.evaluate.batchstats import group_of
    from rewardsmith.evaluate.distances import judge_verifier_agreement, reward_distance
    from rewardsmith.evaluate.harness import score_rows
    from rewardsmith.evaluate.readers import load_rows
    from rewardsmith.spec import load_spec

    if not args.compare and not args.agree:
        err_console.print("[red]--format rows needs --compare SPEC and/or --agree JUDGE,VERIFIER[/red]")
        return 2
    rows = [r for f in files for r in load_rows(f)][: args.limit]
    first = score_rows(spec, rows, **opts)  # type: ignore[arg-type]
    out: dict[str, object] = {}
    if args.compare:
        other = load_spec(args.compare)
        second = score_rows(other, rows, **opts)  # type: ignore[arg-type]
        d = reward_distance([r.value if r.is_ok else None for r in first], [r.value if r.is_ok else None for r in second],
                            [group_of(r) for r in rows])
        out["distance"] = d.to_dict()
        console.print(f"{spec.name} vs {other.name}: " + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"  # type: ignore[attr-defined]
                                                              for k, v in d.to_dict().items()), highlight=False)
        other.close()
    if args.agree:
        judge, _, verifier = args.agree.partition(",")

        def col(name: str) -> list[float | None]:
            vals = [r.components.get(name) for r in first]
            return [float(v) if isinstance(v, (int, float)) else None for v in vals]

        a = judge_verifier_agreement(col(judge), col(verifier.strip()))
        out["agreement"] = a
        console.print(f"{judge} vs {verifier}: " + ", ".join(f"{k}={v}" for k, v in a.items()), highlight=False)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(out, indent=1, default=str))
    return 0
