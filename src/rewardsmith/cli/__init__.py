"""The ``rewardsmith`` command line. Each subcommand is a module in this package named ``*_cmd.py`` with
``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``; they are discovered, not listed."""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from types import ModuleType

from rich.console import Console

console = Console(stderr=False)
err_console = Console(stderr=True)


def _commands() -> dict[str, ModuleType]:
    found: dict[str, ModuleType] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.endswith("_cmd"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            found[module.NAME] = module
    return dict(sorted(found.items()))


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(prog="rewardsmith", description="Define, compose, run, serve, evaluate and audit LLM RL rewards.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = _commands()
    for name, module in commands.items():
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.configure(p)
    return parser, commands


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.command:
        parser.print_help()
        return 2
    from rewardsmith.spec import SpecError

    try:
        return int(commands[args.command].run(args) or 0)
    except SpecError as exc:
        err_console.print(f"[red]spec error[/red]\n{exc}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; finished results are on disk, rerun to resume")
        return 130


if __name__ == "__main__":
    sys.exit(main())
