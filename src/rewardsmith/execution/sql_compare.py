"""Execution accuracy: do two result sets match?

Rules: rows compared as a multiset (duplicates counted) unless the gold query orders its result (a
top-level ORDER BY), then as a list; numbers compared after rounding to ``digits`` decimals (so 1 and
1.0 match, and float noise does not matter); columns by position, or in any order with
``column_order="any"`` (each row's cells compared as a sorted multiset).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Literal


def _cell(value: Any, digits: int) -> Any:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return round(float(value), digits) + 0.0  # -0.0 -> 0.0
    return value


def _row(row: list[Any], digits: int, column_order: str) -> tuple[Any, ...]:
    cells = [_cell(v, digits) for v in row]
    if column_order == "any":
        return tuple(sorted(cells, key=lambda v: (type(v).__name__, repr(v))))
    return tuple(cells)


def results_match(
    predicted: list[list[Any]],
    gold: list[list[Any]],
    ordered: bool = False,
    digits: int = 6,
    column_order: Literal["strict", "any"] = "strict",
) -> bool:
    """Multiset (or ordered) comparison of two result sets.

    >>> results_match([[1, "a"], [2, "b"]], [[2, "b"], [1.0, "a"]])
    True
    >>> results_match([[1], [1]], [[1]])
    False
    >>> results_match([[1], [2]], [[2], [1]], ordered=True)
    False
    >>> results_match([[0.1 + 0.2]], [[0.3]])
    True
    """
    p = [_row(r, digits, column_order) for r in predicted]
    g = [_row(r, digits, column_order) for r in gold]
    if ordered:
        return p == g
    return Counter(p) == Counter(g)


def gold_is_ordered(sql: str, dialect: str = "sqlite") -> bool:
    """Does the query order its final result (a top-level ORDER BY)?

    >>> gold_is_ordered("SELECT a FROM t ORDER BY a"), gold_is_ordered("SELECT a FROM (SELECT a FROM t ORDER BY a)")
    (True, False)
    """
    import sqlglot

    from rewardsmith.execution.sql_partial import MAX_PARSE_CHARS

    if len(sql) > MAX_PARSE_CHARS:
        return "order by" in sql.lower()
    try:
        tree = sqlglot.parse_one(sql, read=dialect)
    except Exception:  # SqlglotError, RecursionError
        return "order by" in sql.lower()
    return tree is not None and tree.args.get("order") is not None
