"""The CAS side of ``math_equiv``: a small server process that parses and compares two answers with
math-verify / latex2sympy2_extended / sympy, one JSON request per line on stdin, one reply per line on stdout.

It runs in its own process (started by ``rewardsmith.verifiers.math.cas``) so that a comparison which cannot
finish can be killed from outside, whatever thread or event loop the caller runs in: math-verify's own
timeouts use ``signal.alarm`` (main thread only) and turn a timeout into ``False``; here they are off, and
the parent kills this process at its deadline. Each request also lowers this process's CPU limit to the
request's budget (``RLIMIT_CPU``), so work the parent stopped waiting for cannot run on, and memory is
capped (``RLIMIT_AS``). It imports nothing from rewardsmith, so it starts with sympy's import cost only.

Requests: ``{"op": "equal", "pred": str, "ref": str, "tolerance": float, "seconds": float}`` and
``{"op": "parses", "ref": str, "seconds": float}``. Replies: ``{"ok": true, ...}`` or ``{"ok": false,
"error": str}``. The first line written is ``{"ready": true}``.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from functools import lru_cache
from typing import Any

MEMORY_BYTES = 3 * 1024**3


def _limit_memory() -> None:
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = MEMORY_BYTES if hard == resource.RLIM_INFINITY else min(MEMORY_BYTES, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):
        pass


def _limit_cpu(seconds: float) -> None:
    """Let this request use about ``seconds`` more CPU seconds; past that the kernel ends the process."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    total = used.ru_utime + used.ru_stime
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = int(total + max(1.0, seconds)) + 2
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (want, hard))
    except (ValueError, OSError):
        pass


def _parse(latex: str, whole: bool = True) -> list[Any]:
    """The answer as mathematics: LaTeX first, then a plain expression. With ``whole`` (always for the
    policy's answer) the expression must span the whole text: math-verify's expression extractor takes the
    *last* expression it finds, so a reply it cannot read (``3 \\vee 4``, ``3 \\foo 4``) would become ``4``,
    a digit from inside an expression. The trusted reference keeps math-verify's leniency."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    if whole and ("\\boxed" in latex or "\\fbox" in latex):
        return []  # math-verify would read only the box: "4 \\boxed{5}" is not 5
    got = parse(f"${latex}$", extraction_config=[LatexExtractionConfig()], parsing_timeout=None)  # type: ignore[arg-type]
    if any(not isinstance(x, str) for x in got):
        return got
    got = parse(latex, extraction_config=[ExprExtractionConfig()], parsing_timeout=None)  # type: ignore[arg-type]
    matched = next((x for x in got if isinstance(x, str)), "")
    return got if not whole or _squash(matched) == _squash(latex) else []


def _squash(s: str) -> str:
    return "".join(s.split())


@lru_cache(maxsize=4096)
def _parse_reference(latex: str) -> tuple[Any, ...]:
    return tuple(_parse(latex, whole=False))


def _is_structured(x: Any) -> bool:
    import sympy
    from sympy.core.relational import Relational
    from sympy.matrices import MatrixBase

    return isinstance(x, (sympy.Set, sympy.Tuple, Relational, sympy.And, sympy.Or, MatrixBase, tuple))


def _several_values(x: Any) -> bool:
    """A finite set / interval / union: more than one value offered."""
    import sympy

    if isinstance(x, sympy.FiniteSet):
        return len(x) > 1
    return isinstance(x, (sympy.Interval, sympy.Union))


def _complex_equal(a: Any, b: Any) -> bool:
    """Second chance for complex numbers: read a free symbol ``i`` as the imaginary unit on both sides."""
    import sympy

    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return False
    free = a.free_symbols | b.free_symbols
    if {s.name for s in free} != {"i"}:
        return False
    sub = {s: sympy.I for s in free}
    diff = sympy.expand(a.subs(sub) - b.subs(sub))
    return bool(diff == 0 or sympy.simplify(diff) == 0)


def _numeric(x: Any) -> float | None:
    import sympy

    if not isinstance(x, sympy.Expr) or x.free_symbols:
        return None
    try:
        value = complex(sympy.N(x, 30))
    except (TypeError, ValueError):
        return None
    return value.real if abs(value.imag) < 1e-12 else None


def equal(pred: str, ref: str, tolerance: float) -> tuple[bool, str]:
    from math_verify import verify

    gold = [g for g in _parse_reference(ref) if not isinstance(g, str)]
    if not gold:
        return False, "reference not parsed"
    target = [t for t in _parse(pred) if not isinstance(t, str)]
    if not target:
        return False, "answer not parsed"
    g, t = gold[0], target[0]
    if not _is_structured(g) and _several_values(t):
        return False, "several values for one"
    if tolerance > 0:
        gv, tv = _numeric(g), _numeric(t)
        if gv is not None and tv is not None:
            return abs(gv - tv) <= tolerance * max(1.0, abs(gv)), "numeric (sympy)"
    if verify(gold, target, allow_set_relation_comp=True, timeout_seconds=None):
        return True, "symbolic"
    return _complex_equal(g, t), "symbolic"


def parses(ref: str) -> bool:
    return any(not isinstance(x, str) for x in _parse_reference(ref))


def handle(request: dict[str, Any]) -> dict[str, Any]:
    _limit_cpu(float(request.get("seconds", 5.0)))
    op = request.get("op")
    if op == "equal":
        same, how = equal(str(request["pred"]), str(request["ref"]), float(request.get("tolerance", 0.0)))
        return {"ok": True, "equal": same, "how": how}
    if op == "parses":
        return {"ok": True, "parses": parses(str(request["ref"]))}
    if op == "ping":
        return {"ok": True}
    return {"ok": False, "error": f"unknown op {op!r}"}


#: One comparison of each kind, run before "ready": sympy's lazy imports and first-call caches cost seconds
#: (0.4-1.3 s each on a loaded machine) that would otherwise land on the first real comparisons' budgets.
_WARM_UP = (
    (r"\frac{\sqrt{3}}{2}", r"\frac{3}{2\sqrt{3}}"),
    ("x^2-4", "(x-2)(x+2)"),
    (r"\sin^2 x+\cos^2 x", "1"),
    (r"(1,2]\cup[3,\infty)", r"(1,2]\cup[3,\infty)"),
    (r"\{1,2\}", r"\{2,1\}"),
    (r"\begin{pmatrix}1\\2\end{pmatrix}", r"\begin{pmatrix}1\\2\end{pmatrix}"),
    ("y=2x+1", "2x-y+1=0"),
    ("1+i", "i+1"),
)


def _warm_up() -> None:
    for pred, ref in _WARM_UP:
        try:
            equal(pred, ref, 0.0)
        except Exception:  # warming only; a real request reports its own failure
            pass
    _parse_reference.cache_clear()


def main() -> None:
    _limit_memory()
    logging.disable(logging.CRITICAL)  # math-verify logs parse failures; the reply says what happened
    import math_verify  # noqa: F401  (import cost paid before "ready")

    for mod in ("math_verify.parser", "math_verify.grader"):  # it warns once when its timeout is off
        if hasattr(sys.modules.get(mod), "TIMEOUT_WARNING_SHOWN"):
            sys.modules[mod].TIMEOUT_WARNING_SHOWN = True  # type: ignore[attr-defined]
    _warm_up()
    out = sys.stdout
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        start = time.perf_counter()
        try:
            reply = handle(json.loads(line))
        except MemoryError:
            reply = {"ok": False, "error": "out of memory"}
        except Exception as exc:  # reported to the caller, who turns it into an error result
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        reply["seconds"] = round(time.perf_counter() - start, 4)
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
