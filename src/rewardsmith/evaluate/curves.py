"""Best-of-N curves: how the proxy reward and a gold reward of the proxy's pick move as N grows.

Over-optimisation (Gao, Schulman & Hilton, 2023, "Scaling Laws for Reward Model Overoptimization") shows
as a proxy curve that keeps rising while the gold curve flattens or falls. Values are exact expectations
over a uniformly random N-subset of each group (no sampling noise): sorting a group by proxy, the top
proxy block b is the subset's best with probability [C(at_or_below_b, N) - C(below_b, N)] / C(n, N);
ties in the proxy are broken uniformly, so the pick's gold is the block's mean gold.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from math import comb
from typing import Sequence


@dataclass(frozen=True, slots=True)
class BonPoint:
    n: int
    proxy: float
    gold: float
    groups: int


def best_of_n_expectation(proxy: Sequence[float], gold: Sequence[float], n: int) -> tuple[float, float]:
    """Expected (proxy, gold) of the proxy-best response among a random n-subset of one group.

    >>> best_of_n_expectation([0.1, 0.9, 0.5], [0.0, 1.0, 0.0], 1)
    (0.5, 0.3333333333333333)
    >>> best_of_n_expectation([0.1, 0.9, 0.5], [0.0, 1.0, 0.0], 2)   # the 0.9 is in 2 of the 3 pairs
    (0.7666666666666666, 0.6666666666666666)
    >>> best_of_n_expectation([1.0, 1.0, 0.0], [1.0, 0.0, 0.0], 3)  # tie broken at random
    (1.0, 0.5)
    """
    size = len(proxy)
    if not 1 <= n <= size:
        raise ValueError(f"n must be in 1..{size}")
    order = sorted(zip(proxy, gold), key=lambda t: t[0])
    total = comb(size, n)
    below = 0
    e_proxy = e_gold = 0.0
    for value, block in groupby(order, key=lambda t: t[0]):
        members = list(block)
        upto = below + len(members)
        p = (comb(upto, n) - comb(below, n)) / total
        e_proxy += p * value
        e_gold += p * sum(g for _, g in members) / len(members)
        below = upto
    return e_proxy, e_gold


def best_of_n_curve(groups: Sequence[tuple[Sequence[float], Sequence[float]]], max_n: int | None = None) -> list[BonPoint]:
    """Mean over groups of the expected proxy and gold of the best-of-N pick, for N = 1 .. max group size.
    A group counts for N only when it has at least N scored responses.

    >>> [(p.n, round(p.gold, 3)) for p in best_of_n_curve([([0.1, 0.9], [0.0, 1.0]), ([0.3], [1.0])])]
    [(1, 0.75), (2, 1.0)]
    """
    largest = max((len(p) for p, _ in groups), default=0)
    top = min(largest, max_n) if max_n else largest
    out: list[BonPoint] = []
    for n in range(1, top + 1):
        vals = [best_of_n_expectation(p, g, n) for p, g in groups if len(p) >= n]
        if vals:
            out.append(BonPoint(n, sum(v[0] for v in vals) / len(vals), sum(v[1] for v in vals) / len(vals), len(vals)))
    return out
