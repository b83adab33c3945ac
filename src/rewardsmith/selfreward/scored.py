"""Scored rows for the pair builders and the reranker: read, score with a spec when needed, look up fields,
group.

A row counts as scored when it carries the contract's output ``status``; unscored rows (or all rows with
``rescore=True``) are scored by ``rewardsmith.engine.Engine`` in chunks that never split a group.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

from rewardsmith.rows import output_row, read_rows
from rewardsmith.spec import RewardSpec
from rewardsmith.types import RewardResult, row_group_key


class InputError(ValueError):
    """An input file the pair builder or reranker cannot use."""


def load_rows(path: str | Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows of a JSONL / Parquet file and the problems of the lines that could not be read."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for line, row in read_rows(path):
        if isinstance(row, RewardResult):
            problems.append(row.reason or f"line {line}: unreadable")
        else:
            rows.append(row)
    return rows, problems


def group_of(row: dict[str, Any]) -> str:
    """The group a row belongs to: its ``group`` field, else its prompt text and images (as the engine groups)."""
    return row_group_key(row)


def group_rows(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows by group, groups in first-seen order.

    >>> list(group_rows([{"group": "a"}, {"group": "b"}, {"group": "a"}]).items())[0]
    ('a', [{'group': 'a'}, {'group': 'a'}])
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(group_of(row), []).append(row)
    return out


def is_scored(row: dict[str, Any]) -> bool:
    return row.get("status") in ("ok", "abstain", "error")


def score_rows(
    rows: list[dict[str, Any]],
    spec: RewardSpec,
    *,
    rescore: bool = False,
    workers: int | None = None,
    cache: bool | str = True,
    chunk: int = 512,
) -> list[dict[str, Any]]:
    """The rows as output rows of ``spec``; rows already scored are kept unless ``rescore``.

    Rows are scored group by group (a chunk never splits a group), so group rewards see whole groups.
    """
    todo = [i for i, r in enumerate(rows) if rescore or not is_scored(r)]
    if not todo:
        return rows
    from rewardsmith.engine import Engine

    out = list(rows)
    groups: dict[str, list[int]] = {}
    for i in todo:
        groups.setdefault(group_of(rows[i]), []).append(i)
    batches: list[list[int]] = [[]]
    for idx in groups.values():
        if batches[-1] and len(batches[-1]) + len(idx) > chunk:
            batches.append([])
        batches[-1].extend(idx)
    with Engine(spec, workers=workers, cache=cache) as engine:
        for batch in batches:
            if not batch:
                continue
            clean = [_unscored(rows[i]) for i in batch]
            results = engine.score(clean)
            for i, row, res in zip(batch, clean, results):
                out[i] = output_row(row, res, i + 1)
    return out


_OUTPUT_FIELDS = ("reward", "status", "components", "reason", "step_values", "info")


def _unscored(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _OUTPUT_FIELDS}


def _lookup(row: dict[str, Any], name: str) -> Any:
    if name == "reward":
        return row.get("reward") if row.get("status", "ok") == "ok" else None
    head, _, rest = name.partition(".")
    if rest and head in ("components", "metadata", "info"):
        container = row.get(head) or {}
        if head == "components" and rest in container:
            return container[rest]
        value: Any = container
        for part in rest.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value
    for container in (row.get("components") or {}, row.get("metadata") or {}):
        if name in container:
            return container[name]
    return row.get(name)


def field_value(row: dict[str, Any], name: str) -> float | None:
    """A numeric field of a scored row: ``reward`` (None unless status ok), ``components.X``,
    ``metadata.X``, ``info.X``, or a bare name looked up in components, then metadata, then the row.

    >>> row = {"reward": 1.0, "status": "ok", "components": {"rm": 0.25}, "metadata": {"sc": 3}}
    >>> field_value(row, "reward"), field_value(row, "rm"), field_value(row, "metadata.sc"), field_value(row, "x")
    (1.0, 0.25, 3.0, None)
    """
    value = _lookup(row, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def bool_field(row: dict[str, Any], name: str) -> bool | None:
    """A boolean label such as ``metadata.is_correct`` (1/0 also read as true/false)."""
    value = _lookup(row, name)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    return None


def list_field(row: dict[str, Any], name: str) -> list[float] | None:
    """A list of numbers (step scores) from ``step_values`` or a metadata / components path."""
    value = row.get(name) if "." not in name else _lookup(row, name)
    if value is None and "." not in name:
        value = (row.get("metadata") or {}).get(name)
    if not isinstance(value, list) or not value:
        return None
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError):
        return None
