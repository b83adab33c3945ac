"""Model rewards against independent torch computations on tiny models built from a config (``tiny``, tests/conftest.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def _direct_logprob(path: str, prefix: str, target: str) -> list[float]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True).eval()
    p = tok(prefix, add_special_tokens=False)["input_ids"] or [tok.cls_token_id]
    t = tok(target, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([p + t])
    with torch.no_grad():
        logp = torch.log_softmax(model(ids).logits[0].float(), -1)
    return [float(logp[len(p) - 1 + j, t[j]]) for j in range(len(t))]


def test_ref_logprob_equals_direct_sum(tiny: dict[str, str]) -> None:
    from rewardsmith.models.likelihood import ref_logprob

    prompts = ["What is 2+2?", "What is 2+2?", "Name a colour."]
    comps = ["two plus two", "it is four", "think"]
    refs = ["4", "4", "blue"]
    got = ref_logprob(prompts, comps, refs, model=tiny["lm"], form="logprob")
    for p, c, r, res in zip(prompts, comps, refs, got):
        assert res.status.value == "ok"
        # piecewise: prefix = prompt + newline; body = completion + answer prefix; target = reference
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(tiny["lm"], local_files_only=True)
        prefix_ids = tok(p + "\n", add_special_tokens=False)["input_ids"]
        body_ids = tok(c + "\nAnswer: ", add_special_tokens=False)["input_ids"]
        t_ids = tok(r, add_special_tokens=False)["input_ids"]
        model = transformers.AutoModelForCausalLM.from_pretrained(tiny["lm"], local_files_only=True).eval()
        ids = prefix_ids + body_ids + t_ids
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0], -1)
        start = len(prefix_ids) + len(body_ids)
        want = sum(float(logp[start - 1 + j, t_ids[j]]) for j in range(len(t_ids)))
        assert res.value == pytest.approx(want, abs=1e-4)
        assert res.components["tokens"] == len(t_ids)
    mean = ref_logprob(prompts[:1], comps[:1], refs[:1], model=tiny["lm"], form="prob")[0]
    assert mean.value == pytest.approx(math.exp(got[0].value), rel=1e-4)
    assert ref_logprob(["q"], ["c"], [None], model=tiny["lm"])[0].status.value == "abstain"


def test_prefix_reuse_matches_recompute(tiny: dict[str, str]) -> None:
    from rewardsmith.models.loading import load_model
    from rewardsmith.models.logprobs import LPRequest, TransformersLogProbs

    loaded = load_model(tiny["lm"], "causal_lm", "cpu")
    reqs = [LPRequest("Shared prompt here\n", "", c) for c in ["a", "b c d e", "the long answer is five", ""]]
    reqs.append(LPRequest("other prompt\n", "body ", "x y"))
    shared = TransformersLogProbs(loaded, batch_size=3, prefix_reuse=True).score(reqs, certainty=True)
    full = TransformersLogProbs(loaded, batch_size=3, prefix_reuse=False).score(reqs, certainty=True)
    for a, b in zip(shared, full):
        assert a.target_logprobs == pytest.approx(b.target_logprobs, abs=1e-4)
        assert a.body_logprobs == pytest.approx(b.body_logprobs, abs=1e-4)
        assert (a.certainty or []) == pytest.approx(b.certainty or [], abs=1e-4)
    assert shared[0].target_logprobs == pytest.approx(_direct_logprob(tiny["lm"], "Shared prompt here\n", "a"), abs=1e-4)


def test_self_certainty_and_density_ratio_and_implicit_prm(tiny: dict[str, str]) -> None:
    from rewardsmith.models.implicit_prm import implicit_prm
    from rewardsmith.models.likelihood import density_ratio, self_certainty

    p, c = "Solve it.", "first step\n\nsecond step"
    strong = _direct_logprob(tiny["lm"], p + "\n", c)
    weak = _direct_logprob(tiny["ref"], p + "\n", c)
    dr = density_ratio([p], [c], model=tiny["lm"], weak_model=tiny["ref"])[0]
    assert dr.value == pytest.approx(sum(strong) - sum(weak), abs=1e-4)
    ip = implicit_prm([p], [c], model=tiny["lm"], ref_model=tiny["ref"], beta=0.5)[0]
    assert ip.value == pytest.approx(0.5 * (sum(strong) - sum(weak)), abs=1e-4)
    assert len(ip.step_values) == 2 and sum(ip.step_values) == pytest.approx(ip.value, abs=1e-5)
    sc = self_certainty([p], [c], model=tiny["lm"])[0]
    # independent: KL(U || p) = -log V - mean_j log p_j, averaged over the completion's tokens
    tok = transformers.AutoTokenizer.from_pretrained(tiny["lm"], local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny["lm"], local_files_only=True).eval()
    pi, ci = tok(p + "\n", add_special_tokens=False)["input_ids"], tok(c, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([pi + ci])).logits[0], -1)
    rows = logp[len(pi) - 1 : len(pi) - 1 + len(ci)]
    want = float((-math.log(rows.shape[-1]) - rows.mean(-1)).mean())
    assert sc.value == pytest.approx(want, abs=1e-4)


def test_reward_model_matches_direct_and_buckets(tiny: dict[str, str]) -> None:
    from rewardsmith.models.reward_model import reward_model

    prompts = ["hi", "tell me a long story about dragons and castles", "x"]
    comps = ["hello there", "once upon a time there was a dragon who lived in a castle", "y"]
    got = reward_model(prompts, comps, [None] * 3, model=tiny["rm"], batch_size=2)
    tok = transformers.AutoTokenizer.from_pretrained(tiny["rm"], local_files_only=True)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(tiny["rm"], local_files_only=True).eval()
    for p, c, r in zip(prompts, comps, got):
        enc = tok(p + "\n" + c, return_tensors="pt")  # no chat template: plain join
        with torch.no_grad():  # single-segment input: no token_type_ids (GPT-2 would embed them)
            assert r.value == pytest.approx(float(model(input_ids=enc["input_ids"]).logits[0, 0]), abs=1e-4)
    long = "word " * 400
    trunc = reward_model(["q"], [long], [None], model=tiny["rm"])[0]
    assert trunc.status.value == "ok" and "truncated" in (trunc.reason or "")
    err = reward_model(["q"], [long], [None], model=tiny["rm"], overlong="error")[0]
    assert err.status.value == "error" and "limit" in (err.reason or "")
    with pytest.raises(ValueError, match="no chat template"):
        reward_model(["q"], ["a"], [None], model=tiny["rm"], chat_template="require")


def test_missing_model_and_vocab_mismatch(tiny: dict[str, str], tmp_path: Path) -> None:
    from rewardsmith.engine.runner import Engine
    from rewardsmith.models.loading import ModelLoadError, load_model

    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(str(tmp_path / "nope"), "causal_lm")
    spec = {"name": "t", "components": [{"name": "rm", "reward": "reward_model", "params": {"model": str(tmp_path / "nope")}}]}
    with Engine(spec, cache=False) as eng:
        res = eng.score([{"prompt": "q", "completion": "a"}])[0]
    assert res.status.value == "error" and "does not exist" in (res.reason or "")


def test_ensemble_hand_numbers(tiny: dict[str, str]) -> None:
    from rewardsmith.models.ensemble import rm_ensemble
    from rewardsmith.models.reward_model import reward_model

    single = reward_model(["q"], ["a b"], [None], model=tiny["rm"])[0].value
    members = [{"model": tiny["rm"], "name": "a"}, {"model": tiny["rm"], "name": "b", "label_index": 0}]
    for how in ("mean", "min", "mean_minus_std"):
        r = rm_ensemble(["q"], ["a b"], [None], members=members, aggregate=how, k=2.0)[0]
        assert r.value == pytest.approx(single, abs=1e-5)  # identical members: std 0
        assert r.components == {"a": pytest.approx(single), "b": pytest.approx(single)}
    with pytest.raises(ValueError, match="label_index 3 is out of range"):
        rm_ensemble(["q"], ["a"], [None], members=[{"model": tiny["rm"], "name": "a", "label_index": 3}])


def test_ensemble_aggregates_by_hand() -> None:
    from rewardsmith.models.ensemble import aggregate_scores

    scores = [1.0, 2.0, 4.0]
    std = math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 3)
    assert aggregate_scores(scores, "mean") == pytest.approx(7 / 3)
    assert aggregate_scores(scores, "min") == 1.0
    assert aggregate_scores(scores, "mean_minus_std", k=0.5) == pytest.approx(7 / 3 - 0.5 * std)


def test_prm_token_probs_and_aggregation(tiny: dict[str, str]) -> None:
    from rewardsmith.process.prm import build_prm_input, prm

    tok = transformers.AutoTokenizer.from_pretrained(tiny["lm"], local_files_only=True)
    good, bad, tag = "yes", "no", "#"
    c = "step one\n\nstep two\n\nstep three"
    r = prm(["Q"], [c], [None], model=tiny["lm"], step_tag=tag, good_token=good, bad_token=bad, aggregate="product")[0]
    tag_id = tok(tag, add_special_tokens=False)["input_ids"][0]
    ids, pos = build_prm_input(tok, "Q", ["step one", "step two", "step three"], tag_id)
    model = transformers.AutoModelForCausalLM.from_pretrained(tiny["lm"], local_files_only=True).eval()
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0]
    g, b = tok(good, add_special_tokens=False)["input_ids"][0], tok(bad, add_special_tokens=False)["input_ids"][0]
    want = [float(torch.softmax(torch.stack([logits[q, g], logits[q, b]]), 0)[0]) for q in pos]
    assert r.step_values == pytest.approx(want, abs=1e-4)
    assert r.value == pytest.approx(math.prod(want), abs=1e-5)
    with pytest.raises(ValueError, match="exactly one token"):
        prm(["Q"], [c], [None], model=tiny["lm"], step_tag="two words here")


def _piece_logprobs(path: str, pieces: list[str]) -> list[list[float]]:
    """Log-probs of the tokens of pieces[1:], each piece tokenised alone, after pieces[0] (the prefix)."""
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True).eval()
    parts = [tok(p, add_special_tokens=False)["input_ids"] for p in pieces]
    parts[0] = parts[0] or [tok.cls_token_id]
    ids = [t for part in parts for t in part]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0], -1)
    out, pos = [], len(parts[0])
    for part in parts[1:]:
        out.append([float(logp[pos + j - 1, t]) for j, t in enumerate(part)])
        pos += len(part)
    return out


def test_self_aligned_followup_and_info_gain_by_hand(tiny: dict[str, str]) -> None:
    from rewardsmith.models.likelihood import followup_likelihood, info_gain, self_aligned

    p, c = "Name a colour.", "the sky is blue"
    (cond,) = _piece_logprobs(tiny["lm"], [p + "\n", c])
    (alone,) = _piece_logprobs(tiny["lm"], ["", c])
    ppl_c, ppl_a = math.exp(-sum(cond) / len(cond)), math.exp(-sum(alone) / len(alone))
    sar = self_aligned([p], [c], model=tiny["lm"], clip=None)[0]
    assert sar.value == pytest.approx((ppl_a - ppl_c) / ppl_a, abs=1e-4)
    assert sar.components["ppl_alone"] == pytest.approx(ppl_a, rel=1e-4)

    flr = followup_likelihood([p], [c], model=tiny["lm"], positive=["thanks a lot", "great"], negative=["wrong"])[0]
    means = []
    for f in ("thanks a lot", "great", "wrong"):
        _, lp = _piece_logprobs(tiny["lm"], [p + "\n", c + "\nUser: ", f])
        means.append(sum(lp) / len(lp))
    assert flr.value == pytest.approx((means[0] + means[1]) / 2 - means[2], abs=1e-4)

    turns = ["look outside", "it is blue"]
    ig = info_gain([p], ["\n\n".join(turns)], ["blue"], [None], model=tiny["lm"], form="mean_prob")[0]
    probs = []
    for t in range(3):
        _, lp = _piece_logprobs(tiny["lm"], [p + "\n", "\n\n".join(turns[:t]) + "\nAnswer: ", "blue"])
        probs.append(sum(math.exp(v) for v in lp) / len(lp))
    assert ig.step_values == pytest.approx([probs[1] - probs[0], probs[2] - probs[1]], abs=1e-5)
    assert ig.value == pytest.approx(probs[2] - probs[0], abs=1e-5)
    empty = self_aligned([p], [""], model=tiny["lm"])[0]
    assert empty.status.value == "abstain" and empty.reason == "empty completion"


def test_prefix_reuse_reads_the_prompt_once_and_skips_its_lm_head(tiny: dict[str, str]) -> None:
    """Four completions of one long prompt: the body sees the prompt once (not four times), and the LM head
    runs on the prompt's last position only (``logits_to_keep``), not on every prompt position."""
    from rewardsmith.models.loading import load_model
    from rewardsmith.models.logprobs import LPRequest, TransformersLogProbs

    loaded = load_model(tiny["lm"], "causal_lm", "cpu")
    prompt = "Question: a farmer has seventeen sheep and all but nine run away. How many are left?\n"
    comps = ["nine", "eight sheep are left", "the answer is nine sheep", "17"]
    reqs = [LPRequest(prompt, "", c) for c in comps]
    tok = loaded.tokenizer
    P = len(tok(prompt, add_special_tokens=False)["input_ids"])
    rest = [len(tok(c, add_special_tokens=False)["input_ids"]) for c in comps]
    counts = {"embedded": 0, "head_rows": 0}

    def on_embed(_m, args, _o):  # type: ignore[no-untyped-def]
        counts["embedded"] += int(args[0].numel())

    def on_head(_m, args, _o):  # type: ignore[no-untyped-def]
        counts["head_rows"] += int(args[0].shape[0] * args[0].shape[1])

    hooks = [
        loaded.model.get_input_embeddings().register_forward_hook(on_embed),
        loaded.model.get_output_embeddings().register_forward_hook(on_head),
    ]
    try:
        TransformersLogProbs(loaded, batch_size=2, prefix_reuse=True).score(reqs)
        shared = dict(counts)
        counts.update(embedded=0, head_rows=0)
        TransformersLogProbs(loaded, batch_size=2, prefix_reuse=False).score(reqs)
        full = dict(counts)
    finally:
        for h in hooks:
            h.remove()
    assert full["embedded"] >= 4 * P + sum(rest)
    # the prompt once; the continuations padded within their (at most two-row) batches
    assert P + sum(rest) <= shared["embedded"] <= P + sum(rest) + 2 * max(rest)
    assert shared["head_rows"] == 1 + shared["embedded"] - P
