"""The ``math_equiv`` reward: 1 when the final answer equals the reference, 0 when not (a hedge is not equal),
abstain when the reference itself cannot be parsed, error when the comparison cannot finish in time."""

from __future__ import annotations

from typing import Any

from rewardsmith.registry import reward
from rewardsmith.types import RewardResult
from rewardsmith.verifiers.math.cas import CasError, CasTimeout
from rewardsmith.verifiers.math.equiv import DEFAULT_CAS_SECONDS, DEFAULT_TOLERANCE, verify_detailed
from rewardsmith.verifiers.math.extract import Fallback, HedgePolicy


@reward(
    "math_equiv",
    source="Hendrycks et al., 2021 (MATH, boxed answers); Cobbe et al., 2021 (GSM8K); Math-Verify (Hugging Face)",
    executor="process",
    timeout=30.0,  # a fresh CAS worker imports sympy first (seconds on a loaded machine); cas_seconds bounds the work
)
def math_equiv(
    completion: str,
    reference: Any,
    tolerance: float = DEFAULT_TOLERANCE,
    pattern: str | None = None,
    hedge: HedgePolicy = "reject",
    fallback: Fallback = "last_number",
    cas_seconds: float = DEFAULT_CAS_SECONDS,
) -> RewardResult:
    """Math answer correctness (RLVR): extract the final answer (last group of ``\\boxed{}``/``\\fbox{}``,
    ``#### N``, "A: N", "Final Answer:", "The answer is", ``pattern``, else the last complete expression, never
    a digit from inside one; a completion that is only an answer is taken whole) and compare it with the
    reference by exact numbers, normalised strings, list structure and symbolic equivalence in a killable CAS
    worker (MATH, Hendrycks et al. 2021; GSM8K, Cobbe et al. 2021; Math-Verify). Garbage or a hedge (several
    different answers where the reference has one: a list, "3 or 4", boxes with "maybe" between them, ``\\pm``,
    a set or interval holding the value) is ok with 0; an unparseable reference abstains; a symbolic
    comparison that cannot finish within ``cas_seconds`` is an error (timeout), never a zero, in any thread,
    event loop or worker process (except an exponent tower written for a plain-number reference: a zero).

    >>> math_equiv(r"Hence $\\boxed{0.\\overline{6}}$.", r"\\frac{2}{3}").value
    1.0
    >>> math_equiv("so 13 * 2 = 26\\nA: 26", "18").value, math_equiv("A: 3", None).status.value
    (0.0, 'abstain')
    >>> math_equiv("It is 3 or 4.", "4").value, math_equiv(r"$\\boxed{\\pm 2}$", "2").value
    (0.0, 0.0)
    """
    try:
        v = verify_detailed(completion, reference, tolerance, pattern, hedge, fallback, cas_seconds)
    except CasTimeout as exc:
        return RewardResult.error(f"timeout: {exc} (cas_seconds={cas_seconds:g})")
    except CasError as exc:
        return RewardResult.error(f"CAS failed: {exc}")
    if v.correct is None:
        return RewardResult.abstain(v.reason)
    info = {"answer": v.answer[:200]} if v.answer is not None else {}
    return RewardResult.ok(1.0 if v.correct else 0.0, reason=v.reason, info=info)
