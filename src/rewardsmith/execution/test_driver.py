"""Assert-style tests (HumanEval / MBPP shape) split into units, and the driver program that runs them.

The host parses the tests (never runs them) and cuts them into statements: with an ``entry_point`` and
a ``def check(candidate)``, the statements of ``check``'s body; otherwise the top-level statements. A
statement that contains an ``assert`` is a test; the others are setup. The driver (``run_asserts`` in
the sandbox worker) executes the program, then the tests module, binds ``candidate`` to the entry point
and runs the statements one by one with a per-test alarm, writing one JSON line per test to fd 3.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import marshal
from dataclasses import dataclass

from rewardsmith.sandbox import Limits, Request

class TestsError(ValueError):
    """The tests themselves cannot be used (not the policy's fault: the reward abstains)."""


@dataclass(frozen=True, slots=True)
class TestPlan:
    """What the driver runs: the tests module, the units (kind, source) and the name bound to the entry point.
    Immutable: one plan is shared by every sample with the same tests (``plan_tests`` is cached)."""

    module: str
    units: tuple[tuple[str, str], ...]
    bind: str
    entry_point: str | None
    #: ``marshal`` of (module code or None, unit codes), compiled once here (the tests are trusted data)
    #: so that no sandboxed run compiles them again; None when they do not compile (the run reports it).
    compiled: bytes | None = None

    @property
    def test_indices(self) -> list[int]:
        return [i for i, (kind, _) in enumerate(self.units) if kind == "test"]


def _has_assert(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def _is_check_call(node: ast.stmt, name: str) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == name
    )


def _compiled(module: str, units: tuple[tuple[str, str], ...]) -> bytes | None:
    """The driver's code objects, with the file names it would give them."""
    try:
        module_code = compile(module, "tests.py", "exec") if module else None
        return marshal.dumps((module_code, tuple(compile(src, f"test_{i}.py", "exec") for i, (_, src) in enumerate(units))))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _plan(module: str, units: list[tuple[str, str]], bind: str, entry_point: str | None) -> TestPlan:
    frozen = tuple(units)
    return TestPlan(module=module, units=frozen, bind=bind, entry_point=entry_point, compiled=_compiled(module, frozen))


@functools.lru_cache(maxsize=1024)
def plan_tests(tests: str, entry_point: str | None = None, check_name: str = "check") -> TestPlan:
    """Cut ``tests`` into units (cached: a group's samples share their tests, and parsing costs ~1 ms).

    >>> p = plan_tests("def check(candidate):\\n    x = 2\\n    assert candidate(x) == 4\\n    assert candidate(0) == 0\\n", "f")
    >>> [k for k, _ in p.units], p.bind
    (['setup', 'test', 'test'], 'candidate')
    >>> len(plan_tests("assert f(1) == 2\\nassert f(2) == 3").test_indices)
    2
    """
    try:
        tree = ast.parse(tests)
    except SyntaxError as exc:
        raise TestsError(f"tests do not parse: {exc}") from None
    check = next(
        (n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == check_name), None
    )
    if entry_point is not None and check is not None and isinstance(check, ast.FunctionDef):
        args = check.args.args
        bind = args[0].arg if args else "candidate"
        module_nodes = [n for n in tree.body if n is not check and not _is_check_call(n, check_name)]
        module = ast.unparse(ast.Module(body=module_nodes, type_ignores=[])) if module_nodes else ""
        body = check.body
        if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
            body = body[1:]  # docstring
        units = [("test" if _has_assert(n) else "setup", ast.unparse(n)) for n in body]
        if any(isinstance(n, ast.Return) for n in ast.walk(check)):
            # a check that returns early cannot be cut safely: run it whole as one test
            units = [("test", f"{check_name}({bind})")]
            module = ast.unparse(ast.Module(body=[*module_nodes, check], type_ignores=[]))
        if not any(kind == "test" for kind, _ in units):
            raise TestsError("the check function has no assert")
        return _plan(module, units, bind, entry_point)
    units = [("test" if _has_assert(n) else "setup", ast.unparse(n)) for n in tree.body]
    if entry_point is not None and check is not None:  # e.g. an async check: call it whole
        units = [("setup", ast.unparse(n)) for n in tree.body] + [("test", f"{check_name}({entry_point})")]
    if not any(kind == "test" for kind, _ in units):
        raise TestsError("the tests contain no assert")
    return _plan("", units, "candidate", None)


def assert_request(program: str, plan: TestPlan, test_timeout_s: float, nonce: str, limits: Limits) -> Request:
    """The sandbox request for one candidate: the worker's built-in "asserts" driver (already compiled in
    the warm interpreter; the texts travel as data, nothing is pasted into code). The tests also travel
    compiled (``magic`` says for which interpreter: a worker on another Python compiles the sources).

    Report lines carry ``nonce``: lines the candidate writes to the report fd itself are ignored (this
    raises the bar; a candidate that digs the nonce out of the driver's frame can still forge them).
    """
    args = {
        "program": program,
        "module": plan.module,
        "units": plan.units,
        "bind": plan.bind,
        "entry_point": plan.entry_point,
        "timeout": float(test_timeout_s),
        "nonce": nonce,
        "compiled": plan.compiled,
        "magic": importlib.util.MAGIC_NUMBER,
    }
    return Request(driver="asserts", args=args, limits=limits)


@dataclass(slots=True)
class TestOutcome:
    """Per-test pass/fail (``None``: never ran) and why the program failed before the tests, if it did."""

    passed: list[bool]
    errors: list[str | None]
    program_error: str | None
    finished: bool


def read_report(report: str, plan: TestPlan, nonce: str) -> TestOutcome:
    """Per-test results from the driver's report lines; tests without a line failed (never ran)."""
    by_unit: dict[int, tuple[bool, str | None]] = {}
    program_error = None
    finished = False
    for line in report.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict) or item.get("n") != nonce:
            continue
        if "program_error" in item:
            program_error = str(item["program_error"])
        elif item.get("done") is True:
            finished = True
        elif isinstance(item.get("unit"), int):
            by_unit.setdefault(item["unit"], (item.get("ok") is True, item.get("error")))
    passed, errors = [], []
    for i in plan.test_indices:
        ok, err = by_unit.get(i, (False, "did not run"))
        passed.append(ok)
        errors.append(None if ok else err)
    return TestOutcome(passed=passed, errors=errors, program_error=program_error, finished=finished)
