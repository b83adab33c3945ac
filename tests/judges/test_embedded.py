"""End to end with real local models: the embedded SmolLM2-135M-Instruct judge (the default when no judge is
configured) and the transformers backend on a tiny model built from a config."""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.judges.backends.base import JudgeRequest
from rewardsmith.judges.backends.local import LocalBackend
from rewardsmith.judges.kinds.yes_prob import yes_probability
from rewardsmith.spec import load_spec
from rewardsmith.types import Status

QUESTION = "What is the capital of France?"


def test_embedded_smollm2_judges_run_parse_and_stay_in_range(embedded_model: Any, caplog: pytest.LogCaptureFixture) -> None:
    import rewardsmith.judges.operations as ops

    ops._EMBEDDED_SAID = False
    spec = load_spec(
        {
            "components": [
                {"name": "score", "reward": "judge_score", "params": {"max_tokens": 8}},
                {"name": "ref", "reward": "reference_verifier", "params": {"max_tokens": 8}},
                {"name": "pyes", "reward": "judge_yes_prob"},
            ]
        }
    )
    rows = [
        {"prompt": QUESTION, "completion": "The capital of France is Paris.", "reference": "Paris"},
        {"prompt": QUESTION, "completion": "Thought process:", "reference": "Paris"},
    ]
    with caplog.at_level(logging.WARNING, logger="rewardsmith"):
        results = spec.score(rows, cache=False)
    spec.close()
    real, key = results
    assert real.status is Status.OK, real.reason
    for name in ("score", "ref", "pyes"):
        assert 0.0 <= real.components[name] <= 1.0  # type: ignore[operator]
    assert real.components["ref"] in (0.0, 1.0)
    assert real.components["score.raw_score"] in range(1, 11)
    assert real.info["score"]["judge"] == "embedded:smollm2-135m-instruct-q4_1"
    assert real.info["score"]["completion_tokens"] >= 1
    # the master key never reached the model
    assert key.components["score"] == key.components["ref"] == key.components["pyes"] == 0.0
    said = [r for r in caplog.records if "no judge configured" in r.getMessage()]
    assert len(said) == 1


def test_embedded_reports_an_unreadable_verdict_instead_of_guessing(embedded_model: Any) -> None:
    from rewardsmith.judges.kinds.rubric import rubric

    # SmolLM2-135M cannot fill a two-item checklist in one call: whatever it says, the result is either a
    # parsed verdict or an error naming the unparseable reply — never an invented value.
    r = asyncio.run(rubric(QUESTION, "Paris, on the Seine.", rubric=["names Paris", "mentions the Seine"], max_tokens=16))
    if r.status is Status.ERROR:
        assert "unparseable" in (r.reason or "")
    else:
        assert r.value in (0.0, 0.5, 1.0)


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory, embedded_model: Any) -> Path:
    """A 2-layer Llama with random weights and SmolLM2's tokenizer, saved as a model folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    _, tokenizer, _ = embedded_model
    folder = tmp_path_factory.mktemp("tiny-judge")
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_transformers_backend_yes_probability_matches_the_model(tiny_model_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    backend = LocalBackend(str(tiny_model_dir))
    messages = ({"role": "user", "content": "Is Paris the capital of France? Answer yes or no."},)
    vocab = 49152
    reply = asyncio.run(backend.complete(JudgeRequest(messages=messages, max_tokens=1, logprobs=True, top_logprobs=vocab)))
    assert reply.prompt_tokens > 10 and len(reply.texts) == 1
    assert reply.top_logprobs is not None
    got = yes_probability(reply.top_logprobs[0])

    # independently: one forward pass over the same chat-formatted prompt
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    text = tok.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
    ids = tok(text, return_tensors="pt", add_special_tokens=False)["input_ids"]
    with torch.inference_mode():
        probs = torch.softmax(model(ids).logits[0, -1].float(), dim=-1)
    p_yes = p_no = 0.0
    for i in range(len(tok)):
        word = tok.decode([i]).strip().strip(".,!:\"'*").lower()
        if word == "yes":
            p_yes += float(probs[i])
        elif word == "no":
            p_no += float(probs[i])
    assert got == pytest.approx(p_yes / (p_yes + p_no), rel=1e-3)
    assert 0.0 < got < 1.0 and not math.isnan(got)


def test_transformers_backend_drops_image_parts_and_says_so(tiny_model_dir: Path) -> None:
    backend = LocalBackend(str(tiny_model_dir))
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    messages = ({"role": "user", "content": [{"type": "text", "text": "Describe."}, image]},)
    reply = asyncio.run(backend.complete(JudgeRequest(messages=messages, max_tokens=2)))
    assert reply.info["image_parts_dropped"] == 1
    assert reply.completion_tokens <= 2
