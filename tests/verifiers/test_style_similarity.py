"""Reasoning phrases, language consistency, BLEU/ROUGE/chrF and the MiniLM embedding similarity."""

from __future__ import annotations

import math

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import Status
from rewardsmith.verifiers.similarity import bleu, chrf, minilm_path, rouge
from rewardsmith.verifiers.style import language_consistency, reasoning_phrases


def test_reasoning_phrases_counts_distinct_phrases() -> None:
    text = "First, I need to find x. Let me try 2. Wait, let me verify: 2*3=6. Therefore x=2."
    r = reasoning_phrases(text, target=10)
    # distinct: "first, i need to", "let me", "wait", "verify", "therefore" = 5 of target 10
    assert r.value == pytest.approx(0.5)
    assert set(r.info["phrases"]) == {"first, i need to", "let me", "wait", "verify", "therefore"}
    assert reasoning_phrases(text, target=10, distinct=False).value == pytest.approx(0.6)  # "let me" twice
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
