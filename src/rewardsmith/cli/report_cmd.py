"""``rewardsmith report SCORED --html OUT.html``: one static HTML file with inline SVG plots."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAME = "report"
HELP = "write one static HTML report (inline SVG plots) for scored rows or a training log"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("scored", help="scored rows (output of `rewardsmith score`, .jsonl/.parquet) or a training log "
                                  "(JSONL rows with step, reward_mean, per-component means, optional eval_accuracy)")
    p.add_argument("--html", required=True, help="output HTML file")
    p.add_argument("--title", default=None, help="page title")
    p.add_argument("--gold", default="metadata.is_correct", help="dotted path of the gold column for the best-of-N curve")
    p.add_argument("--probe", default=None, help="probe results JSON (from `rewardsmith probe --output`)")
    p.add_argument("--eval", dest="eval_file", default=None, help="eval results JSON (from `rewardsmith eval --output`)")
    p.add_argument("--monitor", default=None, help="monitor results JSON (from `rewardsmith monitor --output`)")
    p.add_argument("--svg", default=None, help="training log: also write the reward-per-step plot as a standalone SVG file")


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console, err_console
    from rewardsmith.evaluate import report, svg
    from rewardsmith.evaluate.readers import ReaderError, load_rows

    src = Path(args.scored)
    if not src.exists():
        err_console.print(f"[red]no such file: {src}[/red]")
        return 2
    try:
        rows = load_rows(src)
    except ReaderError as exc:
        err_console.print(f"[red]{exc}[/red]")
        return 2

    def load_json(path: str | None) -> object:
        if not path:
            return None
        return json.loads(Path(path).read_text())

    probe = load_json(args.probe)
    evals = load_json(args.eval_file)
    if isinstance(evals, dict):
        evals = [evals]
    monitor = load_json(args.monitor)
    title = args.title or f"rewardsmith report: {src.name}"
    text = report.build_report(rows, title, args.gold, probe, evals, monitor)  # type: ignore[arg-type]
    out = report.write_report(args.html, text)
    console.print(f"wrote {out} ({len(text) // 1024} KiB, {text.count('<svg')} plots, {len(rows)} rows)")
    if args.svg:
        if not report.is_training_log(rows):
            err_console.print("[yellow]--svg applies to a training log (rows with step and reward_mean); not written[/yellow]")
            return 2
        Path(args.svg).parent.mkdir(parents=True, exist_ok=True)
        Path(args.svg).write_text(svg.standalone(report.training_svg(rows)), encoding="utf-8")
        console.print(f"wrote {args.svg}")
    return 0
