"""Assert-style tests (HumanEval / MBPP shape): the host's plan of them, and reading the judge's verdict.

The host parses the tests (never runs them) and cuts them into statements: with an ``entry_point`` and a
``def check(candidate)``, the statements of ``check``'s body; otherwise the top-level statements. A
statement that contains an ``assert`` is a test; the others are setup. The plan travels to the sandbox
worker, whose trusted judge (``rewardsmith.trusted.assert_judge``) runs the statements in its own
interpreter and makes only the candidate's calls in the sandboxed program: the verdict never depends on
the program's cooperation (``info.verdict_mode = "trusted-calls"``).

The prompt prefix (HumanEval's ``prompt``) is trusted text: when the tests use a helper it defines
(``poly``, ``encode_cyclic``), the judge runs the prefix itself and uses its helper, not the program's
copy; functions the prefix only declares (a docstring, ``pass``) and the entry point are the program's.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import marshal
from dataclasses import dataclass
from typing import Any

from rewardsmith.sandbox import Limits, Request, RunResult
from rewardsmith.trusted.assert_judge import VERDICT_MODE


class TestsError(ValueError):
    """The tests themselves cannot be used (not the policy's fault: the reward abstains)."""


@dataclass(frozen=True, slots=True)
class TestPlan:
    """What the judge runs. Immutable: one plan is shared by every sample with the same tests and prefix."""

    module: str | None
    units: tuple[tuple[str, str], ...]
    bind: str
    entry_point: str | None
    prefix: str | None = None
    stubs: tuple[str, ...] = ()
    is_async: bool = False
    #: The candidate's calls, in order, when the tests are only asserts calling it with literal arguments
    #: (the judge asks for all their answers in one message, then checks them one by one); else None.
    prefetch: tuple[tuple[str, tuple, dict], ...] | None = None
    #: ``marshal`` of the code objects, compiled once here (the tests are trusted data) so that no
    #: sandboxed run compiles them again; None when they do not compile (the worker compiles the texts).
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


def _is_stub(node: ast.stmt) -> bool:
    """A function the prefix only declares: its body is a docstring, ``pass`` or ``...``."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(
        isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in node.body
    )


def _defined(nodes: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


_Prefix = tuple[str | None, tuple[str, ...], set[str]]


def _prefix_part(prefix: str | None, tests: ast.Module, entry_point: str | None) -> _Prefix:
    """(the prefix to run in the judge, or None when the tests use nothing it defines; its stub names; the
    names it gives the tests)."""
    if not prefix:
        return None, (), set()
    try:
        tree = ast.parse(prefix)
    except SyntaxError:
        return None, (), set()
    stubs = {n.name for n in tree.body if _is_stub(n)} | ({entry_point} if entry_point else set())
    used = {n.id for n in ast.walk(tests) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    provided = _defined(tree.body) - stubs
    if not (used & provided):
        return None, (), set()
    return prefix, tuple(sorted(stubs)), provided


class _CallOrder(ast.NodeVisitor):
    """The calls of the program's names in one statement, in evaluation order, with literal arguments;
    ``calls`` becomes None when a call is not that simple or a program name is used another way."""

    def __init__(self, program_names: set[str]) -> None:
        self.names = program_names
        self.calls: list[tuple[str, tuple, dict]] | None = []

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.names:  # not as the function of a call (visit_Call skips those)
            self.calls = None

    def visit_Call(self, node: ast.Call) -> None:
        for child in [*node.args, *(k.value for k in node.keywords)]:
            self.visit(child)
        if not (isinstance(node.func, ast.Name) and node.func.id in self.names):
            self.visit(node.func)
            return
        try:
            args = tuple(ast.literal_eval(a) for a in node.args)
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            self.calls = None
            return
        if self.calls is not None and None not in kwargs:
            self.calls.append((node.func.id, args, kwargs))
        else:
            self.calls = None


_NOT_STATIC = (ast.Lambda, ast.comprehension, ast.IfExp, ast.BoolOp, ast.NamedExpr, ast.Await, ast.Starred)


def _prefetch(units: tuple[tuple[str, str], ...], tree: ast.Module, bind: str, entry_point: str | None,
              prefix_names: set[str]) -> tuple[tuple[str, tuple, dict], ...] | None:
    """All the calls the tests will make to the program, when they are known before running them: every
    unit is a plain ``assert`` (no loop, branch, comprehension or lambda), every call of a program name has
    literal arguments, and the tests use the program no other way. None otherwise."""
    defined = set(dir(builtins)) | prefix_names
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            defined.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.arguments):
            defined.update(a.arg for a in [*n.posonlyargs, *n.args, *n.kwonlyargs])
    program = {bind} | ({entry_point} if entry_point else set())
    calls: list[tuple[str, tuple, dict]] = []
    for _kind, src in units:
        node = ast.parse(src).body[0]
        if not isinstance(node, ast.Assert) or any(isinstance(n, _NOT_STATIC) for n in ast.walk(node)):
            return None
        names = program | ({n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - defined)
        order = _CallOrder(names)
        order.visit(node)
        if order.calls is None:
            return None
        calls += [(entry_point if entry_point and name == bind else name, args, kwargs) for name, args, kwargs in order.calls]
    return tuple(calls) or None


def _compiled(plan: TestPlan) -> bytes | None:
    """The judge's code objects, with the file names it would give them."""
    mode = "eval" if plan.is_async else "exec"
    try:
        return marshal.dumps(
            {
                "module": compile(plan.module, "tests.py", "exec") if plan.module else None,
                "prefix": compile(plan.prefix, "prompt.py", "exec") if plan.prefix else None,
                "units": [(kind, compile(src, f"test_{i}.py", mode)) for i, (kind, src) in enumerate(plan.units)],
            }
        )
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _plan(tree: ast.Module, module: str | None, units: list[tuple[str, str]], bind: str, entry_point: str | None,
          prefix: _Prefix, is_async: bool = False) -> TestPlan:
    frozen = tuple(units)
    prefetch = None if is_async else _prefetch(frozen, tree, bind, entry_point, prefix[2])
    plan = TestPlan(module=module or None, units=frozen, bind=bind, entry_point=entry_point,
                    prefix=prefix[0], stubs=prefix[1], is_async=is_async, prefetch=prefetch)
    object.__setattr__(plan, "compiled", _compiled(plan))
    return plan


@functools.lru_cache(maxsize=1024)
def plan_tests(tests: str, entry_point: str | None = None, check_name: str = "check", prefix: str | None = None) -> TestPlan:
    """Cut ``tests`` into units (cached: a group's samples share their tests, and parsing costs ~1 ms).

    >>> p = plan_tests("def check(candidate):\\n    x = 2\\n    assert candidate(x) == 4\\n    assert candidate(0) == 0\\n", "f")
    >>> [k for k, _ in p.units], p.bind
    (['setup', 'test', 'test'], 'candidate')
    >>> len(plan_tests("assert f(1) == 2\\nassert f(2) == 3").test_indices)
    2
    >>> plan_tests("def check(c):\\n    assert c(h(1)) == 1\\n", "f", prefix="def h(x):\\n    return x\\ndef f(y):\\n    '''doc'''\\n").stubs
    ('f',)
    >>> plan_tests("def check(c):\\n    assert c(1, k=[2]) == 3\\n    assert abs(c(2) - 1) < 1e-6\\n", "f").prefetch
    (('f', (1,), {'k': [2]}), ('f', (2,), {}))
    >>> plan_tests("def check(c):\\n    x = 2\\n    assert c(x) == 4\\n", "f").prefetch is None
    True
    """
    try:
        tree = ast.parse(tests)
    except SyntaxError as exc:
        raise TestsError(f"tests do not parse: {exc}") from None
    pre = _prefix_part(prefix, tree, entry_point)
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
        return _plan(tree, module, units, bind, entry_point, pre)
    if entry_point is not None and isinstance(check, ast.AsyncFunctionDef):  # an async check: awaited whole
        module = ast.unparse(ast.Module(body=[n for n in tree.body if not _is_check_call(n, check_name)], type_ignores=[]))
        return _plan(tree, module, [("test", f"{check_name}({entry_point})")], "candidate", entry_point, pre, is_async=True)
    units = [("test" if _has_assert(n) else "setup", ast.unparse(n)) for n in tree.body]
    if not any(kind == "test" for kind, _ in units):
        raise TestsError("the tests contain no assert")
    return _plan(tree, None, units, "candidate", entry_point, pre)


def assert_request(program: str, plan: TestPlan, test_timeout_s: float, limits: Limits) -> Request:
    """The sandbox request for one candidate: the worker's trusted judge with the plan (texts and, for a
    worker on this interpreter, code objects: ``magic`` says which) and the program, which the worker
    hands to the sandboxed process that serves the candidate's calls. The tests never reach that process."""
    args: dict[str, Any] = {
        "program": program,
        "module": plan.module,
        "units": plan.units,
        "prefix": plan.prefix,
        "stubs": plan.stubs,
        "prefetch": plan.prefetch,
        "bind": plan.bind,
        "entry_point": plan.entry_point,
        "is_async": plan.is_async,
        "timeout": float(test_timeout_s),
        "compiled": plan.compiled,
        "magic": importlib.util.MAGIC_NUMBER,
    }
    return Request(driver="asserts", args=args, limits=limits)


@dataclass(slots=True)
class TestOutcome:
    """Per-test pass/fail, why they failed, and what went wrong before the tests, if anything."""

    passed: list[bool]
    errors: list[str | None]
    program_error: str | None
    tests_error: str | None
    limit: str | None
    mode: str
    restarts: int = 0
    calls: int = 0


def read_verdict(run: RunResult, plan: TestPlan) -> TestOutcome:
    """Per-test results from the trusted judge's verdict (tests without a result never ran: failed)."""
    judged = run.judged or {}
    results = judged.get("units") or []
    passed, errors = [], []
    for i in plan.test_indices:
        got = results[i] if i < len(results) else None
        ok = bool(got and got[0] is True)
        passed.append(ok)
        errors.append(None if ok else (str(got[1]) if got else "did not run"))
    return TestOutcome(
        passed=passed,
        errors=errors,
        program_error=judged.get("program_error"),
        tests_error=judged.get("tests_error"),
        limit=judged.get("limit") or run.limit,
        mode=str(judged.get("mode") or VERDICT_MODE),
        restarts=int(judged.get("restarts") or 0),
        calls=int(judged.get("calls") or 0),
    )
