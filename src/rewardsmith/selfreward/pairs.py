"""DPO preference pairs from scored groups.

Strategies (one group at a time):

- ``best_worst``: the highest- vs the lowest-scored completion (Self-Rewarding Language Models, Yuan et al.
  2024: chosen = best, rejected = worst of the judged candidates).
- ``all``: every ordered pair whose score difference reaches the margin.
- ``verified``: rule-verified positives vs negatives (Cooper, "Co-optimizing Policy and Reward Models in RL
  for LLMs": a completion the verifier accepts vs one it rejects; by default the best-scored positive vs the
  best-scored, i.e. hardest, negative; ``verified_pairing="all"`` for every positive x negative).
- ``anchored``: chosen from a newer model's column, rejected from an older model's (anchored rejection,
  "Temporal Self-Rewarding Language Models"): best of the chosen models vs worst of the rejected models.
- ``flr``: best vs worst by follow-up likelihood ("Aligning Language Models Using Follow-up Likelihood as
  Reward Signal"), when a follow-up-likelihood score is present.

Filters: ``min_margin``, ``max_length_ratio`` (chosen at most this many times longer than rejected, so
pairs do not teach verbosity), ``dedup`` (identical chosen / rejected texts and repeated pairs dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from rewardsmith.selfreward.scored import field_value
from rewardsmith.types import completion_text

Strategy = Literal["best_worst", "all", "verified", "anchored", "flr"]
VerifiedPairing = Literal["hardest", "all"]


@dataclass
class PairOptions:
    strategy: Strategy = "best_worst"
    score_field: str = "reward"
    min_margin: float = 0.0
    max_length_ratio: float | None = None
    dedup: bool = True
    verified_field: str = "correct"
    verified_threshold: float = 0.5
    verified_pairing: VerifiedPairing = "hardest"
    model_field: str = "model"
    chosen_models: list[str] = field(default_factory=list)
    rejected_models: list[str] = field(default_factory=list)
    flr_field: str | None = None
    spec_name: str | None = None


@dataclass
class PairReport:
    """What was built and what each filter dropped."""

    strategy: str
    groups: int = 0
    groups_with_pairs: int = 0
    pairs: int = 0
    candidates: int = 0
    dropped: dict[str, int] = field(default_factory=dict)

    def drop(self, why: str, n: int = 1) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "groups": self.groups, "groups_with_pairs": self.groups_with_pairs,
                "candidates": self.candidates, "pairs": self.pairs, "dropped": dict(self.dropped)}


_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _model(row: dict[str, Any], name: str) -> str | None:
    meta = row.get("metadata") or {}
    value = meta.get(name, row.get(name))
    return None if value is None else str(value)


def _candidate_pairs(rows: list[dict[str, Any]], o: PairOptions, report: PairReport) -> list[tuple[int, int, float]]:
    """(chosen index, rejected index, margin) before filtering."""
    field_name = o.flr_field if o.strategy == "flr" else o.score_field
    assert field_name is not None
    scores = [field_value(r, field_name) for r in rows]
    scored = [i for i, s in enumerate(scores) if s is not None]
    if len(scored) < len(rows):
        report.drop("unscored completion", len(rows) - len(scored))

    def best(idx: list[int]) -> int:
        return max(idx, key=lambda i: scores[i])  # type: ignore[arg-type,return-value]

    def worst(idx: list[int]) -> int:
        return min(idx, key=lambda i: scores[i])  # type: ignore[arg-type,return-value]

    if o.strategy in ("best_worst", "flr"):
        if len(scored) < 2:
            return []
        c, r = best(scored), worst(scored)
        return [(c, r, scores[c] - scores[r])]  # type: ignore[operator]
    if o.strategy == "all":
        return [(i, j, scores[i] - scores[j]) for i in scored for j in scored if scores[i] > scores[j]]  # type: ignore[operator]
    if o.strategy == "anchored":
        chosen = [i for i in scored if _model(rows[i], o.model_field) in o.chosen_models]
        rejected = [i for i in scored if _model(rows[i], o.model_field) in o.rejected_models]
        if not chosen or not rejected:
            report.drop("group lacks a chosen or a rejected model column")
            return []
        c, r = best(chosen), worst(rejected)
        return [(c, r, scores[c] - scores[r])]  # type: ignore[operator]
    # verified
    verdicts = [field_value(r, o.verified_field) for r in rows]
    pos = [i for i, v in enumerate(verdicts) if v is not None and v >= o.verified_threshold]
    neg = [i for i, v in enumerate(verdicts) if v is not None and v < o.verified_threshold]
    if not pos or not neg:
        return []
    if o.verified_pairing == "all":
        pairs = [(p, n) for p in pos for n in neg]
    else:
        def rank(i: int) -> float:
            return scores[i] if scores[i] is not None else float("-inf")  # type: ignore[return-value]

        pairs = [(max(pos, key=rank), max(neg, key=rank))]
    return [(p, n, verdicts[p] - verdicts[n]) for p, n in pairs]  # type: ignore[operator]


def build_pairs(groups: dict[str, list[dict[str, Any]]], options: PairOptions) -> tuple[list[dict[str, Any]], PairReport]:
    """Preference pairs from scored groups, filtered; the report counts what each filter dropped.

    >>> rows = [{"group": "g", "prompt": "q", "completion": c, "reward": s, "status": "ok"}
    ...         for c, s in [("good answer", 1.0), ("bad", 0.0), ("fine", 0.5)]]
    >>> pairs, report = build_pairs({"g": rows}, PairOptions())
    >>> [(p["chosen"], p["rejected"], p["margin"]) for p in pairs]
    [('good answer', 'bad', 1.0)]
    >>> pairs, report = build_pairs({"g": rows}, PairOptions(strategy="all", min_margin=0.5, max_length_ratio=3))
    >>> [(p["chosen"], p["rejected"]) for p in pairs], report.dropped
    ([('good answer', 'fine'), ('fine', 'bad')], {'margin below min_margin': 0, 'length ratio': 1})
    """
    o = options
    if o.strategy == "flr" and not o.flr_field:
        raise ValueError("strategy 'flr' needs the follow-up-likelihood field (flr_field)")
    if o.strategy == "anchored" and (not o.chosen_models or not o.rejected_models):
        raise ValueError("strategy 'anchored' needs chosen_models (newer) and rejected_models (older)")
    report = PairReport(o.strategy)
    report.dropped = {"margin below min_margin": 0}
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for gid, rows in groups.items():
        report.groups += 1
        made = 0
        for c, r, margin in _candidate_pairs(rows, o, report):
            report.candidates += 1
            chosen_text = completion_text(rows[c].get("completion", ""))
            rejected_text = completion_text(rows[r].get("completion", ""))
            if margin <= 0 or margin < o.min_margin:
                report.drop("margin below min_margin" if margin > 0 else "no score difference")
                continue
            if o.max_length_ratio is not None and len(chosen_text) > o.max_length_ratio * max(len(rejected_text), 1):
                report.drop("length ratio")
                continue
            if o.dedup:
                key = (gid, _norm(chosen_text), _norm(rejected_text))
                if key[1] == key[2]:
                    report.drop("identical chosen and rejected")
                    continue
                if key in seen:
                    report.drop("duplicate pair")
                    continue
                seen.add(key)
            out.append(_pair_row(gid, rows[c], rows[r], margin, o))
            made += 1
        report.pairs += made
        report.groups_with_pairs += bool(made)
    return out, report


def _pair_row(gid: str, chosen: dict[str, Any], rejected: dict[str, Any], margin: float, o: PairOptions) -> dict[str, Any]:
    field_name = o.flr_field if o.strategy == "flr" else o.score_field
    assert field_name is not None
    provenance: dict[str, Any] = {
        "group": gid,
        "chosen_id": chosen.get("id"),
        "rejected_id": rejected.get("id"),
        "chosen_model": _model(chosen, o.model_field),
        "rejected_model": _model(rejected, o.model_field),
        "score_field": o.verified_field if o.strategy == "verified" else field_name,
    }
    if o.spec_name:
        provenance["spec"] = o.spec_name
    return {
        "prompt": chosen.get("prompt", ""),
        "chosen": chosen.get("completion", ""),
        "rejected": rejected.get("completion", ""),
        "margin": round(margin, 10),
        "chosen_score": field_value(chosen, o.score_field),
        "rejected_score": field_value(rejected, o.score_field),
        "strategy": o.strategy,
        "provenance": provenance,
    }
