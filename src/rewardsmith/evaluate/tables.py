"""Console tables (rich) for evaluation, probe and monitor results."""

from __future__ import annotations

import math
from typing import Any

from rewardsmith.evaluate.bootstrap import Estimate


def pct(x: float) -> str:
    """A fraction as a percentage with two decimals (JudgeBench's format).

    >>> pct(0.642857)
    '64.29'
    """
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:.2f}"


def interval(e: Estimate) -> str:
    """A bootstrap interval in percent.

    >>> interval(Estimate(0.5, 0.4, 0.6, 10))
    '[40.00, 60.00]'
    """
    return f"[{pct(e.low)}, {pct(e.high)}]"


def eval_table(report: Any) -> Any:
    from rich.table import Table

    t = Table(title=f"{report.name} ({report.kind}, {report.n_items} items, {report.unscored} unscored; ties: {report.tie_rule})")
    for col in ("metric", "value (%)", "95% CI", "n"):
        t.add_column(col, justify="left" if col == "metric" else "right")
    for name, e in report.metrics.items():
        t.add_row(name, pct(e.value), interval(e), str(e.n))
    for col, by in report.slices.items():
        for key, e in by.items():
            t.add_row(f"  {col}={key}", pct(e.value), interval(e), str(e.n))
    return t
