"""Turning request rows into Samples (strictly: a bad row is a 422 naming the row and field) and back."""

from __future__ import annotations

from typing import Any, Iterable

import orjson

from rewardsmith.rows import output_row
from rewardsmith.server.schemas import InputRow
from rewardsmith.types import RewardResult, RowError, Sample

_INT64 = (-(2**63), 2**64 - 1)
MAX_DEPTH = 64


class BadRows(ValueError):
    """Rows that cannot be scored; ``problems`` are messages naming the row and the field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))


def _json_safe(value: Any, depth: int = 0) -> str | None:
    """A problem with a JSON value the engine cannot hash (integers past 64 bits, absurd nesting), else None."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return None
    if isinstance(value, int):
        return None if _INT64[0] <= value <= _INT64[1] else "integer outside the 64-bit range"
    if isinstance(value, dict):
        for v in value.values():
            problem = _json_safe(v, depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, (list, tuple)):
        for v in value:
            problem = _json_safe(v, depth + 1)
            if problem:
                return problem
    return None


def to_samples(rows: Iterable[InputRow], group: str | None = None, offset: int = 0) -> tuple[list[dict[str, Any]], list[Sample]]:
    """Row dicts (as sent, plus ``group`` when given) and validated Samples; raises BadRows.

    >>> dicts, samples = to_samples([InputRow(prompt="q", completion="a", id=7)])
    >>> dicts[0], samples[0].id
    ({'id': 7, 'prompt': 'q', 'completion': 'a'}, '7')
    """
    dicts: list[dict[str, Any]] = []
    samples: list[Sample] = []
    problems: list[str] = []
    for i, row in enumerate(rows, start=offset):
        d = row.model_dump(exclude_unset=True)
        if group is not None:
            d["group"] = group
        problem = _json_safe(d)
        if problem:
            problems.append(f"row #{i}: {problem}")
            continue
        try:
            samples.append(Sample.from_row(d, where=f"#{i}"))
        except RowError as exc:
            problems.append(str(exc))
            continue
        dicts.append(d)
    if problems:
        raise BadRows(problems)
    return dicts, samples


def out_rows(dicts: list[dict[str, Any]], results: list[RewardResult]) -> list[dict[str, Any]]:
    return [output_row(d, r, i) for i, (d, r) in enumerate(zip(dicts, results))]


def dumps(obj: Any) -> bytes:
    """JSON bytes (orjson; numpy values and odd objects as strings)."""
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=str)
