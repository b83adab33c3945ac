"""Question answering rewards with SQuAD-style normalisation: exact match, token F1, containment."""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any

from rewardsmith.registry import reward
from rewardsmith.verifiers.answers import answer_span, gold_list

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.IGNORECASE)
_PUNCT = str.maketrans("", "", string.punctuation + "‘’“”")

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
def qa_f1(completion: str, reference: Any, pattern: str | None = None, answer_tag: bool = True) -> float:
    """Token-level F1 after SQuAD normalisation, best over the gold answers (SQuAD, Rajpurkar et al. 2016).

    >>> qa_f1("<answer>the big red barn</answer>", ["red barn", "blue house"])
    0.8
    """
    pred = answer_span(completion, pattern, answer_tag)
    return max(token_f1(pred, g) for g in gold_list(reference))


@reward("qa_contains", source="Joshi et al., 2017, TriviaQA; Search-R1 / ReSearch style answer containment", executor="inline")
def qa_contains(completion: str, reference: Any, pattern: str | None = None, answer_tag: bool = True) -> float:
    """1 when a normalised gold answer occurs in the normalised answer as whole words (TriviaQA-style
    containment, Joshi et al. 2017; used as the outcome reward of search agents such as Search-R1).

    >>> qa_contains("I think it was Barack Obama, in 2009.", ["Obama"]), qa_contains("Obamacare", ["Obama"])
    (1.0, 0.0)
    """
    pred = f" {squad_normalize(answer_span(completion, pattern, answer_tag))} "
    return float(any(f" {squad_normalize(g)} " in pred for g in gold_list(reference) if squad_normalize(g)))
