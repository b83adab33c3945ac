"""User-code rewards for the server tests (loaded by specs as ``server_rewards:NAME``; PYTHONPATH has this folder)."""

from __future__ import annotations

import time

from rewardsmith.registry import reward


@reward("test_slow_words", source="test helper: word count after a delay", executor="process", replace=True)
def slow_words(completion: str, delay: float = 0.0) -> float:
    """Number of words of the completion, after sleeping ``delay`` seconds (a slow CPU-side reward).

    >>> slow_words("a b c")
    3.0
    """
    if delay:
        time.sleep(delay)
    if "ABSTAIN" in completion:
        return None  # type: ignore[return-value]
    return float(len(completion.split()))


@reward("test_digit_sum", source="test helper: digit sum, CPU-bound", executor="process", replace=True)
def digit_sum(completion: str, rounds: int = 1) -> float:
    """Sum of the digits in the completion, recomputed ``rounds`` times (a CPU-bound stand-in).

    >>> digit_sum("a1b23")
    6.0
    """
    total = 0
    for _ in range(max(1, rounds)):
        total = sum(int(ch) for ch in completion if ch.isdigit())
    return float(total)
