"""Expected values for the integration tests, computed by hand (importable under a unique name)."""

from __future__ import annotations

MAX_LEN, CACHE = 400, 200  # overlong_penalty params (chars) used by SERVER_SPEC

SERVER_SPEC = {
    "name": "integration",
    "components": [
        {"name": "correct", "reward": "math_equiv", "weight": 1.0},
        {"name": "overlong", "reward": "overlong_penalty", "weight": 0.5,
         "params": {"max_length": MAX_LEN, "cache": CACHE, "unit": "chars"}},
        {"name": "flaky", "reward": "rs_integration_rewards:fails_on_odd", "weight": 0.25},
    ],
}


def overlong(n_chars: int) -> float:
    """DAPO soft overlong punishment by hand."""
    if n_chars <= MAX_LEN - CACHE:
        return 0.0
    if n_chars <= MAX_LEN:
        return (MAX_LEN - CACHE - n_chars) / CACHE
    return -1.0


def expected_score(is_correct: bool, response: str, idx: int) -> float | None:
    """SERVER_SPEC's reward by hand; None where ``fails_on_odd`` errors."""
    if idx % 2:
        return None
    return 1.0 * float(is_correct) + 0.5 * overlong(len(response)) + 0.25 * (len(response) % 7) / 7


