"""VeRPO dense reward: unit tests weighted by difficulty estimated from the group's pass statistics.

Wang et al., 2026, "VeRPO: Verifiable Dense Reward Policy Optimization for Code Generation": the pass
rate of each test across the group estimates its difficulty; the dense reward is the sum of the
(normalised) weights of the tests a sample passes, combined with the all-pass outcome. Our reading of the
combination: a sample that passes every test gets 1; otherwise ``alpha * dense`` (alpha < 1 keeps every
partial solution strictly below a full one).
"""

from __future__ import annotations


def difficulty_weights(passes: list[list[bool]], eps: float = 0.1) -> list[float]:
    """Normalised weights, one per test: ``(1 - pass_rate_j) + eps``, summing to 1.

    >>> [round(w, 3) for w in difficulty_weights([[True, False], [True, True]])]
    [0.143, 0.857]
    """
    if not passes:
        return []
    m = len(passes[0])
    if m == 0:
        return []
    rates = [sum(1 for row in passes if row[j]) / len(passes) for j in range(m)]
    raw = [(1.0 - r) + eps for r in rates]
    total = sum(raw)
    return [w / total for w in raw]


def verpo_rewards(passes: list[list[bool]], alpha: float = 0.5, eps: float = 0.1) -> list[tuple[float, float]]:
    """(reward, dense) per sample; samples must share one test suite (same number of tests).

    >>> [(round(r, 3), round(d, 3)) for r, d in verpo_rewards([[True, True], [True, False], [False, False]])]
    [(1.0, 1.0), (0.181, 0.361), (0.0, 0.0)]
    """
    weights = difficulty_weights(passes, eps)
    out = []
    for row in passes:
        dense = float(sum(w for w, ok in zip(weights, row) if ok))
        full = bool(row) and all(row)
        out.append((1.0 if full else alpha * dense, dense))
    return out
