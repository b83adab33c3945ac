"""Answer equivalence: string and exact-numeric fast paths first, then math-verify/sympy with guards."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any

from rewardsmith.verifiers.math.extract import Fallback, HedgePolicy, extract_answer, find_answer
from rewardsmith.verifiers.math.normalize import (
    choice_letter,
    normalize,
    or_to_list,
    strip_variable,
    strip_variables_in_list,
    to_number,
)
from rewardsmith.verifiers.math.symbolic import (
    inequality_to_interval,
    parse_answer,
    parse_reference,
    symbolic_equal,
    too_complex,
)

#: Default numeric tolerance: exact. A rounded decimal (0.67) is not the fraction it rounds (2/3).
DEFAULT_TOLERANCE = 0.0

_WORDY = re.compile(r"^[A-Za-z][A-Za-z '\-]*$")
_LONG_WORD = re.compile(r"[A-Za-z]{3,}")
_LIST = re.compile(r"^[^,]+(?:,[^,]+)+$")
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_REF_NEEDS_EXTRACTION = re.compile(r"\n|####|\\boxed|\\fbox|(?:^|\n)\s*A:")


@dataclass(frozen=True, slots=True)
class Comparison:
    """Outcome of comparing two answers and which path decided it."""

    equal: bool
    how: str


def _wordy(s: str) -> bool:
    return bool(_WORDY.match(s) and _LONG_WORD.search(s))


def _numbers_equal(a: Fraction, b: Fraction, tolerance: float) -> bool:
    if tolerance <= 0:
        return a == b
    return abs(float(a - b)) <= tolerance * max(1.0, abs(float(b)))


def compare(pred: str, ref: str, tolerance: float = DEFAULT_TOLERANCE) -> Comparison:
    """Compare a predicted answer with a reference answer (both already extracted)."""
    if _PLAIN_NUMBER.fullmatch(pred) and _PLAIN_NUMBER.fullmatch(ref):  # the GSM8K case: no normalisation needed
        return Comparison(_numbers_equal(Fraction(pred), Fraction(ref), tolerance), "numeric")
    p, r = normalize(pred), normalize_reference(ref)
    if not p:
        return Comparison(False, "empty answer")
    if p == r:
        return Comparison(True, "string")
    p, r = strip_variables_in_list(p), strip_variables_in_list(r)
    if "=" not in r:
        p = strip_variable(p)
    if "=" not in p:
        r = strip_variable(r)
    if p == r:
        return Comparison(True, "string")
    rn = to_number(r)
    pn = to_number(p)
    if rn is not None and pn is not None:
        return Comparison(_numbers_equal(pn, rn, tolerance), "numeric")
    letter = choice_letter(r)
    if letter is not None:
        return Comparison(choice_letter(p) == letter, "choice")
    if _wordy(r):
        return Comparison(p.casefold() == r.casefold(), "text")
    if rn is not None and _LIST.match(p):
        return Comparison(False, "list for a single number")
    p, r = inequality_to_interval(p), inequality_to_interval(r)
    why = too_complex(p)
    if why is not None:
        return Comparison(False, f"not compared: {why}")
    if tolerance > 0:
        pv = float(pn) if pn is not None else _numeric_value(parse_answer(p))
        rv = float(rn) if rn is not None else _numeric_value(parse_reference(r))
        if pv is not None and rv is not None:
            return Comparison(abs(pv - rv) <= tolerance * max(1.0, abs(rv)), "numeric (sympy)")
    return Comparison(symbolic_equal(p, r), "symbolic")


def _numeric_value(parsed: list[Any]) -> float | None:
    for item in parsed:
        if isinstance(item, str):
            continue
        try:
            return float(item)
        except (TypeError, ValueError):
            continue
    return None


def is_equiv(pred: str, ref: str, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Whether two extracted answers are mathematically the same.

    Fast paths (normalised strings, exact fractions) decide most pairs; the rest go to math-verify.
    ``tolerance`` is relative (``|p - r| <= tolerance * max(1, |r|)``); the default 0 is exact.

    >>> is_equiv(r"\\frac{3}{5}", "0.6"), is_equiv("0.67", r"\\frac{2}{3}"), is_equiv("2,500", "2500")
    (True, False, True)
    >>> is_equiv("0.67", r"\\frac{2}{3}", tolerance=0.01)
    True
    """
    return compare(pred, ref, tolerance).equal


def reference_answer(reference: Any) -> str | None:
    """The answer a reference states: a number, a short answer, or a worked solution ending in
    ``#### N`` / ``A: N`` / ``\\boxed{}`` (then extracted). None when there is nothing to compare with.

    >>> reference_answer("She makes 9 * 2 = $18.\\n#### 18"), reference_answer(18), reference_answer(2.5)
    ('18', '18', '2.5')
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
    if _REF_NEEDS_EXTRACTION.search(text):
        return extract_answer(text, fallback="none")
    return text



@lru_cache(maxsize=16384)
def normalize_reference(ref: str) -> str:
    """``normalize`` for references, cached (the same reference serves many samples)."""
    return normalize(ref)


@lru_cache(maxsize=16384)
def check_reference(ref: str) -> str | None:
    """Why a reference answer cannot be parsed, or None when it can (cached per reference)."""
    r = strip_variable(normalize_reference(ref))
    if not r:
        return "reference is empty after normalisation"
    if to_number(r) is not None or choice_letter(r) is not None or _wordy(r):
        return None
    r = inequality_to_interval(r)
    why = too_complex(r)
    if why is not None:
        return f"reference too complex ({why})"
    if all(isinstance(x, str) for x in parse_reference(r)):  # math-verify's fallback keeps unparsed text
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
) -> Verification:
    refs = reference if isinstance(reference, (list, tuple)) else [reference]
    answers = [a for a in (reference_answer(x) for x in refs) if a is not None]
    if not answers:
        return Verification(None, None, None, "no usable reference answer")
    problems = [check_reference(a) for a in answers]
    usable = [a for a, why in zip(answers, problems) if why is None]
    if not usable:
        return Verification(None, None, answers[0], problems[0] or "reference could not be parsed")
    found = find_answer(completion, pattern=pattern, hedge=hedge, fallback=fallback)
    if found.answer is None:
        why = "hedged between different answers" if found.hedged else "no final answer found"
        return Verification(False, None, usable[0], why)
    answer = found.answer
    if found.hedged:  # "2 or 3" inside one box: a solution set if the reference lists several values, else a hedge
        usable = [r for r in usable if _LIST.match(strip_variables_in_list(normalize_reference(r)))]
        if not usable:
            return Verification(False, answer, answers[0], "hedged between different answers")
        answer = or_to_list(strip_variables_in_list(normalize(answer)))
    for ref in usable:
        c = compare(answer, ref, tolerance)
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
    list of acceptable answers.

    >>> verify(r"Therefore the answer is $\\boxed{\\dfrac{9}{12}}$.", r"\\frac34")
    True
    >>> verify("so 13 * 2 = 26\\nA: 26", "Janet sells 9 eggs...\\nA: 18"), verify("A: 3", "")
    (False, None)
    """
    return verify_detailed(completion, reference, tolerance, pattern, hedge, fallback).correct
