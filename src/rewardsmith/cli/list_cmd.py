"""``rewardsmith list``: every registered reward with its one-line doc and source paper."""

from __future__ import annotations

import argparse

from rich.table import Table

NAME = "list"
HELP = "list the registered rewards with their summary and source"


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--plain", action="store_true", help="one tab-separated line per reward")


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console, err_console
    from rewardsmith.registry import all_rewards, builtin_failures

    rewards = all_rewards()
    if args.plain:
        for name, d in rewards.items():
            print(f"{name}\t{d.per}\t{d.executor}\t{d.summary}\t{d.source}")
    else:
        from rich.markup import escape

        from rewardsmith.judges.backends.local import EMBEDDED_QUALITY, EMBEDDED_SUPPORT

        table = Table(title=f"{len(rewards)} rewards")
        for col in ("name", "per", "runs", "summary", "source", "embedded judge"):
            table.add_column(col, overflow="fold")
        for name, d in rewards.items():  # docs hold brackets ("[scale_min, scale_max]"): text, not markup
            table.add_row(*(escape(x) for x in (name, d.per, d.executor, d.summary, d.source, EMBEDDED_SUPPORT.get(name, ""))))
        console.print(table)
        console.print(escape(f"embedded judge (SmolLM2-135M-Instruct, used when no judge is configured): {EMBEDDED_QUALITY}"),
                      highlight=False)
    for module, problem in builtin_failures().items():
        err_console.print(f"[yellow]warning[/yellow]: {module} did not load: {problem}")
    return 0
