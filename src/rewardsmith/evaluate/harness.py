"""Benchmark harness: score benchmark items with a spec and compute the headline metrics with intervals.

A response whose reward is not ok (abstain or error) cannot be ranked: its item is left out of the
accuracy and counted in ``unscored`` (an error is never a zero). Per-component accuracies are reported
next to the combined reward's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from rewardsmith.evaluate.bootstrap import Estimate, mean_ci, statistic_ci
from rewardsmith.evaluate.metrics import (
    TieRule,
    accuracy,
    best_of_n_outcome,
    both_orders_outcome,
    cohen_kappa,
    confusion,
    f1,
    pairwise_outcomes,
    precision,
    recall,
    slice_estimates,
)
from rewardsmith.evaluate.readers import SLICE_COLUMNS, BonItem, LabeledRow, Pair, ScoredPair
from rewardsmith.images import image_urls
from rewardsmith.spec import RewardSpec, load_spec
from rewardsmith.types import RewardResult, prompt_text


@dataclass
class EvalReport:
    """Headline metrics (with bootstrap intervals), slices, and what could not be scored."""

    name: str
    kind: str
    tie_rule: str
    metrics: dict[str, Estimate] = field(default_factory=dict)
    slices: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    n_items: int = 0
    unscored: int = 0
    confusion: dict[str, int] | None = None
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "tie_rule": self.tie_rule,
            "n_items": self.n_items,
            "unscored": self.unscored,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "slices": {c: {k: v.to_dict() for k, v in s.items()} for c, s in self.slices.items()},
            "confusion": self.confusion,
            "disagreements": self.disagreements,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EvalReport:
        def est(x: dict[str, Any]) -> Estimate:
            lo, hi = x.get("ci") or [float("nan"), float("nan")]
            return Estimate(float(x["value"]), float(lo), float(hi), int(x.get("n", 0)))

        return cls(
            name=str(d.get("name", "")), kind=str(d.get("kind", "")), tie_rule=str(d.get("tie_rule", "")),
            metrics={k: est(v) for k, v in (d.get("metrics") or {}).items()},
            slices={c: {k: est(v) for k, v in s.items()} for c, s in (d.get("slices") or {}).items()},
            n_items=int(d.get("n_items", 0)), unscored=int(d.get("unscored", 0)),
            confusion=d.get("confusion"), disagreements=list(d.get("disagreements") or []),
        )


def _slice_keys(items: Sequence[Any], columns: Iterable[str] | None) -> list[str]:
    cols = list(columns) if columns else [c for c in SLICE_COLUMNS if any(c in it.fields for it in items)]
    return cols


def _slices(outcomes: Sequence[float], items: Sequence[Any], columns: list[str]) -> dict[str, dict[str, Estimate]]:
    out: dict[str, dict[str, Estimate]] = {}
    for col in columns:
        keys = [None if it.fields.get(col) is None else str(it.fields[col]) for it in items]
        if any(k is not None for k in keys):
            out[col] = slice_estimates(outcomes, keys)
    return out


# ------------------------------------------------------------------------------------- already scored


def eval_judgebench_scored(pairs: Sequence[ScoredPair], name: str = "", slice_columns: Iterable[str] | None = None) -> EvalReport:
    """JudgeBench's both-orders accuracy of already-judged pairs (no spec needed)."""
    outcomes = np.array([both_orders_outcome(p.label, p.first, p.second) for p in pairs])
    report = EvalReport(name or (pairs[0].judge if pairs else ""), "judgebench-scored", "tie counts 0 in an order (JudgeBench)")
    report.n_items = len(pairs)
    report.metrics["both_orders_accuracy"] = mean_ci(outcomes)
    first_only = np.array([1.0 if p.first == p.label else 0.0 for p in pairs])
    report.metrics["first_order_accuracy"] = mean_ci(first_only)
    consistent = np.array([1.0 if p.first == _flip(p.second) else 0.0 for p in pairs])
    report.metrics["order_consistency"] = mean_ci(consistent)
    report.slices = _slices(outcomes, pairs, _slice_keys(pairs, slice_columns))
    return report


def _flip(d: str) -> str:
    return {"A>B": "B>A", "B>A": "A>B"}.get(d, d)


# ------------------------------------------------------------------------------------------ scoring


def score_rows(spec: RewardSpec, rows: list[dict[str, Any]], chunk: int = 512, **engine_options: Any) -> list[RewardResult]:
    """Score contract rows with the spec's engine, in chunks that never split a group."""
    engine = spec.engine(**engine_options) if engine_options else spec.engine()
    out: list[RewardResult] = []
    start = 0
    while start < len(rows):
        end = min(start + chunk, len(rows))
        while end < len(rows) and rows[end].get("group") is not None and rows[end].get("group") == rows[end - 1].get("group"):
            end += 1
        out.extend(engine.score(rows[start:end]))
        start = end
    return out


def _values(results: Sequence[RewardResult], components: Sequence[str]) -> dict[str, list[float | None]]:
    """Per target ("reward" and each component): the value of each result, None when not ok."""
    out: dict[str, list[float | None]] = {"reward": [r.value if r.is_ok else None for r in results]}
    for c in components:
        vals: list[float | None] = []
        for r in results:
            v = r.components.get(c)
            vals.append(float(v) if isinstance(v, (int, float)) and math.isfinite(v) else None)
        out[c] = vals
    return out


def eval_pairs(
    spec: RewardSpec | str | dict[str, Any], pairs: Sequence[Pair], tie: TieRule = "wrong",
    slice_columns: Iterable[str] | None = None, **engine_options: Any,
) -> EvalReport:
    """Pairwise accuracy (RewardBench v1): score chosen and rejected pointwise; chosen must outscore rejected."""
    spec = load_spec(spec)
    rows: list[dict[str, Any]] = []
    for p in pairs:
        ref = {} if p.reference is None else {"reference": p.reference}
        # each side carries the other as metadata.other_completion: a pairwise judge compares the two (both orders)
        for side, text, other in (("chosen", p.chosen, p.rejected), ("rejected", p.rejected, p.chosen)):
            rows.append({"id": f"{p.id}/{side}", "prompt": p.prompt, "completion": text, "group": f"pair:{p.id}",
                         "metadata": {"other_completion": other}, **ref})
    results = score_rows(spec, rows, **engine_options)
    report = EvalReport(spec.name, "pairs", tie)
    report.n_items = len(pairs)
    for target, vals in _values(results, spec.component_names()).items():
        keep = [i for i in range(len(pairs)) if vals[2 * i] is not None and vals[2 * i + 1] is not None]
        chosen = [vals[2 * i] for i in keep]
        rejected = [vals[2 * i + 1] for i in keep]
        outcomes = pairwise_outcomes(chosen, rejected, tie)  # type: ignore[arg-type]
        key = "pairwise_accuracy" if target == "reward" else f"pairwise_accuracy[{target}]"
        report.metrics[key] = mean_ci(outcomes)
        if target == "reward":
            report.unscored = len(pairs) - len(keep)
            kept = [pairs[i] for i in keep]
            report.slices = _slices(outcomes, kept, _slice_keys(kept, slice_columns))
            report.disagreements = [
                {"id": pairs[i].id, "chosen": chosen[j], "rejected": rejected[j], **example_fields(pairs[i].prompt)}
                for j, i in enumerate(keep) if outcomes[j] < 1.0
            ][:50]
    report.metrics.update(both_orders_metrics(results[0::2], spec.component_names()))
    return report


def both_orders_metrics(chosen_results: Sequence[RewardResult], components: Sequence[str]) -> dict[str, Estimate]:
    """For components that judged each pair in both orders (``info.verdicts`` = [chosen shown first, chosen shown
    second], as ``judge_pairwise`` gives): accuracy in each order, in both (JudgeBench's rule) and the share of
    pairs where the judge picked the same response in both orders."""
    out: dict[str, Estimate] = {}
    for c in components:
        pairs = [r.info.get(c, {}).get("verdicts") for r in chosen_results]
        seen = [v for v in pairs if isinstance(v, list) and len(v) == 2]
        if not seen:
            continue
        first = np.array([v[0] == "A" for v in seen], dtype=float)
        second = np.array([v[1] == "B" for v in seen], dtype=float)
        same = np.array([(v[0], v[1]) in (("A", "B"), ("B", "A")) for v in seen], dtype=float)
        out[f"both_orders_accuracy[{c}]"] = mean_ci(first * second)
        out[f"first_order_accuracy[{c}]"] = mean_ci(first)
        out[f"second_order_accuracy[{c}]"] = mean_ci(second)
        out[f"order_consistency[{c}]"] = mean_ci(same)
    return out


#: data URIs above this size are not copied into the listed examples (the report inlines what it lists)
EXAMPLE_IMAGE_BYTES = 256 * 1024


def example_fields(prompt: Any) -> dict[str, Any]:
    """What a listed example shows of its prompt: the question's text (cut) and its images (small data URIs and
    URLs; bigger images are counted, not copied)."""
    urls = image_urls(prompt) if isinstance(prompt, list) else []
    kept = [u for u in urls if not u.startswith("data:") or len(u) <= EXAMPLE_IMAGE_BYTES][:4]
    out: dict[str, Any] = {"prompt": prompt_text(prompt)[:300]}
    if urls:
        out["images"] = kept
        if len(kept) < len(urls):
            out["images_omitted"] = len(urls) - len(kept)
    return out


def eval_bon(
    spec: RewardSpec | str | dict[str, Any], items: Sequence[BonItem], tie: TieRule = "wrong",
    slice_columns: Iterable[str] | None = None, **engine_options: Any,
) -> EvalReport:
    """Best-of-N accuracy (RewardBench 2): each correct response must outscore every other response."""
    spec = load_spec(spec)
    rows: list[dict[str, Any]] = []
    spans: list[tuple[int, int, int]] = []  # (start, n_correct, n_total)
    for it in items:
        start = len(rows)
        for k, text in enumerate(it.correct + it.others):
            ref = {} if it.reference is None else {"reference": it.reference}
            rows.append({"id": f"{it.id}/{k}", "prompt": it.prompt, "completion": text, "group": f"bon:{it.id}", **ref})
        spans.append((start, len(it.correct), len(it.correct) + len(it.others)))
    results = score_rows(spec, rows, **engine_options)
    report = EvalReport(spec.name, "bon", tie)
    report.n_items = len(items)
    for target, vals in _values(results, spec.component_names()).items():
        outcomes: list[float] = []
        kept: list[BonItem] = []
        for it, (start, nc, nt) in zip(items, spans):
            v = vals[start:start + nt]
            if any(x is None for x in v):
                continue
            credit = [best_of_n_outcome(v[c], v[nc:], tie) for c in range(nc)]  # type: ignore[arg-type]
            outcomes.append(float(np.mean(credit)))
            kept.append(it)
        key = "best_of_n_accuracy" if target == "reward" else f"best_of_n_accuracy[{target}]"
        report.metrics[key] = mean_ci(outcomes)
        if target == "reward":
            report.unscored = len(items) - len(kept)
            report.slices = _slices(outcomes, kept, _slice_keys(kept, slice_columns))
    return report


def eval_labels(
    spec: RewardSpec | str | dict[str, Any], rows: Sequence[LabeledRow], threshold: float = 0.5,
    target: str = "reward", slice_columns: Iterable[str] | None = None, **engine_options: Any,
) -> EvalReport:
    """Label agreement of a verifier: predicted positive when the target (reward or a component) >= threshold."""
    spec = load_spec(spec)
    results = score_rows(spec, [r.row for r in rows], **engine_options)
    vals = _values(results, spec.component_names())
    if target not in vals:
        raise ValueError(f"no component named {target!r} (known: {', '.join(vals)})")
    v = vals[target]
    keep = [i for i, x in enumerate(v) if x is not None]
    pred = np.array([v[i] >= threshold for i in keep], dtype=bool)  # type: ignore[operator]
    gold = np.array([rows[i].label for i in keep], dtype=bool)
    report = EvalReport(spec.name, "labels", f"positive when {target} >= {threshold:g}")
    report.n_items = len(rows)
    report.unscored = len(rows) - len(keep)
    report.metrics["accuracy"] = statistic_ci([pred, gold], accuracy)
    report.metrics["precision"] = statistic_ci([pred, gold], precision)
    report.metrics["recall"] = statistic_ci([pred, gold], recall)
    report.metrics["f1"] = statistic_ci([pred, gold], f1)
    report.metrics["cohen_kappa"] = statistic_ci([pred, gold], cohen_kappa)
    report.confusion = confusion(pred, gold)
    agree = (pred == gold).astype(float)
    kept = [rows[i] for i in keep]
    report.slices = _slices(agree, kept, _slice_keys(kept, slice_columns))
    for j, i in enumerate(keep):
        if pred[j] != gold[j]:
            r = rows[i].row
            report.disagreements.append(
                {"id": r.get("id"), "label": bool(gold[j]), target: v[i], "reason": results[i].reason,
                 "completion": str(r.get("completion"))[-160:], "reference": r.get("reference")}
            )
    for i, x in enumerate(v):
        if x is None:
            report.disagreements.append(
                {"id": rows[i].row.get("id"), "label": rows[i].label, target: None,
                 "status": results[i].status.value, "reason": results[i].reason}
            )
    return report
