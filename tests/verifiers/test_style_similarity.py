"""Reasoning phrases, language consistency, BLEU/ROUGE/chrF and the MiniLM embedding similarity."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import Status
from rewardsmith.verifiers.similarity import bleu, chrf, minilm_path, rouge
from rewardsmith.verifiers.style import language_consistency, reasoning_phrases


def test_reasoning_phrases_counts_distinct_phrases() -> None:
    text = "First, I need to find x. Let me try 2. Wait, let me verify: 2*3=6. Therefore x=2."
    r = reasoning_phrases(text, target=10, min_words=0)
    # distinct: "first, i need to", "let me", "wait", "verify", "therefore" = 5 of target 10
    assert r.value == pytest.approx(0.5)
    assert set(r.info["phrases"]) == {"first, i need to", "let me", "wait", "verify", "therefore"}
    assert reasoning_phrases(text, target=10, distinct=False, min_words=0).value == pytest.approx(0.6)  # "let me" twice
    # default min_words 2: "Wait," and the second "let me" are followed at once by another phrase
    r = reasoning_phrases(text, target=10)
    assert set(r.info["phrases"]) == {"first, i need to", "let me", "verify", "therefore"} and r.value == pytest.approx(0.4)
    assert reasoning_phrases("Lettuce waits.", phrases=["let me", "wait"]).value == 0.0  # word boundaries
    assert reasoning_phrases("x = 2").value == 0.0


def test_language_consistency_scripts() -> None:
    assert language_consistency("Сколько будет 2+2?", "Будет четыре.").value == 1.0
    mixed = language_consistency("Сколько будет 2+2?", "It is четыре")  # 4 Latin letters, 6 Cyrillic
    assert mixed.value == pytest.approx(6 / 10)
    assert language_consistency("What is $x$?", "答案是 4").value == 0.0
    # code and LaTeX do not count as language
    assert language_consistency("解方程", "答案 $x = 2$ ```python\nprint(x)\n```").value == 1.0
    assert language_consistency("日本語で答えて", "はい、わかりました").value == 1.0
    with Engine({"components": [{"name": "l", "reward": "language_consistency"}]}, cache=False) as engine:
        r = engine.score([{"prompt": "2+2=?", "completion": "4"}])[0]
    assert r.status is Status.ABSTAIN


def test_bleu_matches_hand_computation() -> None:
    # hyp "the cat sat on a mat" vs ref "the cat sat on the mat": precisions 5/6, 3/5, 2/4, 1/3, BP = 1
    expected = math.exp(sum(math.log(p) for p in (5 / 6, 3 / 5, 2 / 4, 1 / 3)) / 4)
    assert bleu("the cat sat on a mat", "the cat sat on the mat") == pytest.approx(expected, abs=1e-9)
    assert bleu("the cat sat on the mat", ["a dog", "the cat sat on the mat"]) == pytest.approx(1.0)


def test_rouge_hand_computed() -> None:
    ref = "the cat sat on the mat"
    assert rouge("the cat sat", ref, rouge_type="rouge1", measure="recall") == pytest.approx(0.5)
    # LCS "the cat sat" = 3: P = 1, R = 1/2, F = 2/3
    assert rouge("the cat sat", ref, rouge_type="rougeL") == pytest.approx(2 / 3)
    # bigrams of hyp: the cat, cat sat (both in ref) -> P = 1, R = 2/5, F = 4/7
    assert rouge("the cat sat", ref, rouge_type="rouge2") == pytest.approx(4 / 7)
    assert rouge("cats sitting", "cat sits", rouge_type="rouge1") == pytest.approx(1.0)  # Porter stemmer
    assert rouge("cats sitting", "cat sits", rouge_type="rouge1", stemmer=False) == 0.0


def test_rouge_scores_every_script() -> None:
    """rouge-score keeps only [a-z0-9]: identical Chinese or Russian strings had no tokens and scored 0."""
    assert rouge("今天天气很好", "今天天气很好") == 1.0
    assert rouge("Сегодня хорошая погода", "Сегодня хорошая погода") == 1.0
    # by hand: 今 天 天 气 很 好 vs 今 天 下 雨: unigram overlap 今, 天 -> P = 2/6, R = 2/4, F = 0.4
    assert rouge("今天天气很好", "今天下雨", rouge_type="rouge1") == pytest.approx(0.4)
    assert rouge("хорошая погода", "Сегодня хорошая погода", rouge_type="rouge1", measure="recall") == pytest.approx(2 / 3)
    assert rouge("今天天气很好", "Сегодня хорошая погода") == 0.0


def test_rouge_tokenizer_equals_rouge_scores_own_on_english(shared_data: Path) -> None:
    """On real English dialogue text (hh-rlhf, letters and digits all ASCII), the tokenizer is rouge-score's
    own, stemmed or not."""
    import gzip
    import json

    from nltk.stem import porter
    from rouge_score import tokenize

    from rewardsmith.verifiers.similarity import UnicodeRougeTokenizer

    with gzip.open(shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz", "rt") as f:
        texts = [json.loads(line)["chosen"] for line, _ in zip(f, range(300))]
    texts = [t for t in texts if all(c.isascii() for c in t if c.isalnum())]
    assert len(texts) > 250
    for stem in (True, False):
        ours, theirs = UnicodeRougeTokenizer(stem), porter.PorterStemmer() if stem else None
        assert [ours.tokenize(t) for t in texts] == [tokenize.tokenize(t, theirs) for t in texts]


def test_repetition_penalizes_a_looped_chinese_phrase() -> None:
    from rewardsmith.compose.length import repetition

    looped = "我们来计算一下" * 200  # no spaces: one "word" before, so no penalty at all
    # 1,400 characters, 1,398 trigrams, 7 distinct: -(1 - 7/1398)
    assert repetition(looped) == pytest.approx(-(1 - 7 / 1398))
    assert repetition("小明有三个苹果，他吃了一个，还剩两个。") == 0.0


def test_reasoning_phrases_reads_typographic_apostrophes() -> None:
    straight = reasoning_phrases("Let's check it. Wait, therefore 4.", min_words=0)
    curly = reasoning_phrases("Let\u2019s check it. Wait, therefore 4.", min_words=0)
    assert curly.value == straight.value == 1.0 and curly.info == straight.info
    assert "let's" in curly.info["phrases"]
    assert reasoning_phrases("Let\u2019s go on", phrases=["let\u2019s"], target=1).value == 1.0


@pytest.mark.parametrize(
    "spray",
    [
        "let me wait verify therefore",
        "Let me. Wait. Verify. Therefore. Alternatively. However. In summary.",
        "first, i need to let me let's step by step wait verify double-check check alternatively on the other hand "
        "however therefore so the answer this means in summary",
        "Wait, wait, wait, wait, wait, wait! Let me, let me, let me.",
    ],
)
def test_reasoning_phrases_bare_lists_earn_nothing(spray: str) -> None:
    assert reasoning_phrases(spray, min_words=0).value >= 2 / 3  # the plain count pays a list of the phrases
    r = reasoning_phrases(spray)
    assert r.value == 0.0 and r.reason is not None and r.reason.startswith("key phrases without reasoning")


def test_language_consistency_any_script() -> None:
    """Telugu (and any script Unicode names) is a language: before, the prompt had 'no letters' and abstained."""
    te = "మీ పేరు ఏమిటి?"
    assert language_consistency(te, "నా పేరు రాము.").value == 1.0
    assert language_consistency(te, "My name is Ramu.").value == 0.0
    mixed = language_consistency(te, "నా name")  # 1 Telugu letter (the vowel sign is a mark, not a letter), 4 Latin
    assert mixed.value == pytest.approx(1 / 5) and mixed.info["language"] == "Telugu"
    assert language_consistency("ভাত খাও", "ভাত").info["language"] == "Bengali"
    assert language_consistency("Γεια σου", "Hello", language="Greek").value == 0.0


def test_chrf_bounds_and_best_reference() -> None:
    assert chrf("the cat", ["the cat"]) == pytest.approx(1.0)
    assert chrf("xyz", ["abc"]) == 0.0
    one = chrf("the cat sat", ["the cat sits"])
    assert 0 < one < 1
    assert chrf("the cat sat", ["qqq", "the cat sits"]) == pytest.approx(one)


@pytest.fixture(scope="module")
def minilm() -> tuple[object, object]:
    pytest.importorskip("sentence_transformers")
    from transformers import AutoModel, AutoTokenizer

    path = minilm_path()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)


def _mean_pooled(tokenizer: object, model: object, text: str) -> list[float]:
    import torch

    batch = tokenizer([text], return_tensors="pt", padding=True, truncation=True)  # type: ignore[operator]
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state  # type: ignore[operator]
    mask = batch["attention_mask"].unsqueeze(-1).float()
    vec = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(vec, dim=-1)[0].tolist()


def test_embedding_similarity_through_engine_matches_manual_pooling(minilm: tuple[object, object]) -> None:
    tokenizer, model = minilm
    rows = [
        {"prompt": "q", "completion": "A cat is sleeping on the sofa.", "reference": "A kitten naps on the couch."},
        {"prompt": "q", "completion": "A cat is sleeping on the sofa.", "reference": ["Stock markets fell sharply.", "A kitten naps on the couch."]},
        {"prompt": "q", "completion": "A cat is sleeping on the sofa.", "reference": "Stock markets fell sharply today."},
        {"prompt": "q", "completion": "anything"},
    ]
    with Engine({"components": [{"name": "emb", "reward": "embedding_similarity"}]}, cache=False) as engine:
        results = engine.score(rows)
    a, b = (_mean_pooled(tokenizer, model, t) for t in ("A cat is sleeping on the sofa.", "A kitten naps on the couch."))
    expected = sum(x * y for x, y in zip(a, b))
    assert results[0].value == pytest.approx(expected, abs=1e-4)
    assert results[1].value == pytest.approx(expected, abs=1e-4)  # best of the references
    assert results[2].value is not None and results[2].value < results[0].value - 0.3
    assert results[3].status is Status.ABSTAIN


REF = "The cat sat on the mat."
HONEST_TRANSLATION = "A cat was sitting on the mat."
PARAPHRASE_SPRAY = "A cat was sitting on the mat. A kitten sat on a rug."  # two candidate translations


def test_chrf_pays_no_candidate_spray() -> None:
    plain = chrf(PARAPHRASE_SPRAY, REF, max_length_ratio=None)
    assert plain > chrf(HONEST_TRANSLATION, REF)  # chrF's beta 2 pays the spray more than the honest line
    assert chrf(PARAPHRASE_SPRAY, REF) < chrf(HONEST_TRANSLATION, REF)
    assert chrf(HONEST_TRANSLATION, REF) == chrf(HONEST_TRANSLATION, REF, max_length_ratio=None)  # within 2x: unchanged


@pytest.mark.parametrize("rouge_type", ["rouge1", "rouge2", "rougeL"])
def test_rouge_recall_pays_no_padding(rouge_type: str) -> None:
    salad = REF + " " + " ".join(["the a cat dog mat sat on rug"] * 20)
    assert rouge(salad, REF, rouge_type=rouge_type, measure="recall", max_length_ratio=None) == 1.0
    assert rouge(salad, REF, rouge_type=rouge_type, measure="recall") < 0.01
    assert rouge(HONEST_TRANSLATION, REF, rouge_type=rouge_type, measure="recall") == rouge(
        HONEST_TRANSLATION, REF, rouge_type=rouge_type, measure="recall", max_length_ratio=None
    )


def test_embedding_similarity_pays_no_paraphrase_spray(minilm: tuple[object, object]) -> None:
    """Audit (no change needed): several candidate paraphrases, or a keyword salad, embed further from the
    reference than one honest paraphrase (mean pooling dilutes the match)."""
    from rewardsmith.verifiers.similarity import embedding_similarity

    ref = "The cat sat on the mat."
    honest, spray, salad = embedding_similarity(
        ["A cat was sitting on the mat.",
         "A cat was sitting on the mat. Or a dog on the sofa. Or a bird in a tree. Or a fish in a bowl.",
         "cat mat sat sitting kitten rug"],
        [ref] * 3,
    )
    assert honest is not None and spray is not None and salad is not None
    assert spray < honest - 0.1 and salad < honest - 0.1
