"""Retrieval and search rewards: recall@k, MRR, nDCG over a ranked list, and string-matched nugget recall.

The ranked list comes from ``metadata[ranking_key]`` (a list of ids) when present, else from the
completion: a JSON list, a RankGPT-style ``[3] > [1] > [2]``, or one id per line / comma-separated.
Relevant ids come from the reference: a list (binary relevance) or ``{id: gain}`` (graded).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import Field

from rewardsmith import policy_json
from rewardsmith.params import PositiveInt
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult
from rewardsmith.verifiers.answers import answer_span, gold_list
from rewardsmith.verifiers.qa import squad_normalize

_RANKGPT = re.compile(r"\[([^\[\]]+)\]\s*(?:>|$)")


def _ids(items: Any) -> list[str]:
    return [str(x).strip() for x in items if str(x).strip()]


def ranking_from(completion: str, metadata: dict[str, Any], key: str = "retrieved") -> list[str]:
    """The ranked ids, best first, de-duplicated (first occurrence wins).

    >>> ranking_from("[2] > [1] > [3]", {}), ranking_from('["d3", "d1"]', {}), ranking_from("x", {"retrieved": [5, 7]})
    (['2', '1', '3'], ['d3', 'd1'], ['5', '7'])
    """
    raw = metadata.get(key) if metadata else None
    if isinstance(raw, list):
        ids = _ids(raw)
    else:
        text = answer_span(completion, answer_tag=True)
        ids = []
        try:
            value = policy_json.loads(text)
            if isinstance(value, list):
                ids = _ids(value)
        except ValueError:
            pass
        if not ids and ">" in text:
            ids = [m.strip() for m in _RANKGPT.findall(text)]
        if not ids:
            ids = [p.strip().strip("[]").strip() for p in re.split(r"[\n,]+", text)]
            ids = [re.sub(r"^\d+[.)]\s+", "", p) if re.match(r"^\d+[.)]\s+\S", p) else p for p in ids]
    seen: set[str] = set()
    out = []
    for i in ids:
        if i and i not in seen:
            seen.add(i)
            out.append(i)
    return out


def relevance(reference: Any) -> dict[str, float]:
    """``{id: gain}`` from a list of relevant ids or a mapping; Abstain when there is none."""
    if isinstance(reference, dict):
        rel = {str(k): float(v) for k, v in reference.items() if float(v) > 0}
    elif isinstance(reference, (list, tuple, str, int)):
        rel = {i: 1.0 for i in gold_list(reference, "relevant ids")}
    else:
        rel = {}
    if not rel:
        raise Abstain("no relevant ids in the reference")
    return rel


@reward("recall_at_k", source="information retrieval recall@k (Manning et al., 2008); search-agent rewards (ReSeek, Retro*)", executor="inline")
def recall_at_k(completion: str, reference: Any, metadata: dict[str, Any], k: PositiveInt = 10, ranking_key: str = "retrieved") -> float:
    """Share of the relevant ids found in the top ``k`` (Manning et al., "Introduction to Information
    Retrieval", 2008; used by search-agent and reranker rewards such as ReSeek and Retro*).

    >>> recall_at_k("[3] > [1] > [2]", ["1", "2"], {}, k=2)
    0.5
    """
    rel = relevance(reference)
    top = ranking_from(completion, metadata, ranking_key)[:k]
    return sum(1 for i in top if i in rel) / len(rel)


@reward("mrr", source="Voorhees, 1999, TREC-8 QA (mean reciprocal rank)", executor="inline")
def mrr(completion: str, reference: Any, metadata: dict[str, Any], k: PositiveInt | None = 10, ranking_key: str = "retrieved") -> float:
    """Reciprocal rank of the first relevant id (0 if none in the top ``k``) (Voorhees, TREC-8 QA, 1999).
    ``k`` is 10 (MRR@10, as MS MARCO): without a cut-off a ranking that appends every id it can think of
    earns something for any relevant id, however far down (``k: null`` for the uncut MRR).

    >>> mrr("[3] > [1] > [2]", ["1", "2"], {})
    0.5
    """
    rel = relevance(reference)
    ranking = ranking_from(completion, metadata, ranking_key)
    for rank, i in enumerate(ranking[:k] if k else ranking, start=1):
        if i in rel:
            return 1.0 / rank
    return 0.0


@reward("ndcg", source="Järvelin & Kekäläinen, 2002, nDCG (reranker rewards, e.g. MM-R5)", executor="inline")
def ndcg(completion: str, reference: Any, metadata: dict[str, Any], k: PositiveInt = 10, ranking_key: str = "retrieved") -> float:
    """nDCG@k with gains ``2^rel - 1`` and ``log2(rank + 1)`` discounts (Järvelin & Kekäläinen, 2002);
    binary relevance for a list reference. Used as a reranking reward (MM-R5).

    >>> round(ndcg("[3] > [1] > [2]", ["1", "2"], {}, k=3), 4)
    0.6934
    """
    rel = relevance(reference)
    ranking = ranking_from(completion, metadata, ranking_key)[:k]
    dcg = sum((2 ** rel.get(i, 0.0) - 1) / math.log2(r + 1) for r, i in enumerate(ranking, start=1))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(r + 1) for r, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg else 0.0


_SENTENCE_END = re.compile(r"[!?;\n]|\.(?!\d)")  # one character each: a run of dots cannot backtrack


def _nugget_window(sentence: list[str], toks: list[str], min_overlap: float) -> bool:
    """Whether ``min_overlap`` of the nugget's distinct tokens occur within ``len(toks) + 2`` consecutive
    tokens of the sentence (one pass with a sliding window)."""
    want = set(toks)
    need = max(1, math.ceil(min_overlap * len(want) - 1e-9))
    width = len(toks) + 2
    counts: dict[str, int] = {}
    for i, w in enumerate(sentence):
        if w in want:
            counts[w] = counts.get(w, 0) + 1
        if i >= width and sentence[i - width] in want:
            gone = sentence[i - width]
            counts[gone] -= 1
            if not counts[gone]:
                del counts[gone]
        if len(counts) >= need:
            return True
    return False


@reward("nugget_recall", source="Lin & Demner-Fushman, 2006, nugget-based evaluation (string matching; TREC RAG nuggets)", executor="inline")
def nugget_recall(
    completion: str,
    reference: Any,
    min_overlap: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0,
    allowance: PositiveInt | None = 100,
    beta: Annotated[float, Field(gt=0.0)] = 1.0,
) -> RewardResult:
    """Nugget evaluation (Lin & Demner-Fushman, 2006; TREC QA "other" questions and TREC RAG): a nugget
    counts when at least ``min_overlap`` of its normalised tokens occur close together in one sentence of
    the completion (within the nugget's length + 2 tokens), so a word salad of the nuggets' words spread
    over a sentence does not match them. The value is the paper's nugget F-score with its length allowance
    (``beta`` 1 by default: TREC 2004-2005 used 3, which pays an answer four times too long 0.77 for full
    recall, more than an honest short answer with half the nuggets gets; an RL policy would learn to pad): ``allowance`` non-space characters per matched nugget are free, every
    character beyond them lowers precision (``1 - (length - allowance) / length``), so a long answer that
    sprays everything it knows pays for its length. ``allowance: null`` gives plain nugget recall.
    Components: ``recall`` and ``precision`` (the length precision). The judge-based version lives with
    the judges (``nugget_rubric``); string matching cannot tell a terse statement from the nugget's own
    words pasted in order.

    >>> answer = "Paris is the capital; it has 2.1 million people."
    >>> nugget_recall(answer, ["capital is Paris", "population 2.1 million"], allowance=None).value
    0.5
    >>> round(nugget_recall(answer, ["capital is Paris", "population 2.1 million"]).value, 4)  # F1 = 2R / (1 + R)
    0.6667
    >>> nugget_recall(answer, ["capital is Paris", "population 2.1 million"], min_overlap=0.6).value
    1.0
    >>> r = nugget_recall(answer + " " + "x" * 360, ["capital is Paris"]); round(r.value, 3), round(r.components["precision"], 3)
    (0.4, 0.25)
    """
    nuggets = gold_list(reference, "nugget")
    sentences = [squad_normalize(part).split() for part in _SENTENCE_END.split(completion)]
    hits: list[str] = []
    for nugget in nuggets:
        toks = squad_normalize(nugget).split()
        if toks and any(_nugget_window(sentence, toks, min_overlap) for sentence in sentences):
            hits.append(nugget)
    recall = len(hits) / len(nuggets)
    if allowance is None:
        return RewardResult.ok(recall, components={"recall": recall}, info={"matched": hits})
    length = sum(1 for c in completion if not c.isspace())
    free = allowance * len(hits)
    precision = 1.0 if length <= free else 1.0 - (length - free) / length
    b2 = beta * beta
    score = (b2 + 1) * precision * recall / (b2 * precision + recall) if recall and precision else 0.0
    reason = None if length <= free or not hits else f"{length} characters for {len(hits)} nuggets ({free} allowed)"
    return RewardResult.ok(score, components={"recall": recall, "precision": precision}, info={"matched": hits}, reason=reason)
