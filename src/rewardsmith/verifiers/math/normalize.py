"""String and exact-numeric normalisation of math answers: the fast paths that run before the CAS.

``normalize`` turns the many spellings of one answer into one string (``\\dfrac`` -> ``\\frac``, units,
``\\text{}``, ``\\$``, percent and degree signs, thin spaces and every common thousands separator, ``**``
powers, relation symbols ...). ``to_number`` reads an exact ``Fraction`` from integers, decimals, fractions,
mixed numbers, scientific notation and repeating decimals, or returns None when the answer is not a plain
number.
"""

from __future__ import annotations

import re
from fractions import Fraction

from rewardsmith.verifiers.math.relations import or_to_union

_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
#: A separator between digit groups: "10,\!000", "14{,}916", "2\,500", thin / narrow spaces.
_GROUP_SEP = re.compile(r"(?<=\d)(?:\{,\}|,\\!\s*|\\,|\\!|\\ |\\;|~|\u2009|\u202f|\u00a0)(?=\d{3}(?!\d))")
_SPACING = re.compile(r"(?<!\\)\\[,;:!> ]|\\q?quad|~|\\displaystyle|\\left|\\right|\\[bB]igg?[lr]?")
_TEXT_CMD = re.compile(r"\\(?:text|textbf|textit|textrm|textnormal|textsf|texttt|mbox|mathrm|mathbf|mathit|operatorname)\s*\{([^{}]*)\}")
_UNIT_AFTER_NUMBER = re.compile(
    r"([\d}])\s*\\(?:text|textnormal|textrm|mbox|mathrm)\s*\{\s*(?![^{}]*\b(?:or|and|more|less|fewer|least|most|to|plus|minus|times|over|only|exactly|about|approximately)\b)[A-Za-z][A-Za-z .\-/^0-9]*\}(?:\s*\^\s*\{?\s*\d\s*\}?)?"
)
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|°|\\degree|(?<=[\d}])\s*degrees?\b")
_PERCENT = re.compile(r"\\?%|(?<=[\d}])\s*(?:percent(?:age)?|pct)\b")
_DOLLAR = re.compile(r"\\\$|\\dollars?\b|[€£¥]")
_AND = re.compile(r"\s*,?\s*(?:\\text\{\s*(?:and|or)\s*\}|\b(?:and|or)\b)\s*")
_FRAC_SHORT = re.compile(r"\\frac\s*(\d)\s*(\d)")
_FRAC_HALF = re.compile(r"\\frac\s*(\d)\s*\{")
_SQRT_SHORT = re.compile(r"\\sqrt\s*(\d)")
_WHOLE_THOUSANDS = re.compile(r"([-+]?)([1-9]\d{0,2}(?:,\d{3})+)(\.\d+)?(\s*[A-Za-z]+[²³]?)?")
_WHOLE_SPACED = re.compile(r"([-+]?)([1-9]\d{0,2}(?: \d{3})+)(\.\d+)?(\s*[A-Za-z]+[²³]?)?")
_SPACED_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?(?:\s+-?\d+(?:\.\d+)?)+")
_CHOICE = re.compile(r"^(?:\(\s*([A-Ea-e])\s*\)|([A-E]))\.?$")
_RELATIONS = (
    ("\\geqslant", "\\ge"), ("\\leqslant", "\\le"), ("\\geq", "\\ge"), ("\\leq", "\\le"), ("\\neq", "\\ne"),
    (">=", "\\ge"), ("<=", "\\le"), ("!=", "\\ne"), ("≥", "\\ge"), ("≤", "\\le"), ("≠", "\\ne"),
    ("\\lt", "<"), ("\\gt", ">"), ("=<", "\\le"), ("=>", "\\ge"),
)
#: Logical "or"/"and" between answers are list words ("x=3 \\vee x=4" is two answers, not a formula).
_LOGIC_OR = re.compile(r"\\(?:vee|lor)(?![A-Za-z])|∨")
_LOGIC_AND = re.compile(r"\\(?:wedge|land)(?![A-Za-z])|∧")
#: End-of-proof marks carry no answer.
_QED = re.compile(r"\\(?:blacksquare|square|Box|qed|qedsymbol)(?![A-Za-z])|∎|□")
_EMPTY_SET = re.compile(r"\\varnothing(?![A-Za-z])|∅|\\\{\s*\\\}")
_UNICODE = (("\u2212", "-"), ("∞", "\\infty"), ("×", "\\times"), ("·", "\\cdot"), ("π", "\\pi"), ("√", "\\sqrt"))

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
#: A number followed by a unit: a word of 2+ letters after a space ("18 dollars"), or a short unit.
_RE_WITH_UNIT = re.compile(
    rf"^({_DEC})(?:\s+[A-Za-z]{{2,}}[A-Za-z .\-]*|\s*(?:mm|cm|km|m|kg|mg|g|ml|l|L|s|h|ft|in|yd|lbs?|oz)(?:\^?[23²³])?|\s*[²³])$"
)
#: "1,22" or "0,111": a decimal comma (European notation), only for a lone number in plain text.
_DECIMAL_COMMA = re.compile(r"^(-?)(0|[1-9]\d*),(\d{2}|\d{4,})$|^(-?)(0),(\d+)$")


#: Rewrites before relation symbols are unified: list words, proof marks, the empty set, digit-group separators.
_SPELLINGS = ((_LOGIC_OR, " or "), (_LOGIC_AND, " and "), (_QED, " "), (_EMPTY_SET, r"\\emptyset"), (_GROUP_SEP, ","))
#: What carries no value: degree and percent signs, currency, a unit after a number, LaTeX spacing.
_DECORATIONS = ((_DEGREE, ""), (_PERCENT, ""), (_DOLLAR, ""), (_UNIT_AFTER_NUMBER, r"\1"), (_SPACING, " "))


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
    >>> normalize(r"14{,}916"), normalize(r"10,\\!000"), normalize("(1,500)"), normalize(r"x >= 5")
    ('14916', '10000', '(1,500)', 'x \\\\ge 5')
    >>> normalize(r"7 \\text{ and } 8"), normalize("28 percent")
    ('7, 8', '28')
    """
    s = strip_wrappers(answer)
    for a, b in _UNICODE:
        s = s.replace(a, b)
    for rx, to in _SPELLINGS:
        s = rx.sub(to, s)
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\cfrac", "\\frac")
    s = s.replace("**", "^")
    for a, b in _RELATIONS:
        s = s.replace(a, b)
    for rx, to in _DECORATIONS:
        s = rx.sub(to, s)
    for _ in range(3):  # \text{...} around whole answers or words
        new = _TEXT_CMD.sub(lambda m: m.group(1), s)
        if new == s:
            break
        s = new
    s = or_to_union(s)
    s = _AND.sub(", ", s) if _AND.search(s) else s
    s = s.replace("$", "")
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _FRAC_HALF.sub(r"\\frac{\1}{", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    if "\\approx" in s:  # "x = 1/3 \approx 0.33": the exact value; "x \approx 11": the value
        head, _, tail = s.partition("\\approx")
        s = tail if "=" not in head and is_label(head) else head
    s = s.replace("+\\infty", "\\infty")
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(",").strip()
    s = s.rstrip(".").strip()
    s = _whole_number(s)
    if _SPACED_NUMBERS.fullmatch(s):  # "3 4" is two numbers (a list), neither 34 nor 3 + 4
        s = ", ".join(s.split())
    letter = choice_letter(s)
    return letter if letter is not None else s


def _whole_number(s: str) -> str:
    """Thousands separators go only when the whole answer is one number ("7,425,000"), never inside a tuple."""
    m = _WHOLE_THOUSANDS.fullmatch(s) or _WHOLE_SPACED.fullmatch(s)
    if m:
        return m.group(1) + re.sub(r"[, ]", "", m.group(2)) + (m.group(3) or "") + (m.group(4) or "")
    return s


def decimal_comma(s: str) -> str | None:
    """``1,22`` -> ``1.22``, ``0,111`` -> ``0.111`` (a lone number with a decimal comma), else None.

    >>> decimal_comma("1,22"), decimal_comma("0,111"), decimal_comma("1,500"), decimal_comma("1,2")
    ('1.22', '0.111', None, None)
    """
    m = _DECIMAL_COMMA.fullmatch(s.strip())
    if not m:
        return None
    if m.group(2) is not None:
        return f"{m.group(1)}{m.group(2)}.{m.group(3)}"
    return f"{m.group(4)}0.{m.group(6)}"


_LABEL = re.compile(r"^\s*([^=<>]{1,40}?)\s*=\s*([^=]+)$")


def is_label(lhs: str) -> bool:
    """Whether the left side of ``lhs = value`` names the answer (``x``, ``a_{37}``, ``(p,q)``, ``AB``,
    ``\\frac{NO}{BO}``, ``f(x)``) rather than being an expression (``2x+4y-3``).

    >>> is_label("a_{37}"), is_label("(p,q)"), is_label(r"\\frac{NO}{BO}"), is_label("2x+4y-3"), is_label("x^2")
    (True, True, True, False, False)
    """
    s = re.sub(r"_\s*(?:\{[^{}]*\}|\w)", "", lhs)
    s = re.sub(r"\\(?:frac|text|mathrm|mathbf|overline|angle|measuredangle|triangle|vec|hat|bar|widehat|det|left|right)\b", "", s)
    s = re.sub(r"[{}\s():,]|\\,", "", s)
    return bool(s) and s.isalpha() and len(s) <= 12


def split_label(s: str) -> tuple[str | None, str]:
    """``x = 3`` -> ``("x", "3")``; ``2x+4y = 3`` and ``3`` -> ``(None, s)``.

    >>> split_label("a_{37} = 19"), split_label("y=3x-2"), split_label("x+y=3")
    (('a_37', '19'), ('y', '3x-2'), (None, 'x+y=3'))
    """
    m = _LABEL.match(s)
    if m and is_label(m.group(1)):
        return re.sub(r"[{}\s]", "", m.group(1)), m.group(2).strip()
    return None, s


def strip_variable(s: str) -> str:
    """``x = 3`` -> ``3``, ``y=3x-2`` -> ``3x-2``, ``x \\in [1,2]`` -> ``[1,2]`` (one label only).

    >>> strip_variable("y = 3x-2"), strip_variable("x+y=3"), strip_variable(r"x \\in [1,2)")
    ('3x-2', 'x+y=3', '[1,2)')
    """
    m = re.match(r"^\s*[A-Za-z](?:_\{?\w+\}?)?\s*\\in\s*(.+)$", s)
    if m:
        return m.group(1).strip()
    return split_label(s)[1]


def to_number(s: str) -> Fraction | None:
    """Exact value of a plain-number answer (already normalised), else None.

    >>> to_number("2\\\\frac{1}{4}"), to_number("0.\\\\overline{6}"), to_number("2.5\\\\times 10^{2}"), to_number("5/8")
    (Fraction(9, 4), Fraction(2, 3), Fraction(250, 1), Fraction(5, 8))
    >>> to_number("x+1") is None, to_number("12 inches"), to_number("2x") is None
    (True, Fraction(12, 1), True)
    """
    s = s.strip()
    if not s or len(s) > 200:
        return None
    try:
        if m := _RE_DEC.match(s):
            return Fraction(m.group(1))
        if m := _RE_FRAC.match(s):
            den = Fraction(m.group(3))
            return None if den == 0 else (-1 if m.group(1) else 1) * Fraction(m.group(2)) / den
        if m := _RE_SLASH.match(s):
            den = Fraction(m.group(3))
            return None if den == 0 else (-1 if m.group(1) else 1) * Fraction(m.group(2)) / den
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
            return Fraction(m.group(1)) * Fraction(10) ** exp
        if m := _RE_REPEAT.match(s):
            return _repeating(m.group(2), m.group(3), m.group(4), bool(m.group(1)))
        if m := _RE_WITH_UNIT.match(s):
            return Fraction(m.group(1))
    except (ValueError, ZeroDivisionError):
        return None
    return None


def decimals(s: str) -> int | None:
    """Digits after the point of a plain decimal literal ("0.083333" -> 6), else None."""
    m = re.fullmatch(r"-?\d*\.(\d+)", s.strip())
    return len(m.group(1)) if m else None


def _repeating(whole: str, fixed: str, period: str, negative: bool) -> Fraction:
    base = Fraction(int(whole or "0"))
    if fixed:
        base += Fraction(int(fixed), 10 ** len(fixed))
    base += Fraction(int(period), (10 ** len(period) - 1) * 10 ** len(fixed))
    return -base if negative else base


_CHOICE_WITH_VALUE = re.compile(r"^\(\s*([A-Ea-e])\s*\)\s*(.+)$")
_OTHER_CHOICE = re.compile(r"\(\s*[A-Ea-e]\s*\)|(?<![A-Za-z\\])[A-E](?![A-Za-z])")


def stated_choice(s: str) -> str | None:
    """The option letter of ``(B)`` or ``(B) 12`` (a letter with its value, no other letter), else None.

    >>> stated_choice("(B) 12"), stated_choice("B"), stated_choice("(B) or (C)"), stated_choice("(B) A")
    ('B', 'B', None, None)
    """
    letter = choice_letter(s)
    if letter is not None:
        return letter
    m = _CHOICE_WITH_VALUE.match(s.strip())
    if m is None or _OTHER_CHOICE.search(m.group(2)):
        return None
    return m.group(1).upper()


def choice_letter(s: str) -> str | None:
    """A single option letter A-E, from ``B``, ``(B)``, ``b.``; else None."""
    m = _CHOICE.match(s.strip())
    return (m.group(1) or m.group(2)).upper() if m else None
