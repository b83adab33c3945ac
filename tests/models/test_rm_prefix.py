"""Reward-model prefix reuse: completions of one prompt run the prompt once, and score exactly as whole passes."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from tests.conftest import minilm_dir  # noqa: E402

PROMPT = "Human: How do I keep my tomato plants healthy through a hot and dry summer? Give me practical tips.\n\nAssistant:"
SECOND = "Human: Write one sentence about the history of the printing press in Europe, please.\n\nAssistant:"
COMPLETIONS = [
    " Water deeply in the morning.",
    " Mulch the soil, water at the base early in the day, and give them afternoon shade when it is very hot.",
    " Water deeply in the morning.",  # a duplicate
    " No.",
    " Water",  # a strict prefix of another completion
]


def _direct(path: str, texts: list[str]) -> list[float]:
    tok = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True).eval()
    out = []
    with torch.no_grad():
        for t in texts:
            ids = tok(t, return_tensors="pt")["input_ids"]
            out.append(float(model(input_ids=ids).logits[0, 0]))
    return out


def _save(model: torch.nn.Module, root: Path) -> str:
    tok = transformers.AutoTokenizer.from_pretrained(minilm_dir(), local_files_only=True)
    model.save_pretrained(root)
    tok.save_pretrained(root)
    return str(root)


@pytest.fixture(scope="module")
def llama_rm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny Llama sequence classifier (the architecture of most open reward models), saved and reloaded."""
    tok = transformers.AutoTokenizer.from_pretrained(minilm_dir(), local_files_only=True)
    cfg = transformers.LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, num_labels=1, pad_token_id=tok.pad_token_id,
        bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id,
    )
    torch.manual_seed(3)
    return _save(transformers.LlamaForSequenceClassification(cfg), tmp_path_factory.mktemp("llama_rm"))


@pytest.fixture(scope="module")
def bert_rm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny bidirectional classifier: its prompt states depend on the completion, so no reuse is allowed."""
    tok = transformers.AutoTokenizer.from_pretrained(minilm_dir(), local_files_only=True)
    cfg = transformers.BertConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=256, num_labels=1, pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(4)
    return _save(transformers.BertForSequenceClassification(cfg), tmp_path_factory.mktemp("bert_rm"))


def _tokens_embedded(loaded, fn) -> int:  # type: ignore[no-untyped-def]
    """Tokens that went through the model's input embedding while ``fn`` ran."""
    counted = [0]
    handle = loaded.model.get_input_embeddings().register_forward_hook(
        lambda _m, args, _out: counted.__setitem__(0, counted[0] + int(args[0].numel()))
    )
    try:
        fn()
    finally:
        handle.remove()
    return counted[0]


@pytest.mark.parametrize("which", ["gpt2", "llama"])
def test_shared_prompt_scores_equal_whole_passes_and_run_the_prompt_once(
    which: str, tiny: dict[str, str], llama_rm: str
) -> None:
    from rewardsmith.models.reward_model import RMSettings, load_rm, reward_model
    from rewardsmith.models.rm_prefix import prefix_reuse_safe

    path = tiny["rm"] if which == "gpt2" else llama_rm
    prompts = [PROMPT] * len(COMPLETIONS) + ["Another, unrelated prompt"] * 2 + [SECOND] * 2
    comps = COMPLETIONS + ["ok", "sure thing", " Fine.", " I would rather not say, to be honest with you."]
    loaded = load_rm(RMSettings(model=path, device="cpu"))
    assert prefix_reuse_safe(loaded)

    def run(reuse: bool) -> list:  # type: ignore[type-arg]
        return reward_model(prompts, comps, [None] * len(prompts), model=path, device="cpu", batch_size=3, prefix_reuse=reuse)

    shared_tokens = _tokens_embedded(loaded, lambda: run(True))
    whole_tokens = _tokens_embedded(loaded, lambda: run(False))
    shared, whole = run(True), run(False)
    direct = _direct(path, [p + "\n" + c for p, c in zip(prompts, comps)])
    for s, w, d in zip(shared, whole, direct):
        assert s.status.value == w.status.value == "ok"
        assert s.value == pytest.approx(d, abs=1e-4)
        assert w.value == pytest.approx(d, abs=1e-4)
    assert shared[0].value == pytest.approx(shared[2].value, abs=1e-6)
    # each long prompt ran once (its five / two completions read it once; both prompts in one pass)
    tok = loaded.tokenizer
    saved = 4 * (len(tok(PROMPT + "\n")["input_ids"]) - 2) + (len(tok(SECOND + "\n")["input_ids"]) - 2)
    assert whole_tokens - shared_tokens >= 0.8 * saved  # (the count includes padding inside batches)
    # a pair with a short prompt is scored whole: too little to share
    short = lambda reuse: reward_model(prompts[5:7], comps[5:7], [None, None], model=path, device="cpu", prefix_reuse=reuse)  # noqa: E731
    assert _tokens_embedded(loaded, lambda: short(True)) == _tokens_embedded(loaded, lambda: short(False))


def test_bidirectional_model_is_never_scored_through_a_cache(tiny: dict[str, str], bert_rm: str) -> None:
    from rewardsmith.models.reward_model import RMSettings, load_rm, reward_model
    from rewardsmith.models.rm_prefix import prefix_reuse_safe

    loaded = load_rm(RMSettings(model=bert_rm, device="cpu"))
    assert not prefix_reuse_safe(loaded)
    prompts = [PROMPT] * len(COMPLETIONS)
    got = reward_model(prompts, COMPLETIONS, [None] * len(prompts), model=bert_rm, device="cpu")
    tok = transformers.AutoTokenizer.from_pretrained(bert_rm, local_files_only=True)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(bert_rm, local_files_only=True).eval()
    for c, r in zip(COMPLETIONS, got):
        enc = tok(PROMPT + "\n" + c, return_tensors="pt")
        with torch.no_grad():
            want = float(model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits[0, 0])
        assert r.status.value == "ok" and r.value == pytest.approx(want, abs=1e-4)


def test_shared_prefix_len_keeps_one_token_each() -> None:
    from rewardsmith.models.rm_prefix import shared_prefix_len

    assert shared_prefix_len([[7, 8, 9], [7, 8, 9]]) == 2
    assert shared_prefix_len([[7], [7, 8]]) == 0
    assert shared_prefix_len([[1, 2, 3, 4, 5], [1, 2, 3, 9]]) == 3
    assert shared_prefix_len([]) == 0
