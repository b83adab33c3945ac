"""The sympy path: math-verify / latex2sympy2_extended with a parsed-reference cache and complexity guards.

math-verify's own timeouts use ``signal.alarm``, which only works in the main thread: we pass them only
there (the engine's worker processes run rewards in their main thread, and kill a worker that runs past the
hard timeout). Off the main thread we run without them and rely on ``too_complex`` to refuse inputs that
could make sympy hang (exponent towers, huge factorials, deep nesting, \\frac bombs).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

#: Seconds for math-verify's signal-based timeouts (main thread only).
SIGNAL_TIMEOUT = 5
MAX_SYMBOLIC_CHARS = 600
MAX_DEPTH = 12
MAX_FRACS = 16

_EXP_TOWER = re.compile(r"\^\s*\{[^{}]*\^|\^\s*\(?[^\s{}()]*\^|\^\s*\{?\s*\(?\s*-?\d{4,}|\^\s*\{[^{}]*\d{4,}")
_BIG_FACT = re.compile(r"\d{3,}\s*!|!\s*!|\)\s*!|\}\s*!")
_BIG_INT = re.compile(r"\d{60,}")
_INEQ2 = re.compile(r"^(.+?)\s*(<|\\le|\\lt)\s*([a-zA-Z])\s*(<|\\le|\\lt)\s*(.+)$")
_INEQ1 = re.compile(r"^([a-zA-Z])\s*(<|>|\\le|\\ge|\\lt|\\gt)\s*(.+)$")


def too_complex(s: str) -> str | None:
    """Why ``s`` is not worth handing to sympy (None when it is fine).

    >>> too_complex("9^{9^{9^{9}}}"), too_complex(r"\\frac{1}{2}") is None
    ('exponent tower or huge exponent', True)
    """
    if len(s) > MAX_SYMBOLIC_CHARS:
        return f"answer longer than {MAX_SYMBOLIC_CHARS} characters"
    depth = best = 0
    for c in s:
        if c in "{([":
            depth += 1
            best = max(best, depth)
        elif c in "})]":
            depth -= 1
    if best > MAX_DEPTH:
        return f"nesting deeper than {MAX_DEPTH}"
    if s.count("\\frac") > MAX_FRACS:
        return f"more than {MAX_FRACS} fractions"
    if _EXP_TOWER.search(s):
        return "exponent tower or huge exponent"
    if _BIG_FACT.search(s):
        return "factorial of a large or compound number"
    if _BIG_INT.search(s):
        return "integer with 60+ digits"
    return None


def inequality_to_interval(s: str) -> str:
    """``3 \\le x < 8`` -> ``[3,8)``; ``x > 2`` -> ``(2,\\infty)``. Other text is returned unchanged.

    >>> inequality_to_interval(r"3 \\le x < 8"), inequality_to_interval(r"x \\ge -1")
    ('[3,8)', '[-1,\\\\infty)')
    """
    m = _INEQ2.match(s)
    if m and "=" not in s:
        lo, op1, _, op2, hi = m.groups()
        left = "[" if op1 == "\\le" else "("
        right = "]" if op2 == "\\le" else ")"
        return f"{left}{lo.strip()},{hi.strip()}{right}"
    m = _INEQ1.match(s)
    if m and "=" not in s and not re.search(r"<|>|\\le|\\ge|\\lt|\\gt", m.group(3)):
        _, op, bound = m.groups()
        bound = bound.strip()
        if op in ("<", "\\lt"):
            return f"(-\\infty,{bound})"
        if op == "\\le":
            return f"(-\\infty,{bound}]"
        if op in (">", "\\gt"):
            return f"({bound},\\infty)"
        return f"[{bound},\\infty)"
    return s


def _timeouts() -> int | None:
    return SIGNAL_TIMEOUT if threading.current_thread() is threading.main_thread() else None


def _quiet_math_verify() -> None:
    """math-verify warns once when its timeout is off; we supply our own limits, so say nothing."""
    import math_verify.grader as grader
    import math_verify.parser as parser

    for mod in (parser, grader):
        if hasattr(mod, "TIMEOUT_WARNING_SHOWN"):
            mod.TIMEOUT_WARNING_SHOWN = True


def _parse(latex: str, timeout: int | None) -> list[Any]:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    _quiet_math_verify()
    return parse(
        f"${latex}$",
        extraction_config=[LatexExtractionConfig(), ExprExtractionConfig()],
        parsing_timeout=timeout,  # type: ignore[arg-type]
    )


@lru_cache(maxsize=8192)
def _parse_reference(latex: str, timeout: int | None) -> tuple[Any, ...]:
    return tuple(_parse(latex, timeout))


def parse_reference(latex: str) -> list[Any]:
    """Parsed reference (cached: a reference is parsed once per process, however many samples share it)."""
    return list(_parse_reference(latex, _timeouts()))


def parse_answer(latex: str) -> list[Any]:
    """Parsed predicted answer (not cached: answers rarely repeat)."""
    return _parse(latex, _timeouts())


def symbolic_equal(pred: str, ref: str) -> bool:
    """math-verify's verdict on two normalised answers (reference first: the relation is not symmetric)."""
    from math_verify import verify

    timeout = _timeouts()
    gold = list(_parse_reference(ref, timeout))
    if not gold:
        return False
    target = _parse(pred, timeout)
    if not target:
        return False
    if verify(gold, target, timeout_seconds=timeout):
        return True
    return _complex_equal(gold[0], target[0])


def _complex_equal(a: Any, b: Any) -> bool:
    """Second chance for complex numbers: read a free symbol ``i`` as the imaginary unit on both sides."""
    import sympy

    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return False
    names = {s.name for s in a.free_symbols | b.free_symbols}
    if names != {"i"}:
        return False
    sub = {s: sympy.I for s in a.free_symbols | b.free_symbols}
    diff = sympy.expand(a.subs(sub) - b.subs(sub))
    return bool(diff == 0 or sympy.simplify(diff) == 0)
