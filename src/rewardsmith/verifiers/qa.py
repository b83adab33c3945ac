"""Question answering rewards with SQuAD-style normalisation: exact match, token F1, containment."""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any, Literal

from rewardsmith.registry import reward
from rewardsmith.types import RewardResult
from rewardsmith.verifiers.alternatives import find_hedge, gold_tokens
from rewardsmith.verifiers.answers import answer_span, gold_list

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.IGNORECASE)
_PUNCT = str.maketrans("", "", string.punctuation + "‘’“”")

#: ``hedges`` of the QA rewards: ``zero`` (default) scores an answer that lists several candidates with the
#: gold 0 with a reason; ``allow`` is the classic metric (TriviaQA containment pays "Paris London Berlin").
Hedges = Literal["zero", "allow"]

SQUAD = "Rajpurkar et al., 2016, 'SQuAD: 100,000+ Questions for Machine Comprehension of Text' (official evaluation)"


def squad_normalize(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces.

    >>> squad_normalize("The  Eiffel Tower!")
    'eiffel tower'
    """
    text = text.lower().translate(_PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD token F1 between two answers (normalised).

    >>> round(token_f1("the big red barn", "red barn"), 4)
    0.8
    """
    p, g = squad_normalize(prediction).split(), squad_normalize(gold).split()
    if not p or not g:
        return float(p == g)
    common = Counter(p) & Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


@reward("qa_em", source=SQUAD + " exact match", executor="inline")
def qa_em(completion: str, reference: Any, pattern: str | None = None, answer_tag: bool = True) -> float:
    """Exact match after SQuAD normalisation, best over the gold answers (SQuAD, Rajpurkar et al. 2016).
    The answer is the last ``<answer>`` tag (or ``pattern``'s group 1), else the whole completion.

    >>> qa_em("The Eiffel Tower.", ["eiffel tower", "Tour Eiffel"])
    1.0
    """
    pred = squad_normalize(answer_span(completion, pattern, answer_tag))
    return float(any(pred == squad_normalize(g) for g in gold_list(reference)))


@reward("qa_f1", source=SQUAD + " token F1", executor="inline")
def qa_f1(
    completion: str, reference: Any, pattern: str | None = None, answer_tag: bool = True, hedges: Hedges = "zero"
) -> RewardResult:
    """Token-level F1 after SQuAD normalisation, best over the gold answers (SQuAD, Rajpurkar et al. 2016).
    An answer that lists candidates around a gold answer or one of its words ("Broncos, Panthers or
    Patriots") is a hedge and scores 0 (``hedges: allow`` restores plain F1, which pays it 0.5).

    >>> qa_f1("<answer>the big red barn</answer>", ["red barn", "blue house"]).value
    0.8
    >>> qa_f1("Broncos, Panthers or Patriots", ["Denver Broncos"]).value
    0.0
    """
    pred = answer_span(completion, pattern, answer_tag)
    golds = gold_list(reference)
    if hedges == "zero":
        words = [w for g in golds for w in gold_tokens(g)]
        hedge = find_hedge(pred, golds + words)
        if hedge is not None:
            return _hedged(hedge.why, hedge.candidates)
    return RewardResult.ok(max(token_f1(pred, g) for g in golds))


def _hedged(why: str, candidates: tuple[str, ...]) -> RewardResult:
    shown = ", ".join(candidates[:8]) + (", ..." if len(candidates) > 8 else "")
    return RewardResult.ok(0.0, reason=f"{why} ({shown}): a hedge scores 0", info={"candidates": list(candidates)})


@reward("qa_contains", source="Joshi et al., 2017, TriviaQA; Search-R1 / ReSearch style answer containment", executor="inline")
def qa_contains(
    completion: str, reference: Any, pattern: str | None = None, answer_tag: bool = True, hedges: Hedges = "zero"
) -> RewardResult:
    """1 when a normalised gold answer occurs in the normalised answer as whole words (TriviaQA-style
    containment, Joshi et al. 2017; used as the outcome reward of search agents such as Search-R1), and
    the answer states it as one answer: a gold answer listed among other candidates ("Paris London Berlin
    Rome Madrid", "Berlin or Paris", "41 42 43") is a hedge and scores 0 with a reason
    (``rewardsmith.verifiers.alternatives``). ``hedges: allow`` is the classic metric, which pays sprays.

    >>> qa_contains("I think it was Barack Obama, in 2009.", ["Obama"]).value, qa_contains("Obamacare", ["Obama"]).value
    (1.0, 0.0)
    >>> r = qa_contains("Paris London Berlin Rome Madrid", ["Berlin"])
    >>> r.value, qa_contains("Paris London Berlin Rome Madrid", ["Berlin"], hedges="allow").value
    (0.0, 1.0)
    """
    span = answer_span(completion, pattern, answer_tag)
    pred = f" {squad_normalize(span)} "
    golds = gold_list(reference)
    if not any(f" {squad_normalize(g)} " in pred for g in golds if squad_normalize(g)):
        return RewardResult.ok(0.0, reason="no gold answer in the answer")
    if hedges == "zero":
        hedge = find_hedge(span, golds)
        if hedge is not None:
            return _hedged(hedge.why, hedge.candidates)
    return RewardResult.ok(1.0)
