"""Bootstrap confidence intervals for headline numbers (percentile bootstrap over items, via SciPy).

Every headline number of the harness (an accuracy, a precision, an attack success rate) is a statistic of
per-item outcomes; its interval resamples the items with replacement (Efron & Tibshirani, 1993).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its bootstrap interval and the number of items behind it."""

    value: float
    low: float
    high: float
    n: int

    def to_dict(self) -> dict[str, float | int | list[float]]:
        return {"value": self.value, "ci": [self.low, self.high], "n": self.n}


def mean_ci(
    outcomes: Sequence[float] | np.ndarray,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """Mean of per-item outcomes with a percentile bootstrap interval.

    >>> e = mean_ci([1.0, 1.0, 1.0])
    >>> (e.value, e.low, e.high, e.n)
    (1.0, 1.0, 1.0, 3)
    """
    data = np.asarray(outcomes, dtype=float)
    if data.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    value = float(data.mean())
    if data.size == 1 or np.all(data == data[0]):
        return Estimate(value, value, value, int(data.size))
    from scipy.stats import bootstrap

    res = bootstrap(
        (data,), np.mean, n_resamples=resamples, confidence_level=confidence, method="percentile",
        vectorized=True, random_state=np.random.default_rng(seed),
    )
    return Estimate(value, float(res.confidence_interval.low), float(res.confidence_interval.high), int(data.size))


def statistic_ci(
    columns: Sequence[np.ndarray],
    statistic: Callable[..., float],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Estimate:
    """A statistic of paired columns (e.g. precision of (prediction, label)) with a paired percentile bootstrap.

    >>> p = np.array([1, 1, 0, 0]); y = np.array([1, 0, 0, 0])
    >>> statistic_ci([p, y], lambda a, b: float((a == b).mean())).value
    0.75
    """
    cols = [np.asarray(c) for c in columns]
    n = int(cols[0].size)
    value = float(statistic(*cols))
    if n < 2:
        return Estimate(value, value, value, n)
    rng = np.random.default_rng(seed)
    stats = np.empty(resamples)
    for b in range(resamples):
        idx = rng.integers(0, n, n)
        stats[b] = statistic(*(c[idx] for c in cols))
    stats = stats[np.isfinite(stats)]
    if stats.size == 0:
        return Estimate(value, float("nan"), float("nan"), n)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return Estimate(value, float(low), float(high), n)
