"""Judge assert-style tests (HumanEval / MBPP shape) without trusting the program under test.

The tests run here, in the judge's own interpreter (the sandbox worker, which never executes program
code), with the judge's own builtins and modules. Names the tests use that neither the tests nor the
trusted prompt prefix define (the entry point, ``candidate``, an MBPP function name) are ``Remote``
references to the program: calling one sends the call (its arguments as plain data) to the sandboxed
program, which returns only plain data (``rewardsmith.trusted.plain``); the comparison and the rest of the
assert run here. So a program cannot see the tests, the expected values or any verdict channel, and
patching its own builtins or returning an object that claims to equal everything changes nothing.

What travels and how the tests' other shapes are handled (the verdict stays in trusted code):

- a return value that is not plain data stays in the sandbox; the judge holds a ``Remote`` handle that
  allows attribute calls (``Solution().solve(x)``) and raises ``NotPlainData`` on any other use, so an
  assert that inspects it fails with that reason;
- a callable argument (``key=lambda x: -x``) is a callback: the program calls it by sending plain
  arguments back, and the judge runs it here;
- a list / dict / set argument the program mutates comes back as plain data and is written into the
  test's own object (tests that check in-place changes work);
- a program global the tests read (``assert COUNT == 3``) is fetched as plain data when used.

Residual risk (documented in CONTRIBUTING.md): tests that observe side effects outside these (files the
program writes, what it prints, identity checks with ``is`` against objects it returns) fail rather
than being judged; ``x is None``-style asserts on a non-plain return are decided by identity (the
handle is not None), as they would be for any plain value the program might return instead.

Standard library only (loaded in the sandbox worker).
"""

from __future__ import annotations

import builtins
import operator
from contextlib import AbstractContextManager
from typing import Any, Callable, Protocol

#: ``info.verdict_mode`` of suites judged here.
VERDICT_MODE = "trusted-calls"


class UnitTimeout(BaseException):
    """One test ran past its time (raised by the worker's timer; not catchable by the tests' ``except Exception``)."""


class SampleOver(BaseException):
    """A limit of the whole sample was hit (wall, output, cpu, memory): no further test runs."""

    def __init__(self, limit: str) -> None:
        super().__init__(limit)
        self.limit = limit


class CandidateError(Exception):
    """The program failed in a call (an exception of its own type, a death, an unreadable answer)."""


class NotPlainData(CandidateError):
    """A value from the program that is not plain data was used for something other than an attribute call."""


class ProgramFailed(Exception):
    """The program did not load (its top level raised or ended the process)."""


class Session(Protocol):
    """The worker's side of one program's call channel."""

    calls: int

    def ready(self) -> str | None: ...

    def call(self, target: list, args: tuple, kwargs: dict) -> Any: ...

    def get(self, target: list) -> Any: ...

    def abandon(self, prefetch: bool = False) -> None: ...

    def prefetch(self, calls: list) -> None: ...


def rebuild_exception(type_name: str, message: str) -> Exception:
    """The exception a call raised, as the judge's own class when it is a built-in ``Exception`` type
    (so ``except ValueError`` in the tests works), else ``CandidateError``."""
    cls = getattr(builtins, type_name, None) if type(type_name) is str else None
    if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, (ProgramFailed,)):
        try:
            return cls(message)
        except Exception:
            pass
    return CandidateError(f"{type_name}: {message}")


class Remote:
    """A name or object of the program, seen from the judge. Calls and attributes go to the sandbox;
    any other use fetches the value as plain data first (``NotPlainData`` if it is not)."""

    __slots__ = ("_session", "_target")

    def __init__(self, session: Session, target: list) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_target", target)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.call(self._target, args, kwargs)

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Remote(self._session, self._target + [name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise CandidateError("the tests cannot set attributes of program objects")

    def _value(self) -> Any:
        return self._session.get(self._target)

    def __repr__(self) -> str:
        root, *path = self._target
        where = f"object #{path[0]}" if root == "h" else str(path[0])
        return f"<program {'.'.join([where, *map(str, path[1:])])}>"

    def __hash__(self) -> int:
        return hash(self._value())


def _forward(name: str, op: Callable[..., Any]) -> None:
    setattr(Remote, name, lambda self, *args: op(self._value(), *args))


def _reflected(name: str, op: Callable[[Any, Any], Any]) -> None:
    setattr(Remote, name, lambda self, other: op(other, self._value()))


for _name in ("eq", "ne", "lt", "le", "gt", "ge", "add", "sub", "mul", "truediv", "floordiv", "mod", "pow",
              "and_", "or_", "xor", "lshift", "rshift", "matmul", "contains", "getitem", "abs", "neg", "pos",
              "invert", "index"):
    _forward(f"__{_name.rstrip('_')}__", getattr(operator, _name))
for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and_", "or_", "xor", "matmul"):
    _reflected(f"__r{_name.rstrip('_')}__", getattr(operator, _name))
for _name, _fn in (("bool", bool), ("len", len), ("iter", iter), ("str", str), ("int", int), ("float", float),
                   ("complex", complex), ("reversed", reversed), ("bytes", bytes)):
    _forward(f"__{_name}__", _fn)
_forward("__format__", format)
_forward("__round__", round)
_forward("__divmod__", divmod)
_reflected("__rdivmod__", divmod)


_BUILTINS = {k: v for k, v in vars(builtins).items() if not k.startswith("__")}


class JudgeGlobals(dict):
    """The tests' globals: a name nobody defined is the program's (a ``Remote``), after the builtins."""

    def __init__(self, session: Session) -> None:
        # the builtins as entries too: the tests' many lookups of them never reach ``__missing__``
        super().__init__(_BUILTINS, __builtins__=builtins, __name__="__main__")
        self._session = session

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return Remote(self._session, ["n", name])


def _failure(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def judge(spec: dict, session: Session, timed: Callable[[float], AbstractContextManager[None]]) -> dict:
    """Run the tests of ``spec`` against the program behind ``session``.

    ``spec``: ``prefix`` (code of the trusted prompt prefix, or None), ``stubs`` (names the prefix only
    declares: they are the program's), ``module`` (the tests' own top level, or None), ``units`` (list of
    (kind, code), kind "test" or "setup"), ``entry_point`` and ``bind`` (the check parameter's name),
    ``timeout`` (seconds per unit), ``is_async`` (call ``check`` through asyncio), ``prefetch`` (the
    calls the tests will make, when known in advance: answered in one exchange, each still checked here by
    its own statement). ``timed(s)`` bounds a block by s seconds (raising ``UnitTimeout``).

    Returns ``{"units": [[ok, error|None] | None ...], "program_error", "tests_error", "limit", "calls"}``.
    """
    units = spec["units"]
    out: list[list | None] = [None] * len(units)
    answer: dict[str, Any] = {"units": out, "program_error": None, "tests_error": None, "limit": None}
    g = JudgeGlobals(session)
    timeout = float(spec["timeout"])
    if spec.get("prefix") is not None:
        try:
            with timed(timeout):
                exec(spec["prefix"], g)
        except (Exception, UnitTimeout) as exc:  # trusted text that does not run here: its names stay the program's
            answer["prefix_error"] = _failure(exc)
    for name in spec.get("stubs") or ():
        g.pop(name, None)
    if spec.get("module") is not None:
        try:
            with timed(timeout):
                exec(spec["module"], g)
        except (Exception, UnitTimeout) as exc:
            answer["tests_error"] = _failure(exc)
            return _finish(answer, session)
    entry = spec.get("entry_point")
    if entry is not None:
        g[entry] = Remote(session, ["n", entry])
        g[spec.get("bind") or "candidate"] = g[entry]
    try:
        answer["program_error"] = session.ready()
    except SampleOver as over:
        answer["limit"] = over.limit
        return _finish(answer, session)
    if answer["program_error"] is not None:
        return _finish(answer, session)
    if spec.get("prefetch"):
        try:
            with timed(timeout):  # all the literal calls within one test's time, or each on its own
                session.prefetch(list(spec["prefetch"]))
        except (UnitTimeout, CandidateError):
            session.abandon(prefetch=True)
        except SampleOver as over:
            answer["limit"] = over.limit
            return _finish(answer, session)
    for i, (_kind, code) in enumerate(units):
        try:
            with timed(timeout):
                if spec.get("is_async"):
                    import asyncio

                    asyncio.run(eval(code, g))
                else:
                    exec(code, g)
            out[i] = [True, None]
        except UnitTimeout:
            out[i] = [False, "timeout"]
            session.abandon()
        except SampleOver as over:
            out[i] = [False, f"limit: {over.limit}"]
            answer["limit"] = over.limit
            break
        except RecursionError:
            out[i] = [False, "RecursionError"]
        except (Exception, SystemExit, GeneratorExit) as exc:
            out[i] = [False, _failure(exc)]
    return _finish(answer, session)


def _finish(answer: dict, session: Session) -> dict:
    answer["calls"] = session.calls
    answer["mode"] = VERDICT_MODE
    return answer
