"""Answers and votes: extract each sample's final answer, cluster equivalent answers, count (weighted) votes.

Extraction and equivalence are the rule verifiers' (``rewardsmith.verifiers.math.extract_answer`` /
``is_equiv``; QA normalisation from ``rewardsmith.verifiers.qa``): equivalent answers (``0.5`` and ``1/2``)
fall in one cluster and vote together. ``kind="exact"`` compares stripped strings (multiple choice, labels).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Literal, Sequence

AnswerKind = Literal["math", "qa", "exact"]
TiePolicy = Literal["abstain", "first", "all"]


def _math() -> Any:
    return importlib.import_module("rewardsmith.verifiers.math")


def _qa_normalizer() -> Callable[[str], str]:
    return importlib.import_module("rewardsmith.verifiers.qa").squad_normalize  # type: ignore[no-any-return]


def _qa_span(text: str) -> str:
    return importlib.import_module("rewardsmith.verifiers.answers").answer_span(text)  # type: ignore[no-any-return]


def extract(text: str, kind: AnswerKind = "math") -> str | None:
    """The final answer of ``text``, or None when none can be found.

    >>> extract("6 * 7 = 42\\nA: 42")
    '42'
    >>> extract("  Paris ", "exact"), extract("I think <answer>The Eiffel Tower!</answer>", "qa")
    ('Paris', 'eiffel tower')
    """
    if kind == "math":
        return _math().extract_answer(text)  # type: ignore[no-any-return]
    if kind == "qa":  # the answer span (last <answer> tag, else everything), SQuAD-normalised
        return _qa_normalizer()(_qa_span(text)) or None
    return text.strip() or None


def reference_text(reference: Any, kind: AnswerKind = "math") -> str | None:
    """The answer a reference states (math: a worked ``#### N`` solution is reduced to ``N``).

    >>> reference_text("so 9 * 2 = 18\\n#### 18")
    '18'
    """
    if kind == "math":
        return _math().reference_answer(reference)  # type: ignore[no-any-return]
    if reference is None:
        return None
    if kind == "qa":
        golds = qa_golds(reference)
        return golds[0] if golds else None
    return str(reference).strip() or None


def qa_golds(reference: Any) -> list[str]:
    """Gold answers of a QA reference (string, list, SQuAD dict), SQuAD-normalised; [] when none.

    >>> qa_golds({"text": ["The Eiffel Tower", "Tour Eiffel"]})
    ['eiffel tower', 'tour eiffel']
    """
    from rewardsmith.types import Abstain

    try:
        golds = importlib.import_module("rewardsmith.verifiers.answers").gold_list(reference)
    except Abstain:
        return []
    norm = _qa_normalizer()
    return [norm(g) for g in golds if norm(g)]


@lru_cache(maxsize=65536)
def equivalent(a: str, b: str, kind: AnswerKind = "math", tolerance: float = 0.0) -> bool:
    """Whether two extracted answers say the same thing (math: the verifier's equivalence, either order).

    >>> equivalent("0.5", "\\\\frac{1}{2}")
    True
    >>> equivalent("3", "4")
    False
    """
    if a == b:
        return True
    if kind == "math":
        m = _math()
        return bool(m.is_equiv(a, b, tolerance=tolerance) or m.is_equiv(b, a, tolerance=tolerance))
    if kind == "qa":
        norm = _qa_normalizer()
        return norm(a) == norm(b)
    return a.strip() == b.strip()


@dataclass
class Cluster:
    """Equivalent answers: the first one seen stands for all; ``members`` are sample indices."""

    answer: str
    members: list[int] = field(default_factory=list)
    weight: float = 0.0


@dataclass
class Vote:
    """Outcome of a (weighted) vote over one group's answers.

    ``label`` is the winning answer (None when nobody answered, or on a tie under ``tie="abstain"``),
    ``cluster_of[i]`` the cluster of sample i (None: no answer: an abstention), ``winners`` the indices
    of the winning clusters (several on a tie under ``tie="all"``).
    """

    clusters: list[Cluster]
    cluster_of: list[int | None]
    winners: list[int]
    tie: bool
    abstained: int

    @property
    def label(self) -> str | None:
        return self.clusters[self.winners[0]].answer if self.winners else None

    @property
    def total(self) -> float:
        return sum(c.weight for c in self.clusters)

    @property
    def share(self) -> float:
        """Winning weight over all votes cast (0 when no winner)."""
        if not self.winners or self.total <= 0:
            return 0.0
        return self.clusters[self.winners[0]].weight / self.total

    def agrees(self, i: int) -> bool:
        return self.cluster_of[i] is not None and self.cluster_of[i] in self.winners

    def summary(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "share": round(self.share, 6),
            "tie": self.tie,
            "abstained": self.abstained,
            "votes": {c.answer: round(c.weight, 6) for c in self.clusters},
        }


def cluster_answers(
    answers: Sequence[str | None], kind: AnswerKind = "math", tolerance: float = 0.0
) -> tuple[list[Cluster], list[int | None]]:
    """Group equivalent answers; None answers belong to no cluster.

    >>> clusters, of = cluster_answers(["2", "2.0", None, "3"])
    >>> [c.answer for c in clusters], of
    (['2', '3'], [0, 0, None, 1])
    """
    clusters: list[Cluster] = []
    cluster_of: list[int | None] = []
    for i, ans in enumerate(answers):
        if ans is None:
            cluster_of.append(None)
            continue
        for ci, c in enumerate(clusters):
            if equivalent(ans, c.answer, kind, tolerance):
                c.members.append(i)
                cluster_of.append(ci)
                break
        else:
            clusters.append(Cluster(ans, [i]))
            cluster_of.append(len(clusters) - 1)
    return clusters, cluster_of


def vote(
    answers: Sequence[str | None],
    weights: Sequence[float] | None = None,
    kind: AnswerKind = "math",
    tolerance: float = 0.0,
    tie: TiePolicy = "abstain",
    tie_eps: float = 1e-9,
) -> Vote:
    """Majority (or weighted-majority) vote with equivalent answers voting together.

    ``tie``: "abstain" (no label on a tie), "first" (the tied answer seen first wins), "all" (every tied
    answer wins).

    >>> v = vote(["1/2", "0.5", "3", None])
    >>> v.label, v.share, v.tie, v.abstained
    ('1/2', 0.6666666666666666, False, 1)
    >>> vote(["3", "4"]).label is None, vote(["3", "4"], tie="first").label
    (True, '3')
    >>> vote(["3", "4", "4"], weights=[5.0, 1.0, 1.0]).label
    '3'
    """
    clusters, cluster_of = cluster_answers(answers, kind, tolerance)
    w = [1.0] * len(answers) if weights is None else [float(x) for x in weights]
    if len(w) != len(answers):
        raise ValueError(f"{len(w)} weights for {len(answers)} answers")
    for c in clusters:
        c.weight = sum(w[i] for i in c.members)
    abstained = sum(1 for c in cluster_of if c is None)
    if not clusters:
        return Vote(clusters, cluster_of, [], False, abstained)
    best = max(c.weight for c in clusters)
    top = [ci for ci, c in enumerate(clusters) if abs(c.weight - best) <= tie_eps]
    is_tie = len(top) > 1
    if is_tie and tie == "abstain":
        winners: list[int] = []
    elif is_tie and tie == "first":
        winners = top[:1]
    else:
        winners = top
    return Vote(clusters, cluster_of, winners, is_tie, abstained)
