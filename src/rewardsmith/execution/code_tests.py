"""``code_tests``: run the completion's code against unit tests in the sandbox.

Reference shapes (one per row):

- ``{"tests": str, "entry_point"?: str, "prefix"?: str}`` — assert-style (HumanEval / MBPP). ``prefix`` is
  prepended to the code (HumanEval's prompt); with ``entry_point`` the ``check(candidate)`` body is run
  statement by statement against it, so every assert is its own test. The tests run in the sandbox
  worker's trusted judge, never in the program's interpreter: each call of the candidate is made in the
  sandboxed program and only plain data comes back (``rewardsmith.trusted``; ``info.verdict_mode`` is
  "trusted-calls").
- ``{"cases": [{"input": str, "output": str}, ...]}`` — stdin/stdout cases (APPS / CodeContests): one
  sandboxed run per case, stdout (text) compared on the host after trimming, token by token with float
  tolerance (``info.verdict_mode`` is "host-compared").

Honest zeros: whatever the program does to itself (crash, exit, hang, limits, killing its own processes,
filling its scratch) is ``ok`` with a value and a reason; ``error`` is only for the sandbox's own
failures. Results whose outcome depends on timing (a wall limit or a test's timeout, which other load on
the machine can cause) carry ``info.no_cache`` and are not cached.

Executor "thread": the sandbox enforces its own hard limits (CPU, wall, memory, processes, output) and
keeps warm workers in this process, so the engine only needs a thread that waits; a process executor
would start a second pool of sandboxes in every engine worker for nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from rewardsmith.execution.fences import extract_code
from rewardsmith.execution.output_match import outputs_match
from rewardsmith.execution.test_driver import TestPlan, TestsError, assert_request, plan_tests, read_verdict
from rewardsmith.execution.verpo import verpo_rewards
from rewardsmith.params import PositiveFloat, PositiveInt
from rewardsmith.registry import reward
from rewardsmith.sandbox import Limits, Request, RunResult, get_sandbox
from rewardsmith.types import RewardResult

Mode = Literal["pass_rate", "all_pass", "verpo"]
BackendName = Literal["auto", "bwrap", "unsafe-subprocess"]
#: Limits whose hit may come from other load on the machine, not only from the program.
TIMING_LIMITS = frozenset({"wall"})


@dataclass(slots=True)
class _Job:
    """One sample's work: its requests, how to read them, and the outcome so far."""

    kind: Literal["asserts", "cases", "done"]
    requests: list[Request] = field(default_factory=list)
    plan: TestPlan | None = None
    expected: list[str] = field(default_factory=list)
    suite_key: str = ""
    result: RewardResult | None = None


def parse_reference(reference: Any) -> dict[str, Any]:
    """The reference as a dict with ``tests`` or ``cases``; raises ValueError when it is neither."""
    ref = reference
    if isinstance(ref, str):
        try:
            ref = json.loads(ref)
        except ValueError:
            ref = {"tests": ref}
    if not isinstance(ref, dict):
        raise ValueError(f"reference must be an object with 'tests' or 'cases', got {type(reference).__name__}")
    if isinstance(ref.get("tests"), str):
        return ref
    cases = ref.get("cases")
    if isinstance(cases, list) and cases and all(isinstance(c, dict) and "input" in c and "output" in c for c in cases):
        return ref
    if isinstance(ref.get("inputs"), list) and isinstance(ref.get("outputs"), list):  # APPS input_output shape
        return {"cases": [{"input": i, "output": o} for i, o in zip(ref["inputs"], ref["outputs"])]}
    raise ValueError("reference needs 'tests' (str) or 'cases' ([{input, output}])")


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _prepare(completion: str, reference: Any, fence_language: str, limits: Limits, test_timeout_s: float) -> _Job:
    try:
        ref = parse_reference(reference)
    except ValueError as exc:
        return _Job("done", result=RewardResult.abstain(f"code_tests: {exc}"))
    code = extract_code(completion, fence_language or None)
    prefix = ref.get("prefix") or ""
    program = f"{prefix}{'' if not prefix or prefix.endswith(chr(10)) else chr(10)}{code}"
    suite_key = hashlib.blake2b(json.dumps(ref, sort_keys=True, default=str).encode(), digest_size=8).hexdigest()
    if "tests" in ref:
        try:
            plan = plan_tests(ref["tests"], ref.get("entry_point"), prefix=prefix or None)
        except TestsError as exc:
            return _Job("done", result=RewardResult.abstain(f"code_tests: {exc}"))
        request = assert_request(program, plan, test_timeout_s, limits)
        return _Job("asserts", [request], plan=plan, suite_key=suite_key)
    cases = ref["cases"]
    reqs = [Request(source=program, stdin=_as_text(c["input"]), limits=limits) for c in cases]
    return _Job("cases", reqs, expected=[_as_text(c["output"]) for c in cases], suite_key=suite_key)


def _read(job: _Job, runs: list[RunResult], float_tol: float) -> tuple[list[bool], dict[str, Any]] | RewardResult:
    """Per-test pass/fail and info, or an error result when the sandbox itself failed."""
    broken = next((r for r in runs if r.infrastructure_error), None)
    if broken is not None:
        return RewardResult.error(f"sandbox failure: {broken.detail}")
    info: dict[str, Any] = {"seconds": round(sum(r.seconds for r in runs), 4), "backend": runs[0].backend if runs else ""}
    if job.kind == "asserts":
        assert job.plan is not None
        run = runs[0]
        outcome = read_verdict(run, job.plan)
        if outcome.tests_error:  # the trusted tests did not run in the judge: not the program's doing
            return RewardResult.abstain(f"code_tests: the tests do not run: {outcome.tests_error}")
        info["verdict_mode"] = outcome.mode
        info["calls"] = outcome.calls
        if outcome.limit is not None:
            info["limit"] = outcome.limit
        if outcome.program_error:
            info["program_error"] = outcome.program_error
            info["stderr_tail"] = run.tail("stderr", 300)
        if outcome.restarts:
            info["restarts"] = outcome.restarts
        failures = [(i, e) for i, e in enumerate(outcome.errors) if e is not None]
        if failures:
            info["failures"] = [f"test {i}: {e}" for i, e in failures[:5]]
        if outcome.limit in TIMING_LIMITS or any(e == "timeout" for _, e in failures):
            info["no_cache"] = True
        return outcome.passed, info
    info["verdict_mode"] = "host-compared"
    passed = []
    failures = []
    for i, (run, want) in enumerate(zip(runs, job.expected)):
        ok = run.ok and outputs_match(run.stdout, want, float_tol)
        passed.append(ok)
        if not ok and len(failures) < 5:
            failures.append(f"case {i}: {run.reason if not run.ok else 'wrong output'}")
    limits = sorted({r.limit for r in runs if r.limit})
    if limits:
        info["limit"] = ",".join(limits)
    if TIMING_LIMITS.intersection(limits):
        info["no_cache"] = True
    if failures:
        info["failures"] = failures
    return passed, info


def _result(passed: list[bool], info: dict[str, Any], mode: Mode, dense: float | None, value: float | None) -> RewardResult:
    n = len(passed)
    rate = sum(passed) / n if n else 0.0
    all_pass = 1.0 if n and all(passed) else 0.0
    components: dict[str, float | None] = {"pass_rate": rate, "all_pass": all_pass}
    if dense is not None:
        components["dense"] = dense
    components.update({f"test_{i}": 1.0 if ok else 0.0 for i, ok in enumerate(passed)})
    if value is None:
        value = all_pass if mode == "all_pass" else rate
    reason = f"{sum(passed)}/{n} tests passed"
    if info.get("limit"):
        reason += f"; limit hit: {info['limit']}"
    elif info.get("program_error"):
        reason += f"; program failed: {info['program_error']}"
    elif info.get("failures"):
        reason += f"; first failure: {info['failures'][0]}"
    return RewardResult.ok(value, components, reason, info=info)


@reward(
    "code_tests",
    source="HumanEval (Chen et al., 2021) / MBPP / APPS unit tests; VeRPO dense reward (Wang et al., 2026)",
    per="group",
    executor="thread",
    timeout=600.0,
)
def code_tests(
    completions: list[str],
    references: list[Any],
    mode: Mode = "pass_rate",
    verpo_alpha: float = 0.5,
    verpo_eps: float = 0.1,
    fence_language: str = "python",
    wall_s: PositiveFloat = 10.0,
    cpu_s: PositiveFloat = 10.0,
    memory_mb: PositiveInt = 1024,
    test_timeout_s: PositiveFloat = 5.0,
    float_tol: float = 1e-6,
    backend: BackendName = "auto",
) -> list[RewardResult]:
    """Pass rate / all-pass / VeRPO reward of the code in each completion, run in the sandbox (HumanEval, Chen et al. 2021; VeRPO, Wang et al. 2026).

    >>> r = code_tests(["```python\\ndef inc(x):\\n    return x + 1\\n```"],
    ...                [{"tests": "def check(c):\\n    assert c(1) == 2\\n    assert c(2) == 4", "entry_point": "inc"}])
    >>> r[0].value, r[0].components["test_0"], r[0].components["test_1"]
    (0.5, 1.0, 0.0)
    """
    limits = get_sandbox(backend).limits.with_(wall_s=wall_s, cpu_s=cpu_s, memory_mb=memory_mb)
    jobs = [_prepare(c, r, fence_language, limits, test_timeout_s) for c, r in zip(completions, references)]
    flat = [req for job in jobs if job.kind != "done" for req in job.requests]
    runs = get_sandbox(backend).run_many(flat)
    read: list[tuple[list[bool], dict[str, Any]] | RewardResult | None] = []
    at = 0
    for job in jobs:
        if job.kind == "done":
            read.append(None)
            continue
        mine = runs[at : at + len(job.requests)]
        at += len(job.requests)
        read.append(_read(job, mine, float_tol))
    verpo: dict[int, tuple[float, float]] = {}
    if mode == "verpo":
        suites: dict[tuple[str, int], list[int]] = {}
        for k, (job, got) in enumerate(zip(jobs, read)):
            if isinstance(got, tuple):
                suites.setdefault((job.suite_key, len(got[0])), []).append(k)
        for members in suites.values():
            rows = [read[k][0] for k in members]  # type: ignore[index]
            for k, pair in zip(members, verpo_rewards(rows, verpo_alpha, verpo_eps)):
                verpo[k] = pair
    out: list[RewardResult] = []
    for k, (job, got) in enumerate(zip(jobs, read)):
        if job.result is not None:
            out.append(job.result)
        elif isinstance(got, RewardResult):
            out.append(got)
        else:
            assert got is not None
            passed, info = got
            value, dense = verpo.get(k, (None, None))
            out.append(_result(passed, info, mode, dense, value))
    return out
