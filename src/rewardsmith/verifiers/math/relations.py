"""Inequalities in one variable as intervals, so that ``x \\ge 5``, ``5 \\le x`` and ``[5,\\infty)`` meet on the
fast string path; anything else is left for the CAS (which compares relations as relations)."""

from __future__ import annotations

import re

_VAR = r"[a-zA-Z](?:_\{?\w+\}?)?"
_OP = r"<|>|\\le|\\ge"
_CHAIN = re.compile(rf"^(.+?)\s*({_OP})\s*({_VAR})\s*({_OP})\s*(.+)$")
_LEFT = re.compile(rf"^({_VAR})\s*({_OP}|\\ne)\s*(.+)$")
_RIGHT = re.compile(rf"^(.+?)\s*({_OP})\s*({_VAR})$")
_FLIP = {"<": ">", ">": "<", "\\le": "\\ge", "\\ge": "\\le"}
_HAS_OP = re.compile(rf"{_OP}|\\ne|=")


def _one_side(op: str, bound: str) -> str:
    if op == "<":
        return f"(-\\infty,{bound})"
    if op == "\\le":
        return f"(-\\infty,{bound}]"
    if op == ">":
        return f"({bound},\\infty)"
    if op == "\\ge":
        return f"[{bound},\\infty)"
    return f"(-\\infty,{bound})\\cup({bound},\\infty)"  # \ne


def _interval(s: str) -> tuple[str, str] | None:
    """(variable, interval) of a one-variable inequality, else None."""
    m = _CHAIN.match(s) or _LEFT.match(s) or _RIGHT.match(s)
    if m is None:
        return None
    interval = inequality_to_interval(s)
    if interval == s:
        return None
    var = m.group(3) if m.re is _CHAIN or m.re is _RIGHT else m.group(1)
    return re.sub(r"[{}\s]", "", var), interval


_OR = re.compile(r"\s*(?:\bor\b|\\cup)\s*")


def or_to_union(s: str) -> str:
    """``x < 2 or x > 3`` -> ``(-\\infty,2)\\cup(3,\\infty)``: inequalities in one variable joined by "or" are
    one set (a union), not a list of answers. Anything else is returned unchanged.

    >>> or_to_union(r"x \\le -1 or x \\ge 1"), or_to_union("x < 2 or y > 3"), or_to_union("2 or 3")
    ('(-\\\\infty,-1]\\\\cup[1,\\\\infty)', 'x < 2 or y > 3', '2 or 3')
    """
    if not _OR.search(s):
        return s
    parts = [_interval(p.strip()) for p in _OR.split(s)]
    if len(parts) < 2 or any(p is None for p in parts) or len({p[0] for p in parts if p}) != 1:
        return s
    return "\\cup".join(p[1] for p in parts if p)


def inequality_to_interval(s: str) -> str:
    """``3 \\le x < 8`` -> ``[3,8)``; ``x > 2`` and ``2 < x`` -> ``(2,\\infty)``. Other text is returned unchanged.

    >>> inequality_to_interval(r"3 \\le x < 8"), inequality_to_interval(r"x \\ge -1"), inequality_to_interval(r"5 \\ge x")
    ('[3,8)', '[-1,\\\\infty)', '(-\\\\infty,5]')
    >>> inequality_to_interval(r"8 > x \\ge 3"), inequality_to_interval(r"x^2 < 4")
    ('[3,8)', 'x^2 < 4')
    """
    if "=" in s:
        return s
    m = _CHAIN.match(s)
    if m:
        lo, op1, _, op2, hi = (g.strip() for g in m.groups())
        if _HAS_OP.search(lo) or _HAS_OP.search(hi):
            return s
        if op1 in (">", "\\ge") and op2 in (">", "\\ge"):  # 8 > x >= 3
            lo, hi, op1, op2 = hi, lo, _FLIP[op2], _FLIP[op1]
        if op1 in ("<", "\\le") and op2 in ("<", "\\le"):
            left = "[" if op1 == "\\le" else "("
            right = "]" if op2 == "\\le" else ")"
            return f"{left}{lo},{hi}{right}"
        return s
    m = _LEFT.match(s)
    if m and not _HAS_OP.search(m.group(3)):
        return _one_side(m.group(2), m.group(3).strip())
    m = _RIGHT.match(s)
    if m and not _HAS_OP.search(m.group(1)):
        return _one_side(_FLIP[m.group(2)], m.group(1).strip())
    return s
