"""String and exact-numeric normalisation of math answers: the fast paths that run before sympy.

``normalize`` turns the many spellings of one answer into one string (``\\dfrac`` -> ``\\frac``, units,
``\\text{}``, ``\\$``, percent and degree signs, thin spaces, thousands separators, ``**`` powers ...).
``to_number`` reads an exact ``Fraction`` from integers, decimals, fractions, mixed numbers, scientific
notation and repeating decimals, or returns None when the answer is not a plain number.
"""

from __future__ import annotations

import re
from fractions import Fraction

_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
_SPACING = re.compile(r"(?<!\\)\\[,;:!> ]|\\quad|\\qquad|~|\\displaystyle|\\left|\\right|\\big|\\Big")
_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|mbox|mathrm|mathbf|operatorname)\s*\{([^{}]*)\}")
_UNIT_AFTER_NUMBER = re.compile(
    r"([\d}])\s*\\(?:text|mbox|mathrm)\s*\{\s*(?!(?:or|and)\s*\})[A-Za-z][A-Za-z .\-/^0-9]*\}(?:\s*\^\s*\{?\s*\d\s*\}?)?"
)
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|°|\\degree")
_PERCENT = re.compile(r"\\?%")
_DOLLAR = re.compile(r"\\\$|\\dollar")
_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3})((?:,\d{3})+)(?![\d])")
_SPACED_THOUSANDS = re.compile(r"(?<![\d.])(\d{1,3})((?: \d{3})+)(?![\d])")
_VAR_PREFIX = re.compile(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*=\s*(?!.*=)")
_CHOICE = re.compile(r"^(?:\(\s*([A-Ea-e])\s*\)|([A-E]))\.?$")
_AND = re.compile(r"\s*(?:\\text\{\s*and\s*\}|\band\b)\s*")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d)")

_INT = r"-?\d+"
_DEC = r"-?(?:\d+\.\d*|\.\d+|\d+)"
_RE_DEC = re.compile(rf"^({_DEC})$")
_RE_SCI = re.compile(rf"^({_DEC})\s*(?:\\times|\\cdot|\*|x)\s*10\s*\^\s*\{{?\s*({_INT})\s*\}}?$")
_RE_E = re.compile(rf"^({_DEC})[eE]([+-]?\d+)$")
_RE_FRAC = re.compile(rf"^(-)?\\frac\{{\s*({_DEC})\s*\}}\{{\s*({_DEC})\s*\}}$")
_RE_SLASH = re.compile(rf"^(-)?\(?\s*({_DEC})\s*\)?\s*/\s*\(?\s*({_DEC})\s*\)?$")
_RE_MIXED = re.compile(rf"^(-)?(\d+)\s*\\frac\{{\s*(\d+)\s*\}}\{{\s*(\d+)\s*\}}$")
_RE_MIXED_SLASH = re.compile(r"^(-)?(\d+)\s+(\d+)\s*/\s*(\d+)$")
_RE_REPEAT = re.compile(r"^(-)?(\d*)\.(\d*)\\overline\{(\d+)\}$")
_RE_WITH_UNIT = re.compile(rf"^({_DEC})\s+[A-Za-z][A-Za-z .\-]*$")


def strip_wrappers(s: str) -> str:
    s = s.strip()
    changed = True
    while changed and s:
        changed = False
        for a, b in _WRAPPERS:
            if len(s) >= len(a) + len(b) and s.startswith(a) and s.endswith(b):
                s = s[len(a) : len(s) - len(b)].strip()
                changed = True
    return s


def normalize(answer: str) -> str:
    """One spelling per answer: the fast string path (no sympy).

    >>> normalize(r"$\\dfrac{9}{12}\\text{ inches}$"), normalize(r"2\\,500\\,000"), normalize(r"\\$1,234.50")
    ('\\\\frac{9}{12}', '2500000', '1234.50')
    >>> normalize(r"60^\\circ"), normalize(r"25\\%"), normalize(r"\\text{(D)}"), normalize("2**5")
    ('60', '25', 'D', '2^5')
    """
    s = strip_wrappers(answer).replace("\u2212", "-")
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = s.replace("**", "^").replace("\\leq", "\\le").replace("\\geq", "\\ge").replace("≤", "\\le").replace("≥", "\\ge")
    s = _DEGREE.sub("", s)
    s = _PERCENT.sub("", s)
    s = _DOLLAR.sub("", s)
    s = _AND.sub(", ", s) if _AND.search(s) else s
    s = _UNIT_AFTER_NUMBER.sub(r"\1", s)
    s = _SPACING.sub(" ", s)
    for _ in range(3):  # \text{...} around whole answers or words
        new = _TEXT_CMD.sub(lambda m: m.group(1), s)
        if new == s:
            break
        s = new
    s = s.replace("$", "")
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = s.rstrip(".").strip()
    s = _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), s)
    s = _SPACED_THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(" ", ""), s)
    letter = choice_letter(s)
    return letter if letter is not None else s


def strip_variable(s: str) -> str:
    """``x = 3`` -> ``3``, ``y=3x-2`` -> ``3x-2`` (one assignment of one variable only).

    >>> strip_variable("y = 3x-2"), strip_variable("x+y=3")
    ('3x-2', 'x+y=3')
    """
    m = _VAR_PREFIX.match(s)
    return s[m.end() :].strip() if m else s


_ASSIGN = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*([^=]+)$")
_OR = re.compile(r"\s*(?:\\text\{\s*or\s*\}|\bor\b)\s*")


def strip_variables_in_list(s: str) -> str:
    """``x=2, x=3`` (or ``x = 2 \text{ or } x = 3``) -> ``2, 3``: roots given as assignments of one variable.

    >>> strip_variables_in_list(r"x=2 \\text{ or } x=-3"), strip_variables_in_list("x=1, y=2")
    ('2, -3', 'x=1, y=2')
    """
    parts = [p for p in re.split(r",|\\text\{\s*or\s*\}|\bor\b", s)]
    if len(parts) < 2:
        return s
    found = [_ASSIGN.match(p) for p in parts]
    if all(found) and len({m.group(1) for m in found if m}) == 1:
        return ", ".join(m.group(2).strip() for m in found if m)
    return s


def or_to_list(s: str) -> str:
    """``2 \text{ or } 3`` -> ``2, 3`` (a set of solutions, for a reference that lists several)."""
    return _OR.sub(", ", s)


def _dec(text: str) -> Fraction:
    return Fraction(text)


def to_number(s: str) -> Fraction | None:
    """Exact value of a plain-number answer (already normalised), else None.

    >>> to_number("2\\\\frac{1}{4}"), to_number("0.\\\\overline{6}"), to_number("2.5\\\\times 10^{2}"), to_number("5/8")
    (Fraction(9, 4), Fraction(2, 3), Fraction(250, 1), Fraction(5, 8))
    >>> to_number("x+1") is None
    True
    """
    s = s.strip()
    if not s or len(s) > 200:
        return None
    try:
        if m := _RE_DEC.match(s):
            return _dec(m.group(1))
        if m := _RE_FRAC.match(s):
            den = _dec(m.group(3))
            return None if den == 0 else (-1 if m.group(1) else 1) * _dec(m.group(2)) / den
        if m := _RE_SLASH.match(s):
            den = _dec(m.group(3))
            return None if den == 0 else (-1 if m.group(1) else 1) * _dec(m.group(2)) / den
        if m := _RE_MIXED.match(s) or _RE_MIXED_SLASH.match(s):
            den = int(m.group(4))
            if den == 0:
                return None
            value = int(m.group(2)) + Fraction(int(m.group(3)), den)
            return -value if m.group(1) else value
        if m := _RE_SCI.match(s) or _RE_E.match(s):
            exp = int(m.group(2))
            if abs(exp) > 400:
                return None
            return _dec(m.group(1)) * Fraction(10) ** exp
        if m := _RE_REPEAT.match(s):
            return _repeating(m.group(2), m.group(3), m.group(4), bool(m.group(1)))
        if m := _RE_WITH_UNIT.match(s):
            return _dec(m.group(1))
    except (ValueError, ZeroDivisionError):
        return None
    return None


def _repeating(whole: str, fixed: str, period: str, negative: bool) -> Fraction:
    base = Fraction(int(whole or "0"))
    if fixed:
        base += Fraction(int(fixed), 10 ** len(fixed))
    base += Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
    return -base if negative else base


def choice_letter(s: str) -> str | None:
    """A single option letter A-E, from ``B``, ``(B)``, ``b.``; else None."""
    m = _CHOICE.match(s.strip())
    return (m.group(1) or m.group(2)).upper() if m else None
