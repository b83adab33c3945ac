"""``rewardsmith check SPEC``: validate a spec and report what it needs (sandbox, judges, models)."""

from __future__ import annotations

import argparse
import importlib

NAME = "check"
HELP = "validate a spec file without scoring anything"

#: Modules that may add environment checks: each defines ``check_environment(spec) -> list[str]`` warnings
#: and may define ``environment_errors(spec) -> list[str]`` (any error makes the check fail).
ENVIRONMENT_CHECKS = ("rewardsmith.sandbox.checks", "rewardsmith.judges.checks", "rewardsmith.models.checks")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("spec", help="spec file (YAML/TOML) or a built-in spec name")


def _collect(spec: object, check: str) -> list[str]:
    found: list[str] = []
    for name in ENVIRONMENT_CHECKS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        found.extend(getattr(module, check, lambda _spec: [])(spec))
    return found


def environment_warnings(spec: object) -> list[str]:
    return _collect(spec, "check_environment")


def environment_errors(spec: object) -> list[str]:
    return _collect(spec, "environment_errors")


def run(args: argparse.Namespace) -> int:
    from rewardsmith.cli import console
    from rewardsmith.spec import load_spec

    spec = load_spec(args.spec)
    console.print(f"[green]ok[/green] {spec.name} (hash {spec.spec_hash()}): {len(spec.components)} components, combine={spec.combine_kind}")
    for c, b in zip(spec.components, spec.bound):
        weight = c.weight if isinstance(c.weight, float) else f"schedule {c.weight.schedule}"
        console.print(f"  {c.name}: {b.definition.name} weight={weight} runs={b.definition.executor} source={b.definition.source}")
    status = 0
    for w in environment_warnings(spec):
        console.print(f"[bold yellow]WARNING[/bold yellow] {w}")
    for e in environment_errors(spec):
        console.print(f"[bold red]ERROR[/bold red] {e}")
        status = 1
    return status
