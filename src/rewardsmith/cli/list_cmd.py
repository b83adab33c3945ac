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
        table = Table(title=f"{len(rewards)} rewards")
        for col in ("name", "per", "runs", "summary", "source"):
            table.add_column(col, overflow="fold")
        for name, d in rewards.items():
            table.add_row(name, d.per, d.executor, d.summary, d.source)
        console.print(table)
    for module, problem in builtin_failures().items():
        err_console.print(f"[yellow]warning[/yellow]: {module} did not load: {problem}")
    return 0
