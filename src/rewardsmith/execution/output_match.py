"""Does a program's stdout match the expected output (APPS / CodeContests convention)?"""

from __future__ import annotations

import math


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return lines


def _same_token(a: str, b: str, tol: float) -> bool:
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y):
        return False
    return math.isclose(x, y, rel_tol=tol, abs_tol=tol)


def outputs_match(got: str, expected: str, float_tol: float = 1e-6) -> bool:
    """Equal after trimming trailing spaces and blank lines; else token by token with float tolerance.

    >>> outputs_match("3 \\n4\\n\\n", "3\\n4")
    True
    >>> outputs_match("0.3333333", "0.33333333", 1e-6)
    True
    >>> outputs_match("1 2", "1 3")
    False
    """
    if _lines(got) == _lines(expected):
        return True
    got_tokens, want_tokens = got.split(), expected.split()
    if len(got_tokens) != len(want_tokens):
        return False
    return all(_same_token(a, b, float_tol) for a, b in zip(got_tokens, want_tokens))
