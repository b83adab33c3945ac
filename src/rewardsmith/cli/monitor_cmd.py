"""``rewardsmith monitor RUN_DIR_OR_FILES``: drift, length, zero-variance groups, dominance, error rates, alarms."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

NAME = "monitor"
HELP = "watch a run's scored batches for reward hacking: drift, length, zero-variance groups, dominance, alarms"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", help="a folder of per-step scored files, per-step files, or files with a step column")
    p.add_argument("--spec", default=None, help="spec whose component weights weigh the dominance analysis")
    p.add_argument("--baseline-steps", type=int, default=1, help="steps that form the drift baseline")
    p.add_argument("--drift-z", type=float, default=1.0, help="drift alarm: |mean - baseline| > z baseline std")
    p.add_argument("--length-ratio", type=float, default=1.5, help="length alarm: mean length ratio to baseline beyond this")
    p.add_argument("--zero-variance", type=float, default=0.5, help="alarm when this share of groups has no spread")
    p.add_argument("--dominance", type=float, default=0.9, help="alarm when one component explains this share of variance")
    p.add_argument("--error-rate", type=float, default=0.05)
    p.add_argument("--abstain-rate", type=float, default=0.2)
    p.add_argument("--judge", default=None, help="judge component name (for the disagreement trend)")
    p.add_argument("--verifier", default=None, help="verifier component name (for the disagreement trend)")
    p.add_argument("--disagreement", type=float, default=0.2, help="alarm when judge and verifier disagree on this share")
    p.add_argument("--output", "-o", default=None, help="write the per-step statistics and alarms as JSON")


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from rewardsmith.cli import console, err_console
    from rewardsmith.evaluate.monitors import MonitorConfig, monitor

    weights = None
    if args.spec:
        from rewardsmith.spec import load_spec

        spec = load_spec(args.spec)
        weights = {c.name: float(c.weight) for c in spec.components if isinstance(c.weight, (int, float))}
    cfg = MonitorConfig(
        baseline_steps=args.baseline_steps, drift_z=args.drift_z, length_ratio=args.length_ratio,
        zero_variance=args.zero_variance, dominance=args.dominance, error_rate=args.error_rate,
        abstain_rate=args.abstain_rate, disagreement=args.disagreement, judge=args.judge, verifier=args.verifier,
        weights=weights,
    )
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        err_console.print(f"[red]no such path: {', '.join(missing)}[/red]")
        return 2
    try:
        report = monitor(args.paths, cfg)
    except ValueError as exc:
        err_console.print(f"[red]{exc}[/red]")
        return 2

    from rewardsmith.evaluate.report import step_label

    def f(v: float | None) -> str:
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3g}"

    comps = [c for c in (report.steps[0].means if report.steps else {}) if c != "reward"]
    t = Table(title=f"{len(report.steps)} steps")
    for col in ["step", "rows", "reward", *comps, "length", "zero-var", "error", "abstain", "disagree"]:
        t.add_column(col, justify="right")
    for s in report.steps:
        t.add_row(step_label(s.step), str(s.rows), f(s.reward_mean), *(f(s.means.get(c)) for c in comps), f(s.length_mean),
                  f(s.zero_variance_share), f(s.error_rate), f(s.abstain_rate), f(s.disagreement))
    console.print(t)
    if report.alarms:
        a = Table(title="alarms")
        for col in ("alarm", "start step", "end step", "peak", "detail"):
            a.add_column(col)
        for al in report.alarms:
            a.add_row(al.name, step_label(al.start_step), "ongoing" if al.end_step is None else step_label(al.end_step), f(al.peak), al.detail)
        console.print(a)
    else:
        console.print("no alarms")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(report.to_dict(), indent=1, default=str))
    return 0
