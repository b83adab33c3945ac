"""Small deterministic rewards for the evaluate tests (imported as ``toy_rewards:NAME`` in specs)."""

from __future__ import annotations

from rewardsmith.registry import reward


@reward("toy_length_words", source="test helper: completion length in words", executor="inline", replace=True)
def length_words(completion: str) -> float:
    """Words in the completion.

    >>> length_words("a b c")
    3.0
    """
    return float(len(completion.split()))


@reward("toy_contains_reference", source="test helper: substring match", executor="inline", replace=True)
def contains_reference(completion: str, reference: str | None = None) -> float:
    """1.0 when the reference text occurs in the completion (a deliberately gullible verifier).

    >>> contains_reference("it is 18", "18")
    1.0
    """
    return 1.0 if reference is not None and str(reference) in completion else 0.0


@reward("toy_constant", source="test helper: constant", executor="inline", replace=True)
def constant(completion: str, value: float = 0.5) -> float:
    """Always ``value``.

    >>> constant("x")
    0.5
    """
    return value
