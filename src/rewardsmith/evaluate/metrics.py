"""Evaluation metrics over per-item outcomes; pure functions, no I/O.

- Pairwise accuracy (RewardBench v1, Lambert et al. 2024): the chosen response must outscore the rejected.
- Best-of-N accuracy (RewardBench 2, Malik et al. 2025): the correct response must outscore all others.
- Both-orders accuracy (JudgeBench, Tan et al. 2024): each pair is judged in both orders; +1 for an order
  whose decision matches the label, -1 for one that contradicts it, 0 for a tie; correct when the sum > 0.
- Label agreement for verifiers: precision, recall, accuracy, F1, confusion matrix, Cohen's kappa.

Ties are decided by a stated rule (``TieRule``): ``wrong`` (RewardBench's rule: a tie is not a win),
``random`` (expected accuracy under a fair coin: a tie among m top responses earns 1/m), ``right``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Literal, Sequence

import numpy as np

from rewardsmith.evaluate.bootstrap import Estimate, mean_ci

TieRule = Literal["wrong", "random", "right"]
TIE_RULES: tuple[str, ...] = ("wrong", "random", "right")
Decision = Literal["A>B", "B>A", "A=B"]


def pairwise_outcomes(
    chosen: Sequence[float], rejected: Sequence[float], tie: TieRule = "wrong", tolerance: float = 0.0
) -> np.ndarray:
    """Per-pair credit: 1 when chosen > rejected, 0 when below, the tie rule's credit when |diff| <= tolerance.

    >>> pairwise_outcomes([2.0, 1.0, 0.5], [1.0, 1.0, 0.7], tie="random").tolist()
    [1.0, 0.5, 0.0]
    """
    c = np.asarray(chosen, dtype=float)
    r = np.asarray(rejected, dtype=float)
    diff = c - r
    out = (diff > tolerance).astype(float)
    out[np.abs(diff) <= tolerance] = _tie_credit(tie, 2)
    return out


def _tie_credit(tie: TieRule, m: int) -> float:
    if tie == "wrong":
        return 0.0
    if tie == "right":
        return 1.0
    if tie == "random":
        return 1.0 / m
    raise ValueError(f"unknown tie rule {tie!r} (known: {', '.join(TIE_RULES)})")


def best_of_n_outcome(correct: float, others: Sequence[float], tie: TieRule = "wrong", tolerance: float = 0.0) -> float:
    """Credit for one best-of-N item: 1 when the correct response outscores every other one.

    A tie at the top among m responses (the correct one included) earns the tie rule's credit.

    >>> best_of_n_outcome(0.9, [0.1, 0.5, 0.8])
    1.0
    >>> best_of_n_outcome(0.9, [0.9, 0.5, 0.9], tie="random")
    0.3333333333333333
    >>> best_of_n_outcome(0.4, [0.9, 0.5])
    0.0
    """
    if not others:
        return 1.0
    top = max(others)
    if correct > top + tolerance:
        return 1.0
    if correct < top - tolerance:
        return 0.0
    tied = 1 + sum(1 for o in others if abs(o - correct) <= tolerance)
    return _tie_credit(tie, tied)


def decision(score_a: float, score_b: float) -> Decision:
    """A pairwise decision from two scores, JudgeBench's convention.

    >>> decision(19.875, 19.5), decision(1.0, 2.0), decision(3.0, 3.0)
    ('A>B', 'B>A', 'A=B')
    """
    if score_a > score_b:
        return "A>B"
    if score_a < score_b:
        return "B>A"
    return "A=B"


def flip(d: str) -> str:
    """The same decision seen with A and B swapped.

    >>> flip("A>B"), flip("A=B")
    ('B>A', 'A=B')
    """
    return {"A>B": "B>A", "B>A": "A>B", "A=B": "A=B"}[d]


def both_orders_outcome(label: str, first: str, second_swapped: str) -> float:
    """JudgeBench's both-orders credit: ``first`` judged (A, B); ``second_swapped`` judged (B, A) and
    written in those swapped positions. +1 per order agreeing with the label, -1 per contradicting
    order, 0 for a tie; 1.0 when the sum is positive.

    >>> both_orders_outcome("A>B", "A>B", "B>A")   # both orders prefer A
    1.0
    >>> both_orders_outcome("A>B", "A>B", "A>B")   # position bias: always the first slot
    0.0
    >>> both_orders_outcome("A>B", "A>B", "A=B")   # one right, one tie
    1.0
    """
    counter = 0
    for d in (first, flip(second_swapped)):
        if d == label:
            counter += 1
        elif d == flip(label):
            counter -= 1
    return 1.0 if counter > 0 else 0.0


def confusion(predictions: Sequence[bool], labels: Sequence[bool]) -> dict[str, int]:
    """Counts of true/false positives/negatives.

    >>> confusion([True, True, False, False], [True, False, True, False])
    {'tp': 1, 'fp': 1, 'fn': 1, 'tn': 1}
    """
    p = np.asarray(predictions, dtype=bool)
    y = np.asarray(labels, dtype=bool)
    return {
        "tp": int((p & y).sum()), "fp": int((p & ~y).sum()), "fn": int((~p & y).sum()), "tn": int((~p & ~y).sum())
    }


def precision(p: np.ndarray, y: np.ndarray) -> float:
    """Precision TP / (TP + FP); nan when nothing is predicted positive.

    >>> precision(np.array([1, 1, 0]), np.array([1, 0, 1]))
    0.5
    """
    p, y = np.asarray(p, bool), np.asarray(y, bool)
    return float((p & y).sum() / p.sum()) if p.sum() else float("nan")


def recall(p: np.ndarray, y: np.ndarray) -> float:
    """Recall TP / (TP + FN); nan when no label is positive.

    >>> recall(np.array([1, 1, 0]), np.array([1, 0, 1]))
    0.5
    """
    p, y = np.asarray(p, bool), np.asarray(y, bool)
    return float((p & y).sum() / y.sum()) if y.sum() else float("nan")


def accuracy(p: np.ndarray, y: np.ndarray) -> float:
    """Share of predictions equal to the labels.

    >>> accuracy(np.array([1, 1, 0]), np.array([1, 0, 0]))
    0.6666666666666666
    """
    return float((np.asarray(p, bool) == np.asarray(y, bool)).mean())


def f1(p: np.ndarray, y: np.ndarray) -> float:
    """Harmonic mean of precision and recall.

    >>> f1(np.array([1, 1, 0]), np.array([1, 0, 1]))
    0.5
    """
    pr, rc = precision(p, y), recall(p, y)
    if not np.isfinite(pr) or not np.isfinite(rc) or pr + rc == 0:
        return float("nan")
    return 2 * pr * rc / (pr + rc)


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float:
    """Cohen's kappa between two binary raters (1960): (p_o - p_e) / (1 - p_e).

    >>> round(cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]), 4)
    0.5
    """
    x = np.asarray(a, bool)
    y = np.asarray(b, bool)
    if x.size == 0:
        return float("nan")
    po = float((x == y).mean())
    pe = float(x.mean() * y.mean() + (1 - x.mean()) * (1 - y.mean()))
    return float("nan") if pe == 1.0 else (po - pe) / (1 - pe)


def slice_estimates(
    outcomes: Sequence[float], keys: Sequence[str | None], seed: int = 0, resamples: int = 1000
) -> dict[str, Estimate]:
    """Mean outcome (with bootstrap interval) per slice value; items whose key is None are left out.

    >>> {k: e.value for k, e in slice_estimates([1, 0, 1, 1], ["a", "a", "b", None]).items()}
    {'a': 0.5, 'b': 1.0}
    """
    by: dict[str, list[float]] = defaultdict(list)
    for o, k in zip(outcomes, keys):
        if k is not None:
            by[str(k)].append(float(o))
    return {k: mean_ci(v, resamples=resamples, seed=seed) for k, v in sorted(by.items())}
