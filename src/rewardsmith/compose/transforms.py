"""Bounded per-sample transforms against reward hacking: clip, affine, LSC and PAR.

The reference value ``r_ref`` for LSC and PAR is per prompt: a group statistic (``group_mean``,
``group_median``, ``group_min``, ``group_max``), the score of the row's reference completion
(``reference_completion``: ``metadata.reference_completion`` is scored by the same spec), a number, or a
metadata field (``metadata.KEY``).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Union

import pydantic

Values = list[Union[float, None]]


@dataclass
class BatchContext:
    """What a transform may look at besides the values: group keys, metadata, reference-completion scores."""

    groups: list[str]
    metadata: list[dict[str, Any]]
    ref_values: Values = field(default_factory=list)


def log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


RefKind = Union[float, str]


class _Clip(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    min: float | None = None
    max: float | None = None


class _Affine(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    scale: float = 1.0
    shift: float = 0.0


class _Ref(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", strict=True)
    ref: RefKind = "group_mean"
    scale: float = 1.0

    @pydantic.field_validator("ref")
    @classmethod
    def _known(cls, v: RefKind) -> RefKind:
        ok = ("group_mean", "group_median", "group_min", "group_max", "reference_completion")
        if isinstance(v, str) and v not in ok and not v.startswith("metadata."):
            raise ValueError(f"ref must be a number, metadata.KEY or one of {', '.join(ok)}")
        return v


def reference_values(ref: RefKind, values: Values, ctx: BatchContext) -> Values:
    """r_ref for every sample."""
    if isinstance(ref, (int, float)):
        return [float(ref)] * len(values)
    if ref == "reference_completion":
        return list(ctx.ref_values) if ctx.ref_values else [None] * len(values)
    if ref.startswith("metadata."):
        key = ref.split(".", 1)[1]
        out: Values = []
        for m in ctx.metadata:
            v = m.get(key)
            out.append(float(v) if isinstance(v, (int, float)) else None)
        return out
    stat: Callable[[list[float]], float] = {
        "group_mean": statistics.fmean,
        "group_median": statistics.median,
        "group_min": min,
        "group_max": max,
    }[ref]
    members: dict[str, list[float]] = {}
    for g, v in zip(ctx.groups, values):
        if v is not None:
            members.setdefault(g, []).append(v)
    return [stat(members[g]) if members.get(g) else None for g in ctx.groups]


def clip(values: Values, ctx: BatchContext, min: float | None = None, max: float | None = None) -> Values:
    """Clip to [min, max] (the simplest bounded transform).

    >>> clip([-3.0, 0.5, None, 9.0], None, min=-1, max=1)
    [-1.0, 0.5, None, 1.0]
    """
    out: Values = []
    for v in values:
        if v is not None:
            if min is not None:
                v = v if v >= min else float(min)
            if max is not None:
                v = v if v <= max else float(max)
        out.append(v)
    return out


def affine(values: Values, ctx: BatchContext, scale: float = 1.0, shift: float = 0.0) -> Values:
    """``scale * r + shift``.

    >>> affine([1.0, None], None, scale=2, shift=-1)
    [1.0, None]
    """
    return [None if v is None else scale * v + shift for v in values]


def lsc(values: Values, ctx: BatchContext, ref: RefKind = "group_mean", scale: float = 1.0) -> Values:
    """LSC: ``log sigmoid(scale * (r - r_ref))`` — Wang et al., "Transforming and Combining Rewards for
    Aligning Large Language Models" (2024). Bounded above by 0: no gain from pushing r far past r_ref.

    >>> ctx = BatchContext(groups=["a", "a"], metadata=[{}, {}])
    >>> [round(x, 4) for x in lsc([1.0, 3.0], ctx)]
    [-1.3133, -0.3133]
    """
    refs = reference_values(ref, values, ctx)
    return [None if v is None or r is None else log_sigmoid(scale * (v - r)) for v, r in zip(values, refs)]


def par(values: Values, ctx: BatchContext, ref: RefKind = "group_mean", scale: float = 1.0) -> Values:
    """PAR: ``sigmoid(scale * (r - r_ref))`` — Fu et al., "Reward Shaping to Mitigate Reward Hacking in
    RLHF" (2025): centred, bounded, with a steep slope near the reference and a flat one far from it.

    >>> ctx = BatchContext(groups=["a", "a"], metadata=[{}, {}])
    >>> [round(x, 4) for x in par([1.0, 3.0], ctx)]
    [0.2689, 0.7311]
    """
    refs = reference_values(ref, values, ctx)
    return [None if v is None or r is None else sigmoid(scale * (v - r)) for v, r in zip(values, refs)]


TRANSFORMS: dict[str, tuple[Callable[..., Values], type[pydantic.BaseModel]]] = {
    "clip": (clip, _Clip),
    "affine": (affine, _Affine),
    "lsc": (lsc, _Ref),
    "par": (par, _Ref),
}


def check_transform(kind: str, params: dict[str, Any]) -> str | None:
    """None when ``kind`` and ``params`` make a valid transform, else the problem."""
    if kind not in TRANSFORMS:
        return f"unknown transform {kind!r} (known: {', '.join(TRANSFORMS)})"
    try:
        TRANSFORMS[kind][1].model_validate(params)
    except pydantic.ValidationError as exc:
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or kind}: {e['msg']}" for e in exc.errors())
    return None


def needs_reference_completion(kind: str, params: dict[str, Any]) -> bool:
    return kind in ("lsc", "par") and params.get("ref") == "reference_completion"


def apply_transform(kind: str, params: dict[str, Any], values: Values, ctx: BatchContext) -> Values:
    fn, model = TRANSFORMS[kind]
    checked = model.model_validate(params).model_dump()
    return fn(values, ctx, **checked)


Kind = Literal["clip", "affine", "lsc", "par"]
