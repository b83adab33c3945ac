"""Statistics of a batch of scored rows (contract output rows): columns, correlations, group spread, lengths.

Shared by the report and the training monitors.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Sequence

import numpy as np

from rewardsmith.types import completion_text, row_group_key


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(v) else None


def reward_column(rows: Sequence[dict[str, Any]]) -> list[float | None]:
    """The final reward of each row, None unless status is ok.

    >>> reward_column([{"reward": 1.0, "status": "ok"}, {"reward": None, "status": "error"}])
    [1.0, None]
    """
    return [_num(r.get("reward")) if r.get("status", "ok") == "ok" else None for r in rows]


def component_names(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Component names in first-seen order."""
    seen: dict[str, None] = {}
    for r in rows:
        for k in (r.get("components") or {}):
            seen.setdefault(k, None)
    return list(seen)


def component_column(rows: Sequence[dict[str, Any]], name: str) -> list[float | None]:
    return [_num((r.get("components") or {}).get(name)) for r in rows]


def status_shares(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Share of ok / abstain / error rows.

    >>> status_shares([{"status": "ok"}, {"status": "ok"}, {"status": "error"}, {"status": "abstain"}])
    {'ok': 0.5, 'abstain': 0.25, 'error': 0.25}
    """
    n = max(len(rows), 1)
    out = {"ok": 0, "abstain": 0, "error": 0}
    for r in rows:
        st = str(r.get("status", "error"))
        out[st] = out.get(st, 0) + 1
    return {k: v / n for k, v in out.items()}


def correlation_matrix(columns: dict[str, list[float | None]]) -> list[list[float]]:
    """Pearson correlation of each pair of columns over rows where both are present (nan when undefined).

    >>> m = correlation_matrix({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 6.5], "c": [3.0, 2.0, 1.0]})
    >>> [round(v, 3) for v in m[0]]
    [1.0, 0.998, -1.0]
    """
    names = list(columns)
    out: list[list[float]] = []
    for a in names:
        row: list[float] = []
        for b in names:
            pairs = [(x, y) for x, y in zip(columns[a], columns[b]) if x is not None and y is not None]
            if len(pairs) < 2:
                row.append(float("nan"))
                continue
            xs = np.array([p[0] for p in pairs])
            ys = np.array([p[1] for p in pairs])
            if xs.std() == 0 or ys.std() == 0:
                row.append(1.0 if a == b and xs.std() == 0 else float("nan"))
                continue
            row.append(float(np.corrcoef(xs, ys)[0, 1]))
        out.append(row)
    return out


def group_of(row: dict[str, Any]) -> str:
    """The row's group: its ``group`` field, else its prompt text and images (the engine's rule)."""
    return row_group_key(row)


def group_values(rows: Sequence[dict[str, Any]], values: Sequence[float | None]) -> dict[str, list[float]]:
    """Present values per group, in row order."""
    out: dict[str, list[float]] = defaultdict(list)
    for r, v in zip(rows, values):
        if v is not None:
            out[group_of(r)].append(v)
    return dict(out)


def group_stds(rows: Sequence[dict[str, Any]], values: Sequence[float | None]) -> dict[str, float]:
    """Population std of the reward within each group of 2+ scored rows.

    >>> group_stds([{"group": "a"}, {"group": "a"}, {"group": "b"}, {"group": "b"}], [1.0, 1.0, 0.0, 1.0])
    {'a': 0.0, 'b': 0.5}
    """
    return {g: float(np.std(v)) for g, v in group_values(rows, values).items() if len(v) >= 2}


def zero_variance_share(rows: Sequence[dict[str, Any]], values: Sequence[float | None], eps: float = 1e-12) -> float:
    """Share of groups whose rewards are all equal (GRPO learns nothing from them; DAPO's dynamic sampling).

    >>> zero_variance_share([{"group": "a"}, {"group": "a"}, {"group": "b"}, {"group": "b"}], [1.0, 1.0, 0.0, 1.0])
    0.5
    """
    stds = group_stds(rows, values)
    return float(np.mean([s <= eps for s in stds.values()])) if stds else float("nan")


def completion_length(row: dict[str, Any], unit: str = "words") -> int:
    """Completion length in words (whitespace split) or characters.

    >>> completion_length({"completion": "a b  c"}), completion_length({"completion": "a b"}, "chars")
    (3, 3)
    """
    text = completion_text(row.get("completion", ""))
    return len(text.split()) if unit == "words" else len(text)


def dominance(columns: dict[str, list[float | None]], weights: dict[str, float] | None = None) -> dict[str, float]:
    """Share of the combined reward's variance each weighted component explains (variance decomposition:
    Cov(w_i x_i, sum_j w_j x_j) / Var(sum)), over rows where every component is present.

    >>> d = dominance({"a": [0.0, 1.0, 0.0, 1.0], "b": [0.0, 0.0, 0.1, 0.1]})
    >>> round(d["a"], 3), round(d["b"], 3)
    (0.99, 0.01)
    """
    names = list(columns)
    rows = [i for i in range(len(next(iter(columns.values()), []))) if all(columns[n][i] is not None for n in names)]
    if len(rows) < 2:
        return {n: float("nan") for n in names}
    w = weights or {}
    mat = np.array([[columns[n][i] * w.get(n, 1.0) for n in names] for i in rows], dtype=float)
    total = mat.sum(axis=1)
    var = total.var()
    if var == 0:
        return {n: float("nan") for n in names}
    return {n: float(np.mean((mat[:, k] - mat[:, k].mean()) * (total - total.mean())) / var) for k, n in enumerate(names)}
