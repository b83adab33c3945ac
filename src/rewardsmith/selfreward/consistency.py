"""``consistency_filter``: keep only samples on which several internal judges / rewards agree.

Two readings of one idea:

- ``mode="verdict"`` (SCIR, "Self-Consistency of the Internal Reward Models Improves Self-Rewarding
  Language Models"): each source (a component of the spec or a metadata score) gives a verdict; a sample
  is consistent (1) when all verdicts agree, else inconsistent (0, the inconsistency penalty). Verdicts
  are ``value >= threshold``, or with ``tolerance`` set, agreement means all values lie within it.
- ``mode="rank"`` (CREAM, "Consistency Regularized Self-Rewarding Language Models"): two score columns
  (e.g. this iteration's and the last iteration's reward) rank the group; the consistency rate
  ``(tau + 1) / 2`` from Kendall's tau is every sample's value.

Use it as a gate (``gate: {component: consistent, min: 1}``) to keep only consistent samples; ``info``
reports the group's agreement rate.
"""

from __future__ import annotations

from typing import Any, Literal

from rewardsmith.registry import reward
from rewardsmith.types import RewardResult

Mode = Literal["verdict", "rank"]


def _source_value(name: str, components: dict[str, Any], metadata: dict[str, Any]) -> float | None:
    if name.startswith("metadata."):
        value = metadata.get(name[len("metadata."):])
    elif name in components:
        value = components[name]
    else:
        value = metadata.get(name)
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def kendall_tau(a: list[float], b: list[float]) -> float | None:
    """Kendall's tau-b between two score lists (None when either is constant or shorter than 2).

    >>> kendall_tau([1, 2, 3], [1, 2, 3]), kendall_tau([1, 2, 3], [3, 2, 1]), kendall_tau([1, 1], [1, 2])
    (1.0, -1.0, None)
    """
    if len(a) < 2 or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    from scipy.stats import kendalltau

    tau = kendalltau(a, b).statistic
    return None if tau != tau else float(tau)


@reward(
    "consistency_filter",
    source="SCIR (Zhou et al., 2025, self-consistent internal rewards); CREAM (Wang et al., 2025, ICLR)",
    per="group",
    executor="inline",
)
def consistency_filter(
    components: list[dict[str, Any]],
    metadatas: list[dict[str, Any]],
    sources: list[str],
    mode: Mode = "verdict",
    threshold: float = 0.5,
    tolerance: float | None = None,
) -> list[RewardResult]:
    """1 when the sources agree on a sample, 0 when not (SCIR); or the group's ranking consistency
    ``(tau + 1) / 2`` between two score columns (CREAM). Sources are component names of the spec or
    ``metadata.KEY`` columns; a sample missing a source abstains.

    >>> comps = [{"judge_a": 0.9, "judge_b": 0.8}, {"judge_a": 0.9, "judge_b": 0.1}, {"judge_a": 0.2, "judge_b": 0.3}]
    >>> res = consistency_filter(comps, [{}] * 3, sources=["judge_a", "judge_b"])
    >>> [r.value for r in res], res[0].info["agreement_rate"]
    ([1.0, 0.0, 1.0], 0.666667)
    >>> metas = [{"prev": 1.0}, {"prev": 2.0}, {"prev": 3.0}]
    >>> comps = [{"now": 0.1}, {"now": 0.3}, {"now": 0.2}]
    >>> round(consistency_filter(comps, metas, ["metadata.prev", "now"], mode="rank")[0].value, 4)
    0.6667
    """
    if len(sources) < 2:
        raise ValueError("consistency_filter needs at least two sources")
    values = [[_source_value(s, c or {}, m or {}) for s in sources] for c, m in zip(components, metadatas)]
    if mode == "rank":
        if len(sources) != 2:
            raise ValueError("mode 'rank' compares exactly two score columns")
        idx = [i for i, v in enumerate(values) if None not in v]
        tau = kendall_tau([values[i][0] for i in idx], [values[i][1] for i in idx])  # type: ignore[misc]
        out: list[RewardResult] = []
        for i, v in enumerate(values):
            if None in v:
                out.append(RewardResult.abstain(f"missing {sources[v.index(None)]}"))
            elif tau is None:
                out.append(RewardResult.abstain("ranking consistency undefined (fewer than 2 samples or constant scores)"))
            else:
                rate = (tau + 1.0) / 2.0
                out.append(RewardResult.ok(rate, components={"kendall_tau": tau}, info={"agreement_rate": round(rate, 6)}))
        return out
    agree: list[bool | None] = []
    for v in values:
        if None in v:
            agree.append(None)
        elif tolerance is not None:
            agree.append(max(v) - min(v) <= tolerance)  # type: ignore[type-var,operator]
        else:
            agree.append(len({x >= threshold for x in v}) == 1)  # type: ignore[operator]
    judged = [a for a in agree if a is not None]
    rate = round(sum(judged) / len(judged), 6) if judged else None
    out = []
    for v, a in zip(values, agree):
        if a is None:
            out.append(RewardResult.abstain(f"missing {sources[v.index(None)]}"))
        else:
            out.append(RewardResult.ok(1.0 if a else 0.0, reason=None if a else "sources disagree",
                                       info={"agreement_rate": rate}))
    return out
