"""Combine rules: component values -> one reward per sample.

- ``weighted_sum``: sum of weight * value (verifiers' Rubric convention: weights are data).
- ``product``: product of the weighted components' values (conjunction: every part must hold).
- ``min``: the smallest weighted component value (the weakest link bounds the reward).
- ``tiered``: lexicographic ordering as in HERON (Bukharin et al., "Hierarchical Reward Modeling for
  RL with Human-Elicited Reward Orderings" — rank by the first component, break ties with the next, ...),
  turned into a reward by rank within each group: ``rank / (n - 1)`` in [0, 1].

A component with weight 0 is computed and reported but takes no part in the reward.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable, Union

Row = dict[str, Union[float, None]]


def weighted_sum(rows: list[Row], weights: dict[str, float], groups: list[str], **_: Any) -> list[float]:
    """Combine rule.

    >>> weighted_sum([{"a": 1.0, "b": 0.5}], {"a": 1.0, "b": 0.2}, ["g"])
    [1.1]
    """
    return [sum(w * (r.get(k) or 0.0) for k, w in weights.items() if w != 0.0 and r.get(k) is not None) for r in rows]


def product(rows: list[Row], weights: dict[str, float], groups: list[str], **_: Any) -> list[float]:
    """Combine rule.

    >>> product([{"a": 1.0, "b": 0.5}, {"a": 0.0, "b": 1.0}], {"a": 1.0, "b": 1.0}, ["g", "g"])
    [0.5, 0.0]
    """
    out = []
    for r in rows:
        present = [r[k] for k, w in weights.items() if w != 0.0 and r.get(k) is not None]
        out.append(math.prod(present) if present else 0.0)  # type: ignore[arg-type]
    return out


def minimum(rows: list[Row], weights: dict[str, float], groups: list[str], **_: Any) -> list[float]:
    """Combine rule.

    >>> minimum([{"a": 1.0, "b": 0.5}], {"a": 1.0, "b": 1.0}, ["g"])
    [0.5]
    """
    out = []
    for r in rows:
        present = [r[k] for k, w in weights.items() if w != 0.0 and r.get(k) is not None]
        out.append(min(present) if present else 0.0)  # type: ignore[type-var]
    return out


def tiered(
    rows: list[Row], weights: dict[str, float], groups: list[str], order: list[str] | None = None,
    tolerance: float = 1e-9, **_: Any,
) -> list[float]:
    """HERON-style lexicographic rank within each group, scaled to [0, 1]; equal keys share the mean rank.

    >>> tiered([{"c": 1.0, "s": 0.2}, {"c": 1.0, "s": 0.9}, {"c": 0.0, "s": 1.0}],
    ...        {"c": 1.0, "s": 1.0}, ["g", "g", "g"])
    [0.5, 1.0, 0.0]
    """
    keys = order or [k for k, w in weights.items() if w != 0.0]

    def cmp(i: int, j: int) -> int:
        for k in keys:
            a, b = rows[i].get(k), rows[j].get(k)
            a = -math.inf if a is None else a
            b = -math.inf if b is None else b
            if abs(a - b) > tolerance:
                return -1 if a < b else 1
        return 0

    out = [0.0] * len(rows)
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    for idx in members.values():
        ranked = sorted(idx, key=functools.cmp_to_key(cmp))
        n = len(ranked)
        pos = 0
        while pos < n:
            end = pos
            while end + 1 < n and cmp(ranked[end + 1], ranked[pos]) == 0:
                end += 1
            rank = (pos + end) / 2
            for i in ranked[pos : end + 1]:
                out[i] = rank / (n - 1) if n > 1 else 1.0
            pos = end + 1
    return out


COMBINERS: dict[str, Callable[..., list[float]]] = {
    "weighted_sum": weighted_sum,
    "product": product,
    "min": minimum,
    "tiered": tiered,
}
