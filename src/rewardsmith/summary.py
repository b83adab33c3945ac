"""Per-component summary of scored rows: mean, std, share ok / abstain / error (the CLI's closing table)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterable


@dataclass
class ColumnSummary:
    values: list[float] = field(default_factory=list)
    missing: int = 0

    def add(self, v: Any) -> None:
        if v.__class__ is float or (isinstance(v, int) and not isinstance(v, bool)):
            self.values.append(float(v))
        else:
            self.missing += 1

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.values) if self.values else None

    @property
    def std(self) -> float | None:
        """Population standard deviation in floats (``statistics.pstdev`` is exact and slow on 100k values).

        >>> round(ColumnSummary([1.0, 2.0, 3.0, 4.0]).std, 6)
        1.118034
        """
        if len(self.values) < 2:
            return 0.0 if self.values else None
        mean = math.fsum(self.values) / len(self.values)
        return math.sqrt(math.fsum([(v - mean) ** 2 for v in self.values]) / len(self.values))


@dataclass
class RunSummary:
    """Accumulates output rows; ``table()`` renders the closing summary."""

    rows: int = 0
    status: dict[str, int] = field(default_factory=lambda: {"ok": 0, "abstain": 0, "error": 0})
    reward: ColumnSummary = field(default_factory=ColumnSummary)
    components: dict[str, ColumnSummary] = field(default_factory=dict)
    component_seconds: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.rows += 1
            st = row.get("status", "error")
            self.status[st] = self.status.get(st, 0) + 1
            self.reward.add(row.get("reward"))
            for name, v in (row.get("components") or {}).items():
                self.components.setdefault(name, ColumnSummary()).add(v)
            if st == "error" and row.get("reason"):
                key = str(row["reason"])[:90]
                self.reasons[key] = self.reasons.get(key, 0) + 1

    def add_results(self, results: Iterable[Any]) -> None:
        """As ``add`` with the output rows of these ``RewardResult``s, without building the rows."""
        status, comps, reasons = self.status, self.components, self.reasons
        reward_values = self.reward.values
        for r in results:
            self.rows += 1
            st = r.status._value_
            status[st] = status.get(st, 0) + 1
            v = r.value
            if v.__class__ is float:
                reward_values.append(v)
            else:
                self.reward.add(v)
            for name, cv in r.components.items():
                col = comps.get(name)
                if col is None:
                    col = comps[name] = ColumnSummary()
                if cv.__class__ is float:
                    col.values.append(cv)
                else:
                    col.add(cv)
            if st == "error" and r.reason:
                key = str(r.reason)[:90]
                reasons[key] = reasons.get(key, 0) + 1

    def table(self) -> Any:
        from rich.table import Table

        def fmt(x: float | None) -> str:
            return "-" if x is None else f"{x:.4f}"

        n = max(self.rows, 1)
        t = Table(title=f"{self.rows} rows: ok {self.status['ok'] / n:.1%}, abstain {self.status['abstain'] / n:.1%}, error {self.status['error'] / n:.1%}")
        for col in ("column", "mean", "std", "n values", "n missing", "seconds"):
            t.add_column(col, justify="left" if col == "column" else "right")
        t.add_row("reward", fmt(self.reward.mean), fmt(self.reward.std), str(len(self.reward.values)), str(self.reward.missing), "")
        for name, c in self.components.items():
            secs = self.component_seconds.get(name)
            t.add_row(name, fmt(c.mean), fmt(c.std), str(len(c.values)), str(c.missing), "" if secs is None else f"{secs:.2f}")
        return t
