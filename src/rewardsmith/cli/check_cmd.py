"""``rewardsmith check SPEC``: validate a spec and report what it needs (sandbox, judges, models)."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

NAME = "check"
HELP = "validate a spec file without scoring anything"

#: Modules that may add environment checks: each defines ``check_environment(spec) -> list[str]`` warnings
#: and may define ``environment_errors(spec) -> list[str]`` (any error makes the check fail).
ENVIRONMENT_CHECKS = (
    "rewardsmith.sandbox.checks",
    "rewardsmith.execution.checks",
    "rewardsmith.judges.checks",
    "rewardsmith.models.checks",
)


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


def missing_dependencies(spec: Any) -> list[str]:
    """One line per component whose reward imports a module that is not installed (every row would error),
    naming the extra to install."""
    from rewardsmith.extras import install_hint, missing_modules

    problems = []
    for c, b in zip(spec.components, spec.bound):
        for module in missing_modules(b.definition.target):
            problems.append(f"component '{c.name}' (reward {b.definition.name}) needs {module}, which is not installed: "
                            f"{install_hint(module)}")
    return problems


def run(args: argparse.Namespace) -> int:
    from rich.markup import escape

    from rewardsmith.cli import console
    from rewardsmith.spec import load_spec

    spec = load_spec(args.spec)
    errors = missing_dependencies(spec) + environment_errors(spec)
    verdict = "[red]not ok[/red]" if errors else "[green]ok[/green]"
    console.print(f"{verdict} {spec.name} (hash {spec.spec_hash()}): {len(spec.components)} components, combine={spec.combine_kind}")
    for c, b in zip(spec.components, spec.bound):
        weight = c.weight if isinstance(c.weight, float) else f"schedule {c.weight.schedule}"
        console.print(f"  {c.name}: {b.definition.name} weight={weight} runs={b.definition.executor} source={b.definition.source}")
    for e in errors:
        console.print(f"[bold red]ERROR[/bold red] {escape(e)}", highlight=False)
    for w in environment_warnings(spec):
        console.print(f"[bold yellow]WARNING[/bold yellow] {escape(w)}")
    return 1 if errors else 0
