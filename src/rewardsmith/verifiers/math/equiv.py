"""Answer equivalence: string and exact-numeric fast paths first, lists and labels by structure, then the
killable CAS (math-verify in a worker process) for what is left.

Lists are compared as lists: a bare list ("1, 2", several boxes, "3 \\text{ or } 4") or a set is unordered
(a set of solutions); labelled values (``a=1, b=2``) match by label, or in order against plain values.
Several different answers where the reference has one value (a list, a set, ``\\pm``, an interval holding
it) are a hedge and never equal.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from rewardsmith.verifiers.math import cas
from rewardsmith.verifiers.math.extract import Fallback, HedgePolicy, extract_answer, find_answer
from rewardsmith.verifiers.math.normalize import (
    choice_letter,
    decimal_comma,
    decimals,
    normalize,
    split_label,
    stated_choice,
    strip_variable,
    to_number,
)
from rewardsmith.verifiers.math.relations import inequality_to_interval

#: Default numeric tolerance: exact. A rounded decimal (0.67) is not the fraction it rounds (2/3); a decimal
#: given to 6 or more places that agrees at 6 places (0.0833333 for 1/12) is, as in math-verify.
DEFAULT_TOLERANCE = 0.0
#: Seconds of CAS work one verification may take; past it the result is an error (timeout), never a zero.
DEFAULT_CAS_SECONDS = 5.0
#: Most elements compared in a list answer.
MAX_ELEMENTS = 64
#: Longest normalised answer handed to the CAS (a longer one is "not an answer": ok 0 with that reason).
MAX_CAS_CHARS = 1000

_WORDY = re.compile(r"^[A-Za-z][A-Za-z '\-]*$")
_LONG_WORD = re.compile(r"[A-Za-z]{3,}")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_REF_NEEDS_EXTRACTION = re.compile(r"\n|####|\\boxed|\\fbox|(?:^|\n)\s*A:|final answer|answer is", re.IGNORECASE)
#: A word of prose (not a function name) in a plain-text answer: "10+John's age".
_PROSE_WORD = re.compile(
    r"(?<![\\A-Za-z])(?!(?:sqrt|frac|dfrac|times|cdot|infty|floor|ceil|binom|choose|sinh|cosh|tanh|arcsin|arccos"
    r"|arctan|mod|pmod|log)(?![A-Za-z]))[A-Za-z]{4,}"
)
_PM = re.compile(r"\\pm|\\mp|±")
_BIG_EXPONENT = re.compile(r"\^\s*\{?\s*\(?\s*-?\d{7,}|\d{7,}\s*!|\^\s*\{?[^{}]*\^\s*\{?[^{}]*\^")

Item = tuple[str | None, str]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Outcome of comparing two answers and which path decided it."""

    equal: bool
    how: str


def _wordy(s: str) -> bool:
    return bool(_WORDY.match(s) and _LONG_WORD.search(s))


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _numbers_equal(p: str, r: str, pn: Fraction, rn: Fraction, tolerance: float) -> bool:
    if pn == rn:
        return True
    if tolerance > 0:
        return abs(float(pn - rn)) <= tolerance * max(1.0, abs(float(rn)))
    dp, dr = decimals(p), decimals(r)
    if (dp is None) == (dr is None):  # both exact, or both decimals: exact comparison only
        return False
    places = dp if dp is not None else dr
    assert places is not None
    return places >= 6 and round(pn, 6) == round(rn, 6)  # math-verify's float rounding, for long decimals only


def _split_top(s: str, seps: str) -> list[str]:
    """Split at ``seps`` outside brackets and braces."""
    out, depth, start = [], 0, 0
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s) and s[i + 1] in "{}":
            depth += 1 if s[i + 1] == "{" else -1
            i += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c in seps and depth == 0:
            out.append(s[start:i])
            start = i + 1
        i += 1
    out.append(s[start:])
    return [p.strip() for p in out if p.strip()]


def _unwrap_set(s: str) -> str | None:
    """The inside of a set ``\\{1, 2\\}`` / ``{1, 2}``, or None."""
    t = s.strip()
    if t.startswith("\\{") and t.endswith("\\}"):
        inner = t[2:-2]
    elif t.startswith("{") and t.endswith("}"):
        inner = t[1:-1]
    else:
        return None
    return inner if _balanced(inner) else None  # "{a}{b}" is not one set


def elements(s: str) -> list[Item]:
    """A normalised answer as (label, value) items: a list or set splits, ``\\pm`` gives two values, a label
    shared by the whole list ("x = 1, 2" or "x=1, x=2") is dropped.

    >>> elements(r"\\{1, 2\\}"), elements("x=2, x=-3"), elements(r"1 \\pm \\sqrt{2}"), elements("(1, 2)")
    ([(None, '1'), (None, '2')], [(None, '2'), (None, '-3')], [(None, '1 + \\\\sqrt{2}'), (None, '1 - \\\\sqrt{2}')], [(None, '(1, 2)')])
    >>> elements("a_3 = 2, a_{37} = 19"), elements("p=5,q=2;p=7,q=2")
    ([('a_3', '2'), ('a_37', '19')], [(None, '(5,2)'), (None, '(7,2)')])
    """
    inner = _unwrap_set(s)
    if inner is not None and _split_top(inner, ",;"):
        s = inner
    groups = _split_top(s, ";")
    if len(groups) > 1 and all(len(_split_top(g, ",")) > 1 for g in groups):  # "p=5,q=2;p=7,q=2"
        tuples = []
        for g in groups:
            vals = [split_label(x) for x in _split_top(g, ",")]
            if not all(lab for lab, _ in vals):
                break
            tuples.append((None, "(" + ",".join(v for _, v in vals) + ")"))
        else:
            return tuples
    parts = _split_top(s, ",;")[: MAX_ELEMENTS + 1]
    items: list[Item] = [split_label(p) if "=" in p else (None, strip_variable(p)) for p in parts]
    if len(items) > 1 and items[0][0] and all(lab is None for lab, _ in items[1:]):  # "n = 1, 2, 3"
        items = [(None, v) for _, v in items]
    labels = {lab for lab, _ in items}
    if len(items) > 1 and None not in labels and len(labels) == 1:  # roots: x=1, x=2
        items = [(None, v) for _, v in items]
    out: list[Item] = []
    for lab, v in items:
        if len(_PM.findall(v)) == 1:
            plus, minus = _PM.sub("+", v), _PM.sub("-", v)
            out += [(lab, re.sub(r"^\+\s*", "", plus)), (lab, re.sub(r"^-\s*", "-", minus))]
        else:
            out.append((lab, v))
    return out


def _dedupe(items: list[Item]) -> list[Item]:
    """Drop repeats: the same text, or the same exact number ("\\frac{1}{2} or equivalently 0.5" is one answer)."""
    seen: set[tuple[str | None, str | Fraction]] = set()
    out = []
    for lab, v in items:
        number = to_number(v)
        key = (lab, number if number is not None else _squash(v))
        if key not in seen:
            seen.add(key)
            out.append((lab, v))
    return out


def _values(p: str, r: str, tolerance: float, deadline: float) -> Comparison:
    """Compare two single values (no top-level list)."""
    if _squash(p) == _squash(r):
        return Comparison(True, "string")
    pn, rn = to_number(p), to_number(r)
    if pn is not None and rn is not None:
        return Comparison(_numbers_equal(p, r, pn, rn, tolerance), "numeric")
    letter = choice_letter(r)
    if letter is not None:
        return Comparison(stated_choice(p) == letter, "choice")
    if _wordy(r):
        return Comparison(p.casefold() == r.casefold(), "text")
    if _squash(inequality_to_interval(p)) == _squash(inequality_to_interval(r)):
        return Comparison(True, "string (interval)")
    if len(p) > MAX_CAS_CHARS:
        return Comparison(False, f"answer longer than {MAX_CAS_CHARS} characters")
    if rn is not None and "\\" not in p and _PROSE_WORD.search(p):
        return Comparison(False, "answer has words; reference is a number")  # "10+John's age" for 50: no CAS
    if _BIG_EXPONENT.search(p) and not _BIG_EXPONENT.search(r) and to_number(r) is not None:
        # the policy's own doing, decided by the text alone (not by load): a zero, so that an unevaluable
        # answer cannot turn a wrong answer into a masked error
        return Comparison(False, "answer has an exponent or factorial too large to evaluate; reference is a number")
    if _BIG_EXPONENT.search(p) or _BIG_EXPONENT.search(r):
        raise cas.CasTimeout("not compared: an exponent or factorial too large to evaluate")
    equal, how = cas.equal(p, r, deadline, tolerance)
    return Comparison(equal, how)


def _full(item: Item) -> str:
    lab, v = item
    return f"{lab}={v}" if lab else v


def _items(p: Item, r: Item, tolerance: float, deadline: float) -> Comparison:
    if "=" in p[1] or "=" in r[1]:  # an equation or a chain: compared whole, as relations
        return _values(_full(p), _full(r), tolerance, deadline)
    if p[0] and r[0] and p[0] != r[0]:
        return Comparison(False, f"answer names {p[0]}, reference {r[0]}")
    return _values(p[1], r[1], tolerance, deadline)


def _lists(pl: list[Item], rl: list[Item], tolerance: float, deadline: float) -> Comparison:
    if len(pl) > MAX_ELEMENTS or len(rl) > MAX_ELEMENTS:
        return Comparison(False, f"more than {MAX_ELEMENTS} answers")
    pl, rl = _dedupe(pl), _dedupe(rl)
    if len(rl) == 1 and len(pl) == 1:
        return _items(pl[0], rl[0], tolerance, deadline)
    if len(rl) == 1:
        return Comparison(False, f"hedge: {len(pl)} different answers for one")
    if len(pl) != len(rl):
        return Comparison(False, f"{len(pl)} answers for {len(rl)}")
    p_keyed = all(lab for lab, _ in pl) and len({lab for lab, _ in pl}) == len(pl)
    r_keyed = all(lab for lab, _ in rl) and len({lab for lab, _ in rl}) == len(rl)
    if p_keyed and r_keyed:
        by_label = dict(pl)
        if set(by_label) != {lab for lab, _ in rl}:
            return Comparison(False, "different labels")
        for lab, v in rl:
            c = _values(by_label[lab], v, tolerance, deadline)  # type: ignore[index]
            if not c.equal:
                return Comparison(False, f"{lab}: {c.how}")
        return Comparison(True, "labelled list")
    if p_keyed or r_keyed:  # labels on one side only: the values in order
        return _ordered([v for _, v in pl], [v for _, v in rl], tolerance, deadline)
    left = list(pl)
    for r in rl:  # a set of solutions: each reference value matched by its own answer value
        hit = next((i for i, p in enumerate(left) if _squash(_full(p)) == _squash(_full(r))), None)
        if hit is None:
            hit = next((i for i, p in enumerate(left) if _items(p, r, tolerance, deadline).equal), None)
        if hit is None:
            return Comparison(False, "unordered list: a value has no match")
        left.pop(hit)
    return Comparison(True, "unordered list")


def compare(
    pred: str, ref: str, tolerance: float = DEFAULT_TOLERANCE, deadline: float | None = None
) -> Comparison:
    """Compare a predicted answer with a reference answer (both already extracted).

    ``deadline`` (``time.monotonic()``) bounds the CAS work; past it ``cas.CasTimeout`` is raised."""
    if deadline is None:
        deadline = time.monotonic() + DEFAULT_CAS_SECONDS
    if _PLAIN_NUMBER.fullmatch(pred) and _PLAIN_NUMBER.fullmatch(ref):  # the GSM8K case: no normalisation needed
        return Comparison(_numbers_equal(pred, ref, Fraction(pred), Fraction(ref), tolerance), "numeric")
    p, r = normalize(pred), normalize_reference(ref)
    if not p:
        return Comparison(False, "empty answer")
    if _squash(p) == _squash(r):
        return Comparison(True, "string")
    if to_number(r) is not None and (dc := decimal_comma(p)) is not None:
        p = dc
    elif to_number(p) is not None and (dc := decimal_comma(r)) is not None:
        r = dc
    pl, rl = elements(p), elements(r)
    if len(rl) == 1 and len(pl) > 1 and not p.lstrip().startswith("\\{"):
        inner = _tuple_values(rl[0][1])  # "1, 3" or "{1,3}" for the pair "(1,3)": its values in order
        if inner is not None and len(inner) == len(pl):
            return _ordered([v for _, v in pl], inner, tolerance, deadline)
    return _lists(pl, rl, tolerance, deadline)


def _tuple_values(s: str) -> list[str] | None:
    t = s.strip()
    if not (t.startswith("(") and t.endswith(")")):
        return None
    parts = _split_top(t[1:-1], ",")
    return parts if len(parts) >= 2 and _balanced(t[1:-1]) else None


def _balanced(s: str) -> bool:
    depth = 0
    for c in s:
        depth += c in "([{"
        depth -= c in ")]}"
        if depth < 0:
            return False
    return depth == 0


def _ordered(pv: list[str], rv: list[str], tolerance: float, deadline: float) -> Comparison:
    for a, b in zip(pv, rv):
        c = _values(a, b, tolerance, deadline)
        if not c.equal:
            return Comparison(False, f"ordered list: {c.how}")
    return Comparison(True, "ordered list")


def _quick(pred: str, ref: str, tolerance: float) -> Comparison | None:
    """Two plain numbers (decided either way), or the same normalised text (equal); else None."""
    if _PLAIN_NUMBER.fullmatch(pred) and _PLAIN_NUMBER.fullmatch(ref):
        if "." not in pred and "." not in ref:
            return Comparison(int(pred) == int(ref), "numeric")
        return Comparison(_numbers_equal(pred, ref, Fraction(pred), Fraction(ref), tolerance), "numeric")
    p = normalize(pred)
    return Comparison(True, "string") if p and _squash(p) == _squash(normalize_reference(ref)) else None


def is_equiv(pred: str, ref: str, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Whether two extracted answers are mathematically the same.

    Fast paths (normalised strings, exact fractions, list structure) decide most pairs; the rest go to the
    CAS. ``tolerance`` is relative (``|p - r| <= tolerance * max(1, |r|)``); the default 0 is exact.

    >>> is_equiv(r"\\frac{3}{5}", "0.6"), is_equiv("0.67", r"\\frac{2}{3}"), is_equiv("2,500", "2500")
    (True, False, True)
    >>> is_equiv("0.67", r"\\frac{2}{3}", tolerance=0.01), is_equiv("1, 2, 5", "3, 4, 5"), is_equiv("(1,500)", "1500")
    (True, False, False)
    """
    return compare(pred, ref, tolerance).equal


def reference_answer(reference: Any) -> str | None:
    """The answer a reference states: a number, a short answer, or a worked solution ending in
    ``#### N`` / ``A: N`` / ``\\boxed{}`` / "Final Answer: ..." (then extracted; several boxes joined by
    "and" are a list). None when there is nothing to compare with.

    >>> reference_answer("She makes 9 * 2 = $18.\\n#### 18"), reference_answer(18), reference_answer(2.5)
    ('18', '18', '2.5')
    >>> reference_answer(r"\\(\\boxed{1}\\) and \\(\\boxed{-2}\\).")
    '1, -2'
    """
    if reference is None or isinstance(reference, bool):
        return None
    if isinstance(reference, int):
        return str(reference)
    if isinstance(reference, float):
        return str(int(reference)) if reference.is_integer() else repr(reference)
    if isinstance(reference, dict):
        for key in ("answer", "final_answer", "solution"):
            if key in reference:
                return reference_answer(reference[key])
        return None
    if not isinstance(reference, str):
        return None
    text = reference.strip()
    if not text:
        return None
    if _REF_NEEDS_EXTRACTION.search(text) or len(text) > 300:
        return extract_answer(text, fallback="none")
    return text


@lru_cache(maxsize=16384)
def normalize_reference(ref: str) -> str:
    """``normalize`` for references, cached (the same reference serves many samples)."""
    return normalize(ref)


def _plain(v: str) -> bool:
    return to_number(v) is not None or choice_letter(v) is not None or _wordy(v)


_PARSED: dict[str, bool] = {}


def check_reference(ref: str, deadline: float | None = None) -> str | None:
    """Why a reference answer cannot be used, or None when it can (each value is parsed once per process)."""
    r = normalize_reference(ref)
    if not r:
        return "reference is empty after normalisation"
    for _, v in elements(r):
        if _plain(v):
            continue
        if len(v) > MAX_CAS_CHARS:
            return f"reference longer than {MAX_CAS_CHARS} characters"
        if v not in _PARSED:
            if len(_PARSED) > 16384:
                _PARSED.clear()
            _PARSED[v] = cas.parses(v, deadline if deadline is not None else time.monotonic() + DEFAULT_CAS_SECONDS)
        if not _PARSED[v]:
            return f"reference {ref[:80]!r} could not be parsed"
    return None


@dataclass(frozen=True, slots=True)
class Verification:
    """Full outcome of ``verify_detailed``: ``correct`` is None when the reference is unusable."""

    correct: bool | None
    answer: str | None
    reference: str | None
    reason: str


def verify_detailed(
    completion: str,
    reference: Any,
    tolerance: float = DEFAULT_TOLERANCE,
    pattern: str | None = None,
    hedge: HedgePolicy = "reject",
    fallback: Fallback = "last_number",
    cas_seconds: float = DEFAULT_CAS_SECONDS,
) -> Verification:
    """``verify`` with the extracted answer, the reference used and the reason. Raises ``cas.CasTimeout``
    when the CAS cannot decide within ``cas_seconds`` (not counting a CAS worker's start-up) and
    ``cas.CasError`` when it fails."""
    cas.begin()
    try:
        return _verify(completion, reference, tolerance, pattern, hedge, fallback, time.monotonic() + cas_seconds)
    finally:
        cas.end()


def _verify(
    completion: str,
    reference: Any,
    tolerance: float,
    pattern: str | None,
    hedge: HedgePolicy,
    fallback: Fallback,
    deadline: float,
) -> Verification:
    refs = reference if isinstance(reference, (list, tuple)) else [reference]
    answers = [a for a in (reference_answer(x) for x in refs) if a is not None]
    if not answers:
        return Verification(None, None, None, "no usable reference answer")
    found = find_answer(completion, pattern=pattern, hedge=hedge, fallback=fallback)
    if found.answer is not None:  # plain numbers, or the same text: decided without parsing the reference
        quick = [(a, _quick(found.answer, a, tolerance)) for a in answers]
        hit = next(((a, c) for a, c in quick if c is not None and c.equal), None)
        if hit is not None:
            return Verification(True, found.answer, hit[0], f"equal ({hit[1].how}; answer via {found.how})")
        if all(c is not None for _, c in quick):
            how = quick[0][1].how if quick[0][1] is not None else "numeric"
            return Verification(False, found.answer, answers[0], f"not equal ({how}; answer via {found.how})")
    problems = [check_reference(a, deadline) for a in answers]
    usable = [a for a, why in zip(answers, problems) if why is None]
    if not usable:
        return Verification(None, None, answers[0], problems[0] or "reference could not be parsed")
    if found.answer is None:
        why = "hedged between different answers" if found.hedged else "no final answer found"
        return Verification(False, None, usable[0], why)
    c = Comparison(False, "not compared")
    for ref in usable:
        c = compare(found.answer, ref, tolerance, deadline)
        if c.equal:
            return Verification(True, found.answer, ref, f"equal ({c.how}; answer via {found.how})")
    return Verification(False, found.answer, usable[0], f"not equal ({c.how}; answer via {found.how})")


def verify(
    completion: str,
    reference: Any,
    tolerance: float = DEFAULT_TOLERANCE,
    pattern: str | None = None,
    hedge: HedgePolicy = "reject",
    fallback: Fallback = "last_number",
) -> bool | None:
    """Is the completion's final answer equal to the reference? None when the reference is unusable.

    ``reference`` is a number, an answer string, a worked solution (``#### N`` / ``A: N`` / boxed), or a
    list of acceptable answers. Raises ``cas.CasTimeout`` when the comparison cannot finish in time.

    >>> verify(r"Therefore the answer is $\\boxed{\\dfrac{9}{12}}$.", r"\\frac34")
    True
    >>> verify("so 13 * 2 = 26\\nA: 26", "Janet sells 9 eggs...\\nA: 18"), verify("A: 3", "")
    (False, None)
    """
    return verify_detailed(completion, reference, tolerance, pattern, hedge, fallback).correct
