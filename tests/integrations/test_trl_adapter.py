"""The TRL adapter called the way GRPOTrainer calls reward functions (TRL 1.16 ``_calculate_rewards``)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rewardsmith.integrations.trl import reward_funcs, reward_weights

LEN_SPEC = {
    "components": [
        {"name": "correct", "reward": "math_equiv", "weight": 1.0},
        {"name": "overlong", "reward": "overlong_penalty", "weight": 0.5,
         "params": {"max_length": 20, "cache": 10, "unit": "chars"}},
    ]
}


def overlong(n_chars: int, max_length: int = 20, cache: int = 10) -> float:
    """DAPO soft overlong punishment by hand."""
    if n_chars <= max_length - cache:
        return 0.0
    if n_chars <= max_length:
        return (max_length - cache - n_chars) / cache
    return -1.0


def trl_kwargs(step: int, **columns: Any) -> dict[str, Any]:
    """What TRL adds next to prompts/completions: trainer_state, log_extra, log_metric and dataset columns."""
    extra: dict[str, list[Any]] = {}
    metrics: dict[str, list[float]] = {}
    kw: dict[str, Any] = {
        "trainer_state": SimpleNamespace(global_step=step),
        "log_extra": lambda col, vals: extra.setdefault(col, []).extend(vals),
        "log_metric": lambda name, v: metrics.setdefault(name, []).append(v),
        "completion_ids": [[1, 2]] * len(next(iter(columns.values()))),
    }
    kw.update(columns)
    kw["_extra"], kw["_metrics"] = extra, metrics
    return kw


@pytest.fixture(scope="module")
def gsm8k_rows(shared_data: Path) -> list[dict[str, Any]]:
    lines = (shared_data / "gsm8k" / "model_solutions.jsonl").read_text().splitlines()[:6]
    return [json.loads(x) for x in lines]


def test_combined_plain_and_conversational(gsm8k_rows: list[dict[str, Any]]) -> None:
    (func,) = reward_funcs(LEN_SPEC, engine_options={"cache": False, "workers": 1})
    assert func.__name__ == "rewardsmith"
    answers = ["#### 18", "#### 18", "#### 3"]
    comps = ["so it is 18", "x" * 25 + " 17", "The answer is 3"]
    kw = trl_kwargs(4, answer=answers)
    extra, metrics = kw.pop("_extra"), kw.pop("_metrics")
    plain = func(prompts=["q1", "q1", "q2"], completions=comps, **kw)
    expected = [1.0 + 0.5 * overlong(len(c)) if i != 1 else 0.0 + 0.5 * -1.0 for i, c in enumerate(comps)]
    assert plain == pytest.approx(expected)
    assert extra["rewardsmith_status"] == ["ok", "ok", "ok"]
    assert metrics["rewardsmith/correct"] == [pytest.approx(2 / 3)]
    chat_p = [[{"role": "user", "content": p}] for p in ["q1", "q1", "q2"]]
    chat_c = [[{"role": "assistant", "content": c}] for c in comps]
    kw = trl_kwargs(4, answer=answers)
    kw.pop("_extra"), kw.pop("_metrics")
    assert func(prompts=chat_p, completions=chat_c, **kw) == pytest.approx(expected)
    func.rewardsmith.close()


def test_per_component_scores_once_and_masks_errors(caplog: pytest.LogCaptureFixture) -> None:
    spec = {
        "components": [
            {"name": "len", "reward": "rs_integration_rewards:fails_on_odd", "weight": 2.0},
            {"name": "overlong", "reward": "overlong_penalty", "weight": 0.5,
             "params": {"max_length": 20, "cache": 10, "unit": "chars"}},
        ]
    }
    funcs = reward_funcs(spec, per_component=True, engine_options={"cache": False, "workers": 1})
    assert [f.__name__ for f in funcs] == ["rewardsmith_len", "rewardsmith_overlong"]
    assert reward_weights(funcs) == [2.0, 0.5]
    comps = ["abc", "abcdefghijklmno", "a" * 16, "zz"]
    prompts = ["p"] * 4
    kw = trl_kwargs(0, idx=[0, 1, 2, 3])
    metrics = kw.pop("_metrics")
    kw.pop("_extra")
    with caplog.at_level(logging.WARNING, logger="rewardsmith.trl"):
        cols = [f(prompts=prompts, completions=comps, **kw) for f in funcs]
    adapter = funcs[0].rewardsmith
    assert adapter.calls == 1  # scored once for both callables
    # rows 1 and 3 errored: None in every column, so TRL masks them
    assert cols[0] == [pytest.approx(3 / 7), None, pytest.approx(2 / 7), None]
    assert cols[1] == [0.0, None, pytest.approx(overlong(16)), None]
    assert metrics["rewardsmith/error_frac"] == [0.5]
    assert "2 error" in caplog.text and "simulated outage" in caplog.text
    # a new batch (new lists) is scored again
    kw2 = trl_kwargs(1, idx=[0, 2])
    kw2.pop("_metrics"), kw2.pop("_extra")
    funcs[0](prompts=["p", "p"], completions=["a", "b"], **kw2)
    assert adapter.calls == 2
    adapter.close()


def test_scheduled_weight_follows_global_step() -> None:
    spec = {
        "components": [
            {"name": "overlong", "reward": "overlong_penalty",
             "weight": {"schedule": "linear", "start": 1.0, "end": 0.0, "steps": 100},
             "params": {"max_length": 20, "cache": 10, "unit": "chars"}},
        ]
    }
    (combined,) = reward_funcs(spec, engine_options={"cache": False})
    per = reward_funcs(spec, per_component=True, engine_options={"cache": False})
    assert reward_weights(per) == [1.0]  # the callables weight themselves
    comp = ["x" * 15]
    for step, w in [(0, 1.0), (25, 0.75), (100, 0.0)]:
        kw = trl_kwargs(step, answer=["1"])
        kw.pop("_extra"), kw.pop("_metrics")
        assert combined(prompts=["p"], completions=comp, **kw) == [pytest.approx(w * overlong(15))]
        assert per[0](prompts=["p"], completions=comp, **kw) == [pytest.approx(w * overlong(15))]
    combined.rewardsmith.close()
    per[0].rewardsmith.close()


def test_async_judge_path_per_component() -> None:
    spec = {
        "components": [
            {"name": "judge", "reward": "rs_integration_rewards:async_length", "weight": 1.0},
            {"name": "overlong", "reward": "overlong_penalty", "weight": 0.5,
             "params": {"max_length": 20, "cache": 10, "unit": "chars"}},
        ]
    }
    funcs = reward_funcs(spec, per_component=True, engine_options={"cache": False})
    assert all(asyncio.iscoroutinefunction(f) for f in funcs)
    comps = ["abcd", "a" * 18]
    kw = trl_kwargs(3, answer=["1", "2"])
    kw.pop("_extra"), kw.pop("_metrics")

    prompts = ["p", "p"]

    async def like_trl() -> list[list[float | None]]:  # TRL gathers the async funcs, same list objects
        return list(await asyncio.gather(*(f(prompts=prompts, completions=comps, **kw) for f in funcs)))

    judge, over = asyncio.run(like_trl())
    assert judge == [pytest.approx(0.04), pytest.approx(0.18)]
    assert over == [0.0, pytest.approx(overlong(18))]
    assert funcs[0].rewardsmith.calls == 1
    funcs[0].rewardsmith.close()


def test_per_component_rejects_non_additive_spec() -> None:
    spec = {"components": [{"name": "a", "reward": "overlong_penalty"}], "normalize": {"kind": "grpo"}}
    with pytest.raises(ValueError, match="per_component"):
        reward_funcs(spec, per_component=True, engine_options={"cache": False})
