"""The ``rewardsmith`` command line. Each subcommand is a module in this package named ``*_cmd.py`` with
``NAME``, ``HELP``, ``configure(parser)`` and ``run(args) -> int``; they are discovered, not listed."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
import threading
import time
from types import ModuleType

from rich.console import Console



def _make_console(stderr: bool) -> Console:
    """A console for stdout or stderr. Piped or redirected output is not cut to 80 columns (rich's default
    when there is no terminal): lines and tables keep their full width; ``$COLUMNS`` still wins."""
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not os.environ.get("COLUMNS") and not (hasattr(stream, "isatty") and stream.isatty()):
        width = 100_000
    return Console(stderr=stderr, width=width)


console = _make_console(stderr=False)
err_console = _make_console(stderr=True)


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
        code = int(commands[args.command].run(args) or 0)
    except SpecError as exc:
        err_console.print(f"[red]spec error[/red]\n{exc}", highlight=False)
        code = 2
    except KeyboardInterrupt:
        err_console.print("interrupted; finished results are on disk, rerun to resume")
        code = 130
    if argv is None:  # the command line (not a caller in Python): do not wait for stuck reward threads
        exit_if_reward_threads_linger(code)
    return code


#: Name prefix of the engine's threads for ``executor="thread"`` rewards (``Engine._threads``).
REWARD_THREAD_PREFIX = "rewardsmith-io"


def exit_if_reward_threads_linger(code: int) -> None:
    """End the process now when a thread-executor reward is still running.

    A thread cannot be killed: when such a reward runs past its timeout the engine returns ``error:
    timeout`` on time but the thread goes on, and Python would wait for it at exit (the engine's thread
    pool is joined at interpreter shutdown). The command's work is done and written by now, so flush and
    leave without waiting."""
    threads = [t for t in threading.enumerate() if t.name.startswith(REWARD_THREAD_PREFIX)]
    deadline = time.monotonic() + 0.5  # idle pool threads leave at once after the engine's shutdown
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    stuck = [t.name for t in threads if t.is_alive()]
    if not stuck:
        return
    err_console.print(f"{len(stuck)} thread-executor reward call(s) still running past their timeout; exiting without "
                      "waiting for them (a thread cannot be stopped from outside)", highlight=False)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
