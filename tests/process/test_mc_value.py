"""Monte Carlo step values and PAV progress: scripted rollouts over real HTTP with hand-counted values, and a
local tiny model whose rollouts are regenerated directly with ``generate``."""

from __future__ import annotations

from typing import Any

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.process.mc_value import mc_step_value, progress
from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI

PROMPT = "What is 2 + 3?"
GOOD = "2 + 3 = 5\n\nThe answer is 5."
BAD = "2 + 3 = 6\n\nThe answer is 6."
# k = 4 scripted rollouts from each rollout prompt (prompt + newline + solution so far)
ROLLOUTS = {
    PROMPT + "\n": ["2 + 3 = 5. The answer is 5.", "The answer is 6.", "So 5", "I am not sure"],  # 2 of 4 reach 5
    PROMPT + "\n2 + 3 = 5": ["\n\nThe answer is 5."] * 3 + ["\n\nThe answer is 4."],  # 3 of 4
    PROMPT + "\n" + GOOD: ["", "", "", ""],  # the solution's own answer: 4 of 4
    PROMPT + "\n2 + 3 = 6": ["\n\nThe answer is 6."] * 3 + ["\n\nNo: 2 + 3 = 5, the answer is 5."],  # 1 of 4
    PROMPT + "\n" + BAD: ["", "", "", ""],  # 0 of 4
}


def rollouts(request: dict[str, Any]) -> list[str]:
    assert request["n"] == 4 and isinstance(request["prompt"], str)
    return ROLLOUTS[request["prompt"]]


@pytest.fixture()
def sampler_server() -> Any:
    with ScriptedOpenAI(rollouts) as srv:
        yield srv


def test_mc_step_value_by_hand_over_http(sampler_server: ScriptedOpenAI) -> None:
    url = sampler_server.base_url
    good, bad, none = mc_step_value([PROMPT] * 3, [GOOD, BAD, GOOD], ["5", "5", None], [None] * 3, model=url, k=4)
    assert good.step_values == [0.75, 1.0] and good.value == 0.75  # min over steps
    assert good.info["first_error_step"] == -1
    assert bad.step_values == [0.25, 0.0] and bad.value == 0.0
    assert bad.info["first_error_step"] == 1 and bad.components["first_error_step"] == 1.0
    assert none.status.value == "abstain"
    # one request: the 4 distinct step prefixes of the two scored samples (no root without progress), n = k
    (req,) = sampler_server.requests
    assert req["_path"] == "/v1/completions" and req["n"] == 4 and len(req["prompt"]) == 4
    last = mc_step_value([PROMPT], [GOOD], ["5"], [None], model=url, k=4, aggregate="last")[0]
    assert last.value == 1.0
    hard = mc_step_value([PROMPT], [BAD], ["5"], [None], model=url, k=4, estimate="hard")[0]
    assert hard.step_values == [1.0, 0.0]


def test_progress_by_hand_shares_the_root_prefix(sampler_server: ScriptedOpenAI) -> None:
    good, bad = progress([PROMPT, PROMPT], [GOOD, BAD], ["5", "5"], [None, None], model=sampler_server.base_url, k=4)
    # V(prompt) = 0.5 for both; good: 0.5 -> 0.75 -> 1.0, bad: 0.5 -> 0.25 -> 0.0
    assert good.step_values == [0.25, 0.25] and good.value == 0.5
    assert bad.step_values == [-0.25, -0.25] and bad.value == -0.5
    assert good.components["root_value"] == 0.5 and bad.components["final_value"] == 0.0
    assert bad.info["step_mc_values"] == [0.25, 0.0]
    (req,) = sampler_server.requests
    assert sorted(req["prompt"]) == sorted(ROLLOUTS)  # the shared prompt is sampled once
    worst = progress([PROMPT], [BAD], ["5"], [None], model=sampler_server.base_url, k=4, aggregate="min")[0]
    assert worst.value == -0.25


def test_row_steps_and_server_errors(sampler_server: ScriptedOpenAI) -> None:
    from rewardsmith.types import Step

    steps = [Step("2 + 3 = 5"), Step("The answer is 5.")]  # joined with a blank line: the same prefixes as GOOD
    r = mc_step_value([PROMPT], ["ignored"], ["5"], [steps], model=sampler_server.base_url, k=4)[0]
    assert r.step_values == [0.75, 1.0]
    sampler_server.handler = lambda req: Reply(status=500)
    errs = mc_step_value([PROMPT, PROMPT], [GOOD, "x"], ["5", None], [None, None], model=sampler_server.base_url, k=4)
    assert errs[0].status.value == "error" and "sampler server" in (errs[0].reason or "") and "500" in errs[0].reason
    assert errs[1].status.value == "abstain"  # the batch goes on
    sampler_server.handler = lambda req: ["only one"]
    short = mc_step_value([PROMPT], [GOOD], ["5"], [None], model=sampler_server.base_url, k=4)[0]
    assert short.status.value == "error" and "returned 2 completions" in (short.reason or "")


def test_both_rewards_through_the_engine(sampler_server: ScriptedOpenAI) -> None:
    params = {"model": sampler_server.base_url, "k": 4}
    spec = {"name": "mc", "components": [
        {"name": "mc", "reward": "mc_step_value", "weight": 1.0, "params": params},
        {"name": "pav", "reward": "progress", "weight": 1.0, "params": params},
    ]}
    rows = [{"prompt": PROMPT, "completion": GOOD, "reference": "5"},
            {"prompt": PROMPT, "completion": BAD, "reference": "5"}]
    with Engine(spec, cache=False) as eng:
        good, bad = eng.score(rows)
    assert (good.components["mc"], good.components["pav"], good.components["pav.root_value"]) == (0.75, 0.5, 0.5)
    assert (bad.components["mc"], bad.components["pav"], bad.components["mc.first_error_step"]) == (0.0, -0.5, 1.0)


def test_local_sampler_matches_direct_generate(tiny: dict[str, str]) -> None:
    torch = pytest.importorskip("torch")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from rewardsmith.models.loading import load_model
    from rewardsmith.process.sampler import TransformersSampler, prefix_seed
    from rewardsmith.verifiers.math.reward import math_equiv

    sampler = TransformersSampler(load_model(tiny["lm"], "causal_lm", "cpu"), max_new_tokens=6, temperature=1.0, seed=3)
    prefixes = ["Q: 1 + 1?\n", "Q: 1 + 1?\n1 + 1 = 2"]
    got = sampler.sample(prefixes, 3)
    assert [r.texts for r in sampler.sample(prefixes[::-1], 3)] == [r.texts for r in got][::-1]  # seeded per prefix
    tok = AutoTokenizer.from_pretrained(tiny["lm"], local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(tiny["lm"], local_files_only=True).eval()
    for prefix, r in zip(prefixes, got):
        ids = torch.tensor([tok(prefix, add_special_tokens=False)["input_ids"]])
        torch.manual_seed(prefix_seed(3, prefix))
        seqs = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=True, temperature=1.0,
                              top_p=1.0, top_k=0, max_new_tokens=6, num_return_sequences=3, pad_token_id=tok.pad_token_id)
        assert r.texts == tok.batch_decode(seqs[:, ids.shape[1]:], skip_special_tokens=True)
        assert r.error is None and r.reason is None

    # the reward, end to end on the local model: each value is the share of those rollouts math_equiv accepts
    completion, ref = "1 + 1 = 2\n\nso 2", "2"
    res = mc_step_value(["Q: 1 + 1?"], [completion], [ref], [None], model=tiny["lm"], k=3, max_new_tokens=6,
                        temperature=1.0, seed=3, device="cpu")[0]
    want = []
    for so_far, r in zip(["1 + 1 = 2", completion], sampler.sample(["Q: 1 + 1?\n1 + 1 = 2", "Q: 1 + 1?\n" + completion], 3)):
        want.append(sum(math_equiv(so_far + t, ref).value for t in r.texts) / 3)
    assert res.step_values == want and res.value == min(want)

    long = sampler.sample(["word " * 300], 2)[0]
    assert len(long.texts) == 2 and "cut" in (long.reason or "")
    too_many = TransformersSampler(sampler.loaded, max_new_tokens=500).sample(["x"], 1)[0]
    assert too_many.error is not None and "context window" in too_many.error
    greedy = TransformersSampler(sampler.loaded, max_new_tokens=4, temperature=0.0).sample(["Q: 1 + 1?\n"], 3)[0]
    assert len(greedy.texts) == 3 and len(set(greedy.texts)) == 1


def _until(condition: Any, seconds: float = 20.0) -> None:
    """Wait for ``condition()`` (a state change in another thread), failing instead of hanging."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the other thread never got there"
        time.sleep(0.01)


def test_concurrent_callers_sample_a_shared_prefix_once() -> None:
    """mc_step_value and progress run side by side on one batch: a prefix one is sampling is waited for by
    the other, and a failure reaches both."""
    import threading

    from rewardsmith.process.sampler import Rollouts, SharedRollouts

    started, release = threading.Event(), threading.Event()
    calls: list[list[str]] = []

    class Slow:
        name = "slow"

        def sample(self, prefixes: list[str], k: int) -> list[Rollouts]:
            calls.append(list(prefixes))
            if "a" in prefixes:
                started.set()
                assert release.wait(10)
            if "boom" in prefixes:
                raise RuntimeError("backend down")
            return [Rollouts([f"{p}{j}" for j in range(k)]) for p in prefixes]

    shared = SharedRollouts(Slow())
    out: dict[str, list[Rollouts]] = {}
    first = threading.Thread(target=lambda: out.__setitem__("first", shared.sample(["a", "b", "a"], 2)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: out.__setitem__("second", shared.sample(["b", "c"], 2)))
    second.start()
    _until(lambda: shared.waited >= 1 and len(calls) >= 2)  # "b" is waited for; "c", which nobody was sampling, is sampled
    release.set()
    first.join(10)
    second.join(10)
    assert calls == [["a", "b"], ["c"]] and (shared.sampled, shared.waited) == (3, 1)
    assert [r.texts for r in out["first"]] == [["a0", "a1"], ["b0", "b1"], ["a0", "a1"]]
    assert [r.texts for r in out["second"]] == [["b0", "b1"], ["c0", "c1"]]
    assert shared.sample(["b"], 2)[0].texts == ["b0", "b1"] and calls[-1] == ["b"]  # nothing kept afterwards

    # a failure: the caller that sampled raises, the one that waited gets an error result
    started.clear()
    release.clear()
    errs: dict[str, object] = {}

    def failing() -> None:
        try:
            shared.sample(["a", "boom"], 2)
        except RuntimeError as exc:
            errs["first"] = exc

    t1 = threading.Thread(target=failing)
    t1.start()
    assert started.wait(10)
    t2 = threading.Thread(target=lambda: errs.__setitem__("second", shared.sample(["boom"], 2)))
    t2.start()
    _until(lambda: shared.waited >= 2)  # the second caller found "boom" running
    release.set()
    t1.join(10)
    t2.join(10)
    assert "backend down" in str(errs["first"])
    (got,) = errs["second"]  # type: ignore[misc]
    assert got.error is not None and "backend down" in got.error
