"""How different are two rewards on the same samples, and how often do a judge and a verifier agree?

Reward distance follows STARC (Skalse et al., ICLR 2024, "STARC: A General Framework For Quantifying
Differences Between Reward Functions"), which generalises EPIC (Gleave et al., ICLR 2021, "Quantifying
Differences in Reward Functions"): *canonicalise* each reward (here: centre it within each prompt, which
removes any per-prompt offset — the sample-based analogue of removing potential shaping), *normalise* it
(divide by its L2 norm), then measure the L2 distance, halved so the result lies in [0, 1]. On canonical,
normalised vectors this equals EPIC's Pearson distance sqrt((1 - rho) / 2), with rho the Pearson correlation
of the canonicalised rewards; both are reported. Rank agreement: Spearman's rho over all samples, the mean
Kendall tau within prompts, and the share of prompts where both rewards pick the same best response (prompts where
either reward is constant are left out; a tie at the top agrees when the tied sets share a response).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from rewardsmith.evaluate.metrics import cohen_kappa, confusion


@dataclass(frozen=True, slots=True)
class RewardDistance:
    starc: float
    epic_pearson: float
    canonical_pearson: float
    spearman: float
    kendall_within_prompt: float
    top1_agreement: float
    n: int
    prompts: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def canonicalize(values: np.ndarray, groups: Sequence[str]) -> np.ndarray:
    """Centre each value on its prompt's mean.

    >>> canonicalize(np.array([1.0, 3.0, 5.0, 5.0]), ["a", "a", "b", "b"]).tolist()
    [-1.0, 1.0, 0.0, 0.0]
    """
    out = values.astype(float).copy()
    keys = np.asarray(groups)
    for g in dict.fromkeys(groups):
        mask = keys == g
        out[mask] -= out[mask].mean()
    return out


def normalize(values: np.ndarray) -> np.ndarray:
    """Divide by the L2 norm (a zero vector stays zero).

    >>> normalize(np.array([3.0, 4.0])).tolist()
    [0.6, 0.8]
    """
    norm = float(np.linalg.norm(values))
    return values / norm if norm > 0 else values


def starc_distance(a: Sequence[float], b: Sequence[float], groups: Sequence[str]) -> float:
    """Half the L2 distance between the canonicalised, normalised rewards, in [0, 1].

    >>> starc_distance([0.0, 1.0, 0.0, 1.0], [10.0, 20.0, 5.0, 15.0], ["p", "p", "q", "q"])  # affine within prompts
    0.0
    >>> round(starc_distance([0.0, 1.0], [1.0, 0.0], ["p", "p"]), 6)  # opposite preferences
    1.0
    """
    ca = normalize(canonicalize(np.asarray(a, float), groups))
    cb = normalize(canonicalize(np.asarray(b, float), groups))
    if not ca.any() or not cb.any():
        return float("nan")
    return float(np.linalg.norm(ca - cb) / 2.0)


def _kendall(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import kendalltau

    if len(x) < 2 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    return float(kendalltau(x, y).statistic)


def reward_distance(a: Sequence[float | None], b: Sequence[float | None], groups: Sequence[str]) -> RewardDistance:
    """Distance and rank agreement of two rewards over the samples where both are present."""
    from scipy.stats import spearmanr

    keep = [i for i, (x, y) in enumerate(zip(a, b)) if x is not None and y is not None]
    va = np.array([a[i] for i in keep], float)
    vb = np.array([b[i] for i in keep], float)
    gs = [groups[i] for i in keep]
    ca, cb = canonicalize(va, gs), canonicalize(vb, gs)
    if ca.std() > 0 and cb.std() > 0:
        rho = float(np.corrcoef(ca, cb)[0, 1])
    else:
        rho = float("nan")
    epic = math.sqrt(max(0.0, (1 - rho) / 2)) if math.isfinite(rho) else float("nan")
    spear = float(spearmanr(va, vb).statistic) if len(va) > 1 and va.std() > 0 and vb.std() > 0 else float("nan")
    taus, tops = [], []
    keys = np.asarray(gs)
    for g in dict.fromkeys(gs):
        m = keys == g
        if m.sum() < 2:
            continue
        tau = _kendall(va[m], vb[m])
        if math.isfinite(tau):
            taus.append(tau)
        ga, gb = va[m], vb[m]
        if np.all(ga == ga[0]) or np.all(gb == gb[0]):
            continue  # a reward that cannot choose says nothing about the best response
        tops.append(1.0 if np.any((ga == ga.max()) & (gb == gb.max())) else 0.0)
    return RewardDistance(
        starc=starc_distance(va, vb, gs), epic_pearson=epic, canonical_pearson=rho, spearman=spear,
        kendall_within_prompt=float(np.mean(taus)) if taus else float("nan"),
        top1_agreement=float(np.mean(tops)) if tops else float("nan"), n=len(keep), prompts=len(dict.fromkeys(gs)),
    )


def judge_verifier_agreement(
    judge: Sequence[float | None], verifier: Sequence[float | None], judge_threshold: float = 0.5,
    verifier_threshold: float = 0.5,
) -> dict[str, Any]:
    """Agreement of a judge and a verifier on rows where both gave a value (each thresholded to pass/fail):
    share agreeing, Cohen's kappa, pass rates, confusion (judge as prediction, verifier as label).

    >>> r = judge_verifier_agreement([0.9, 0.8, 0.1, None], [1.0, 0.0, 0.0, 1.0])
    >>> r["n"], round(r["agreement"], 3), r["confusion"]
    (3, 0.667, {'tp': 1, 'fp': 1, 'fn': 0, 'tn': 1})
    """
    pairs = [(j, v) for j, v in zip(judge, verifier) if j is not None and v is not None]
    jp = np.array([j >= judge_threshold for j, _ in pairs], bool)
    vp = np.array([v >= verifier_threshold for _, v in pairs], bool)
    return {
        "n": len(pairs),
        "agreement": float((jp == vp).mean()) if pairs else float("nan"),
        "kappa": cohen_kappa(jp, vp) if pairs else float("nan"),
        "judge_pass_rate": float(jp.mean()) if pairs else float("nan"),
        "verifier_pass_rate": float(vp.mean()) if pairs else float("nan"),
        "confusion": confusion(jp, vp),
    }
