"""Group and batch normalisation of rewards into advantages.

- ``grpo``: ``(r - mean_g) / (std_g + eps)`` (Shao et al., "DeepSeekMath", GRPO), std with ``ddof`` (1 as TRL/verl).
- ``drgrpo``: ``r - mean_g`` (Liu et al., "Understanding R1-Zero-Like Training", Dr. GRPO: no std division).
- ``rloo``: ``r_i - mean_{j != i} r_j`` (Ahmadian et al., "Back to Basics: Revisiting REINFORCE Style Optimization").
- ``batch``: ``(r - mean_B) / (std_B + eps)`` over the whole batch (REINFORCE++-style global normalisation).
- ``per_component`` (GDPO-style): each component GRPO-normalised within its group, then the weighted sum,
  optionally batch-normalised after (``then_batch``).

Samples whose value is None (error / abstain) are left out of the statistics and stay None. A group whose
values are all equal (zero variance) gets advantage 0 and is reported, never divided by zero.
"""

from __future__ import annotations

import math
from typing import Union

Values = list[Union[float, None]]


def _index(groups: list[str], values: Values) -> dict[str, list[int]]:
    members: dict[str, list[int]] = {}
    for i, (g, v) in enumerate(zip(groups, values)):
        if v is not None:
            members.setdefault(g, []).append(i)
    return members


def _mean_std(xs: list[float], ddof: int) -> tuple[float, float]:
    n = len(xs)
    mean = sum(xs) / n
    if n - ddof <= 0:
        return mean, 0.0
    var = sum((x - mean) ** 2 for x in xs) / (n - ddof)
    return mean, math.sqrt(var)


def group_normalize(
    values: Values, groups: list[str], kind: str = "grpo", eps: float = 1e-6, ddof: int = 1
) -> tuple[Values, set[str]]:
    """Normalise within groups; returns (advantages, ids of zero-variance groups).

    >>> adv, flat = group_normalize([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], ["a", "a", "a", "a", "b", "b"])
    >>> [round(x, 4) for x in adv], sorted(flat)
    ([0.866, -0.866, -0.866, 0.866, 0.0, 0.0], ['b'])
    >>> group_normalize([3.0, 1.0, 2.0], ["g"] * 3, kind="rloo")[0]
    [1.5, -1.5, 0.0]
    """
    out: Values = [None] * len(values)
    flat: set[str] = set()
    if kind == "batch":
        present = [i for i, v in enumerate(values) if v is not None]
        if not present:
            return out, flat
        xs = [values[i] for i in present]  # type: ignore[misc]
        mean, std = _mean_std(xs, ddof)  # type: ignore[arg-type]
        if std == 0.0:
            flat.add("<batch>")
        for i in present:
            out[i] = 0.0 if std == 0.0 else (values[i] - mean) / (std + eps)  # type: ignore[operator]
        return out, flat
    for g, idx in _index(groups, values).items():
        xs = [values[i] for i in idx]  # type: ignore[misc]
        mean, std = _mean_std(xs, ddof)  # type: ignore[arg-type]
        if std == 0.0:
            flat.add(g)
        n = len(idx)
        for i in idx:
            v = values[i]
            assert v is not None
            if kind == "grpo":
                out[i] = 0.0 if std == 0.0 else (v - mean) / (std + eps)
            elif kind == "drgrpo":
                out[i] = v - mean
            elif kind == "rloo":
                out[i] = 0.0 if n < 2 else (v - (mean * n - v) / (n - 1))
            else:
                raise ValueError(f"unknown normalisation {kind!r}")
    return out, flat
