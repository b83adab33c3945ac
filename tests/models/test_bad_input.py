"""Bad input to the model rewards (issue 6): a missing model path, a tokenizer without a chat template, texts
longer than the context window, policy and reference models with different vocabularies. Each is a clear
error result (or a truncation with a ``reason``) for that component, and the rest of the batch is scored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import RewardResult

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

ROWS = [{"prompt": "What is 2+2?", "completion": "A: 4", "reference": "4"},
        {"prompt": "What is 3+3?", "completion": "A: 5", "reference": "6"}]


def _score(component: dict[str, Any], rows: list[dict[str, Any]] = ROWS) -> list[RewardResult]:
    """Score rows with ``component`` next to ``math_equiv``, which must still score every row."""
    spec = {"name": "bad", "components": [dict(component, name="m"), {"name": "acc", "reward": "math_equiv"}]}
    with Engine(spec, cache=False) as eng:
        out = eng.score(rows)
    assert [r.components["acc"] for r in out] == [1.0, 0.0][: len(rows)]
    return out


@pytest.mark.parametrize("reward,params", [
    ("reward_model", {}),
    ("rm_ensemble", {"members": [{"model": "MISSING", "name": "a"}], "model": None}),
    ("ref_logprob", {}),
    ("self_certainty", {}),
    ("prm", {}),
    ("mc_step_value", {"k": 2}),
    ("implicit_prm", {"model": "TINY", "ref_model": "MISSING"}),
])
def test_missing_model_path(reward: str, params: dict[str, Any], tiny: dict[str, str], tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-model")
    fill = {"MISSING": missing, "TINY": tiny["lm"]}
    params = {"model": missing, **params}
    params = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in params.items() if v is not None}
    if "members" in params:  # an ensemble names its models per member
        params["members"] = [{**m, "model": missing} for m in params["members"]]
    for r in _score({"reward": reward, "params": params}):
        assert r.status.value == "error"
        assert "m: ModelLoadError" in (r.reason or "") and f"model path {missing!r} does not exist" in (r.reason or "")


def test_not_a_model_folder_and_missing_gguf(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    r = _score({"reward": "ref_logprob", "params": {"model": str(tmp_path / "empty")}})[0]
    assert r.status.value == "error" and "has no config.json (not a saved transformers model)" in (r.reason or "")
    r = _score({"reward": "ref_logprob", "params": {"model": str(tmp_path / "empty" / "model.Q4.gguf")}})[0]
    assert r.status.value == "error" and "GGUF file 'model.Q4.gguf' not found" in (r.reason or "")


def test_tokenizer_without_chat_template(tiny: dict[str, str]) -> None:
    for r in _score({"reward": "reward_model", "params": {"model": tiny["rm"], "chat_template": "require"}}):
        assert r.status.value == "error"
        assert "ChatTemplateError" in (r.reason or "") and "has no chat template (chat_template: require)" in (r.reason or "")
    auto = _score({"reward": "reward_model", "params": {"model": tiny["rm"]}})  # auto: the plain join, scored
    assert all(r.components["m"] is not None for r in auto)


def test_overlong_likelihood_truncates_or_errors(tiny: dict[str, str]) -> None:
    from rewardsmith.models.likelihood import ref_logprob

    tok = transformers.AutoTokenizer.from_pretrained(tiny["lm"], local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny["lm"], local_files_only=True).eval()
    long_prompt, cot, ref = "the sky " * 100, "so", "blue"  # 200-token prompt, a window of 128
    short = ("Name a colour.", "think", "red")
    cut, ok = ref_logprob([long_prompt, short[0]], [cot, short[1]], [ref, short[2]], model=tiny["lm"])
    assert ok.status.value == "ok" and ok.reason is None
    prefix = tok(long_prompt, add_special_tokens=False)["input_ids"]  # ends in a space: no newline added
    body = tok(cot + "\nAnswer: ", add_special_tokens=False)["input_ids"]
    target = tok(ref, add_special_tokens=False)["input_ids"]
    keep = 128 - len(body) - len(target)
    assert cut.status.value == "ok" and cut.reason == f"prompt cut from {len(prefix)} to {keep} tokens to fit 128"
    ids = prefix[-keep:] + body + target  # independent: the last tokens of the prompt that fit, by hand
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0], -1)
    want = sum(float(logp[len(ids) - len(target) - 1 + j, t]) for j, t in enumerate(target))
    assert cut.value == pytest.approx(want, abs=1e-4)

    err, ok2 = ref_logprob([long_prompt, short[0]], [cot, short[1]], [ref, short[2]], model=tiny["lm"], overlong="error")
    assert err.status.value == "error" and "do not fit the context window of 128 (overlong: error)" in (err.reason or "")
    assert ok2.value == pytest.approx(ok.value)  # the rest of the batch is scored
    alone = ref_logprob(["q"], ["word " * 200], [ref], model=tiny["lm"])[0]  # the completion alone is too long
    assert alone.status.value == "error" and "even with the prompt cut" in (alone.reason or "")


def test_overlong_prm_cuts_the_prompt_or_errors(tiny: dict[str, str]) -> None:
    from rewardsmith.process.prm import prm

    args = dict(model=tiny["lm"], step_tag="#", good_token="yes", bad_token="no")
    cut, too_long = prm(["the sky " * 100, "q"], ["step one\n\nstep two", "word " * 200], [None, None], **args)
    assert cut.status.value == "ok" and "prompt cut by" in (cut.reason or "") and len(cut.step_values or []) == 2
    assert too_long.status.value == "error" and "the steps alone exceed the PRM's limit of 128" in (too_long.reason or "")


def test_reference_model_vocab_mismatch(tiny: dict[str, str], tmp_path: Path) -> None:
    from transformers import AutoTokenizer, GPT2LMHeadModel

    tok = AutoTokenizer.from_pretrained(tiny["lm"], local_files_only=True)
    tok.add_tokens(["<step>", "<obs>"])
    other = GPT2LMHeadModel.from_pretrained(tiny["lm"], local_files_only=True)
    other.resize_token_embeddings(len(tok))
    other.save_pretrained(tmp_path / "other")
    tok.save_pretrained(tmp_path / "other")
    for reward, params in (("implicit_prm", {"model": tiny["lm"], "ref_model": str(tmp_path / "other")}),
                           ("density_ratio", {"model": tiny["lm"], "weak_model": str(tmp_path / "other")})):
        for r in _score({"reward": reward, "params": params}):
            assert r.status.value == "error" and "m: VocabMismatchError" in (r.reason or "")
            assert f"(vocab {len(tok) - 2} vs {len(tok)}" in (r.reason or "")
            assert "token log-prob ratios need the same vocabulary" in (r.reason or "")
