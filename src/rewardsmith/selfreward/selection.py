"""Reward-guided selection: pick one completion per group.

- ``best_of_n``: the highest score (any spec's reward, a reward model, a verifier).
- ``majority``: the most common answer (self-consistency; equivalent answers vote together).
- ``weighted_vote``: answers vote with weights from a reward model or PRM score (weighted majority vote).
- ``self_certainty`` and ``borda``: "Scalable Best-of-N Selection for Large Language Models via
  Self-Certainty" (Kang et al., 2025): the most self-certain sample, or a Borda vote where the sample of
  certainty rank r (1 = most certain) of N gives its answer ``(N - r + 1) ** p`` votes.
- ``early_rejection``: "Accelerating LLM Reasoning via Early Rejection with Partial Reward Modeling":
  candidates are ranked by their partial PRM score after ``prefix_steps`` steps, only the top ``keep``
  share would be generated further, and the survivor with the best full score is selected.

Every selector takes a list of ``Candidate`` (one group) and returns a ``Selection``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

from rewardsmith.selfreward.answers import AnswerKind, vote

Method = Literal["best_of_n", "majority", "weighted_vote", "self_certainty", "borda", "early_rejection"]
WeightTransform = Literal["raw", "shift", "exp"]


@dataclass
class Candidate:
    """One completion of a group as a selector sees it."""

    text: str
    score: float | None = None
    answer: str | None = None
    certainty: float | None = None
    step_scores: list[float] | None = None
    row: dict[str, Any] = field(default_factory=dict)


@dataclass
class Selection:
    """The chosen candidate's index (None: nothing could be chosen) and how it was chosen."""

    index: int | None
    method: str
    info: dict[str, Any] = field(default_factory=dict)


def _argmax(values: Sequence[float | None]) -> int | None:
    best: int | None = None
    for i, v in enumerate(values):
        if v is not None and (best is None or v > values[best]):  # type: ignore[operator]
            best = i
    return best


def best_of_n(cands: Sequence[Candidate]) -> Selection:
    """The highest-scored candidate (first on ties); unscored candidates are skipped.

    >>> best_of_n([Candidate("a", 0.1), Candidate("b", None), Candidate("c", 0.7)]).index
    2
    """
    i = _argmax([c.score for c in cands])
    return Selection(i, "best_of_n", {"score": None if i is None else cands[i].score})


def _vote_select(
    cands: Sequence[Candidate], weights: Sequence[float], prefer: Sequence[float | None], method: str,
    kind: AnswerKind, tolerance: float,
) -> Selection:
    v = vote([c.answer for c in cands], weights=weights, kind=kind, tolerance=tolerance, tie="first")
    if not v.winners:
        return Selection(None, method, {"reason": "no answer in the group", **v.summary()})
    members = v.clusters[v.winners[0]].members
    # the winning cluster's best member by `prefer` (first member when nothing to prefer)
    scored = [m for m in members if prefer[m] is not None]
    pick = max(scored, key=lambda m: prefer[m]) if scored else members[0]  # type: ignore[arg-type,return-value]
    return Selection(pick, method, v.summary())


def majority(cands: Sequence[Candidate], kind: AnswerKind = "math", tolerance: float = 0.0) -> Selection:
    """Self-consistency: the most common answer (first seen wins a tie), its first member.

    >>> majority([Candidate("x", answer="2"), Candidate("y", answer="3"), Candidate("z", answer="3.0")]).index
    1
    """
    return _vote_select(cands, [1.0] * len(cands), [None] * len(cands), "majority", kind, tolerance)


def _weights(scores: Sequence[float | None], transform: WeightTransform, temperature: float) -> list[float]:
    present = [s for s in scores if s is not None]
    if not present:
        return [0.0] * len(scores)
    if transform == "raw":
        return [0.0 if s is None else s for s in scores]
    if transform == "shift":  # scores on any scale (RM logits): weights >= 0, the worst counts 0
        low = min(present)
        return [0.0 if s is None else s - low for s in scores]
    top = max(present)
    return [0.0 if s is None else math.exp((s - top) / temperature) for s in scores]


def weighted_vote(
    cands: Sequence[Candidate],
    kind: AnswerKind = "math",
    tolerance: float = 0.0,
    transform: WeightTransform = "raw",
    temperature: float = 1.0,
) -> Selection:
    """Weighted majority vote: each answer collects its candidates' scores; the best member of the winning
    answer is selected. ``transform``: "raw" (scores are probabilities, e.g. a PRM), "shift" (subtract the
    group's minimum) or "exp" (softmax weights with ``temperature``).

    >>> cs = [Candidate("a", 0.9, "7"), Candidate("b", 0.2, "5"), Candidate("c", 0.3, "5")]
    >>> weighted_vote(cs).index, majority(cs).index
    (0, 1)
    """
    w = _weights([c.score for c in cands], transform, temperature)
    return _vote_select(cands, w, [c.score for c in cands], "weighted_vote", kind, tolerance)


def self_certainty(cands: Sequence[Candidate]) -> Selection:
    """The most self-certain candidate (Kang et al., 2025).

    >>> self_certainty([Candidate("a", certainty=1.2), Candidate("b", certainty=3.4)]).index
    1
    """
    i = _argmax([c.certainty for c in cands])
    return Selection(i, "self_certainty", {"certainty": None if i is None else cands[i].certainty})


def borda_weights(values: Sequence[float | None], p: float = 0.5) -> list[float]:
    """Borda votes ``(N - r + 1) ** p`` by rank r (1 = highest value) among the N present values.

    >>> borda_weights([0.1, 0.9, None, 0.5], p=1.0)
    [1.0, 3.0, 0.0, 2.0]
    """
    present = sorted((i for i, v in enumerate(values) if v is not None), key=lambda i: -values[i])  # type: ignore[operator]
    n = len(present)
    out = [0.0] * len(values)
    for rank, i in enumerate(present, start=1):
        out[i] = float((n - rank + 1) ** p)
    return out


def borda(cands: Sequence[Candidate], p: float = 0.5, kind: AnswerKind = "math", tolerance: float = 0.0) -> Selection:
    """Self-certainty Borda vote (Kang et al., 2025): votes by certainty rank, the most certain member of the
    winning answer is selected.

    >>> cs = [Candidate("a", answer="1", certainty=5.0), Candidate("b", answer="2", certainty=4.0),
    ...       Candidate("c", answer="2", certainty=3.0), Candidate("d", answer="2", certainty=2.0)]
    >>> borda(cs, p=1.0).index, self_certainty(cs).index
    (1, 0)
    """
    certainty = [c.certainty for c in cands]
    sel = _vote_select(cands, borda_weights(certainty, p), certainty, "borda", kind, tolerance)
    sel.info["p"] = p
    return sel


def early_rejection(
    cands: Sequence[Candidate], prefix_steps: int = 1, keep: float = 0.5, min_keep: int = 1
) -> Selection:
    """Early rejection by partial PRM scores: rank by the score of the first ``prefix_steps`` steps, keep the
    top ``keep`` share (at least ``min_keep``), select the survivor with the best full score (its last step
    score when the row has no final score). ``info`` counts the steps the rejected candidates would not
    have needed.

    >>> cs = [Candidate("a", step_scores=[0.9, 0.2]), Candidate("b", step_scores=[0.1, 0.95]),
    ...       Candidate("c", step_scores=[0.8, 0.6])]
    >>> s = early_rejection(cs, prefix_steps=1, keep=0.6)
    >>> s.index, s.info["rejected"], s.info["steps_saved"]
    (2, 1, 1)
    """
    if prefix_steps < 1:
        raise ValueError("prefix_steps must be at least 1")
    partial: list[float | None] = []
    for c in cands:
        steps = c.step_scores or []
        partial.append(steps[min(prefix_steps, len(steps)) - 1] if steps else None)
    ranked = sorted((i for i, v in enumerate(partial) if v is not None), key=lambda i: -partial[i])  # type: ignore[operator]
    if not ranked:
        return Selection(None, "early_rejection", {"reason": "no step scores"})
    n_keep = max(min_keep, math.ceil(keep * len(ranked) - 1e-9))
    survivors = ranked[:n_keep]
    rejected = ranked[n_keep:]
    saved = sum(max(0, len(cands[i].step_scores or []) - prefix_steps) for i in rejected)
    total = sum(len(c.step_scores or []) for c in cands)

    def final(i: int) -> float:
        c = cands[i]
        if c.score is not None:
            return c.score
        return (c.step_scores or [-math.inf])[-1]

    pick = max(survivors, key=final)
    return Selection(
        pick,
        "early_rejection",
        {"kept": len(survivors), "rejected": len(rejected), "steps_saved": saved, "steps_total": total,
         "prefix_steps": prefix_steps},
    )


SELECTORS: dict[str, Callable[..., Selection]] = {
    "best_of_n": best_of_n,
    "majority": majority,
    "weighted_vote": weighted_vote,
    "self_certainty": self_certainty,
    "borda": borda,
    "early_rejection": early_rejection,
}
