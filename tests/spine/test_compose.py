"""Every combine rule and transform against hand-computed numbers."""

from __future__ import annotations

import math

import pytest

from rewardsmith import load_spec
from rewardsmith.compose.combine import minimum, product, tiered, weighted_sum
from rewardsmith.compose.cost import model_cost, tool_call_cost
from rewardsmith.compose.length import cosine_length, overlong_penalty, repetition
from rewardsmith.compose.normalize import group_normalize
from rewardsmith.compose.schedules import Schedule
from rewardsmith.compose.transforms import BatchContext, clip, lsc, par
from rewardsmith.types import Step, ToolCall

G = ["g1", "g1", "g2", "g2"]


def test_combiners() -> None:
    rows = [{"a": 1.0, "b": 0.5}, {"a": 0.0, "b": 2.0}]
    w = {"a": 2.0, "b": 0.5}
    assert weighted_sum(rows, w, ["x", "x"]) == [2.25, 1.0]
    assert product(rows, w, ["x", "x"]) == [0.5, 0.0]
    assert minimum(rows, w, ["x", "x"]) == [0.5, 0.0]
    # zero weight takes no part
    assert minimum(rows, {"a": 0.0, "b": 1.0}, ["x", "x"]) == [0.5, 2.0]


def test_tiered_is_lexicographic_within_groups() -> None:
    rows = [{"c": 1, "s": 0.1}, {"c": 0, "s": 0.9}, {"c": 1, "s": 0.5}, {"c": 1, "s": 0.5}, {"c": 0, "s": 0.0}]
    out = tiered(rows, {"c": 1.0, "s": 1.0}, ["g"] * 5)
    # order: (0,0.0) < (0,0.9) < (1,0.1) < (1,0.5)=(1,0.5): ranks 0,1,2,3.5,3.5 over n-1=4
    assert out == [0.5, 0.25, 0.875, 0.875, 0.0]


def test_clip_lsc_par_by_hand() -> None:
    ctx = BatchContext(groups=G, metadata=[{}] * 4)
    assert clip([2.0, -2.0, 0.3, None], ctx, min=-1, max=1) == [1.0, -1.0, 0.3, None]
    # group means: g1 = 2.0, g2 = 0.5
    got = lsc([1.0, 3.0, 0.0, 1.0], ctx)
    want = [math.log(1 / (1 + math.exp(1.0))), math.log(1 / (1 + math.exp(-1.0))), math.log(1 / (1 + math.exp(0.5))), math.log(1 / (1 + math.exp(-0.5)))]
    assert got == pytest.approx(want)
    got = par([1.0, 3.0, 0.0, 1.0], ctx, ref=0.0, scale=2.0)
    assert got == pytest.approx([1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-6)), 0.5, 1 / (1 + math.exp(-2))])
    meta = BatchContext(groups=G, metadata=[{"r": 1.0}, {"r": 1.0}, {}, {"r": 2.0}])
    out = par([1.0, 2.0, 5.0, 2.0], meta, ref="metadata.r")
    assert out[0] == 0.5 and out[2] is None and out[3] == 0.5


def test_group_normalisations_by_hand() -> None:
    vals = [1.0, 3.0, 2.0, 2.0]
    adv, flat = group_normalize(vals, G, "grpo")
    s = math.sqrt(2.0)  # sample std of (1, 3)
    assert adv[:2] == pytest.approx([-1 / (s + 1e-6), 1 / (s + 1e-6)]) and adv[2:] == [0.0, 0.0]
    assert flat == {"g2"}  # zero-variance group reported, not divided by zero
    assert group_normalize(vals, G, "drgrpo")[0] == [-1.0, 1.0, 0.0, 0.0]
    assert group_normalize([1.0, 2.0, 6.0], ["g"] * 3, "rloo")[0] == [-3.0, -1.5, 4.5]
    adv, _ = group_normalize([1.0, 3.0, None, 5.0], ["g"] * 4, "batch", ddof=0)
    sd = math.sqrt(((1 - 3) ** 2 + 0 + (5 - 3) ** 2) / 3)
    assert adv == pytest.approx([-2 / (sd + 1e-6), 0.0, None, 2 / (sd + 1e-6)])
    adv, _ = group_normalize([1.0, 0.0], ["a", "a"], "grpo", ddof=0)
    assert adv == pytest.approx([0.5 / (0.5 + 1e-6), -0.5 / (0.5 + 1e-6)])


def test_length_and_cost_terms() -> None:
    assert overlong_penalty("w " * 90, max_length=100, cache=20, unit="words") == pytest.approx(-0.5)
    assert overlong_penalty("w " * 101, max_length=100, cache=20, unit="words") == -1.0
    assert overlong_penalty("w " * 80, max_length=100, cache=20, unit="words") == 0.0
    # cosine: n=25 of 100, correct: 1 + 0.5*(2-1)*(1+cos(pi/4))
    assert cosine_length("a " * 25, {"correct": 1.0}, max_length=100, unit="words") == pytest.approx(1 + 0.5 * (1 + math.cos(math.pi / 4)))
    assert cosine_length("a " * 100, {"correct": 1.0}, max_length=100, unit="words") == -10.0
    assert repetition("a b a b a b", n=2) == pytest.approx(-(1 - 2 / 5))
    calls = [ToolCall("search", {}), ToolCall("calc", {})]
    steps = [Step(content="s", tool_calls=[ToolCall("search", {})])]
    assert tool_call_cost(calls, steps, price=0.25) == -0.75
    assert tool_call_cost(calls, steps, price=0.25, tools=["search"]) == -0.5
    assert tool_call_cost(calls, steps, price=0.25, max_cost=0.5) == -0.5
    assert model_cost({"model_calls": [{"model": "a", "tokens": 500}]}, prices={"a": 2.0}, alpha=0.5) == -0.5
    with pytest.raises(ValueError):
        model_cost({"model_calls": [{"model": "zz", "tokens": 1}]}, prices={"a": 1.0})


def test_schedules() -> None:
    assert Schedule(schedule="linear", start=1.0, end=0.0, steps=10, warmup=5).value_at(10) == 0.5
    assert Schedule(schedule="cosine", start=1.0, end=0.0, steps=10).value_at(20) == pytest.approx(0.0)
    assert Schedule(schedule="constant", start=0.3).value_at(99) == 0.3


def test_spec_level_gate_schedule_lsc_and_normalize() -> None:
    spec = load_spec(
        {
            "components": [
                {"name": "len", "reward": "t_len", "params": {"scale": 0.1}},
                {"name": "exact", "reward": "t_abstain_no_ref", "required": False,
                 "gate": {"component": "len", "min": 0.3}},
                {"name": "aux", "reward": "t_len", "weight": {"schedule": "linear", "start": 1.0, "end": 0.0, "steps": 10}},
            ],
            "transforms": [{"kind": "clip", "max": 2.0}],
            "normalize": {"kind": "drgrpo"},
        }
    )
    rows = [
        {"prompt": "p", "completion": "ab", "reference": "ab", "group": "g"},
        {"prompt": "p", "completion": "abcd", "reference": "abcd", "group": "g"},
        {"prompt": "p", "completion": "abcdef", "group": "g"},
    ]
    res = spec.score(rows, step=5, cache=False, workers=1)
    # len: 0.2, 0.4, 0.6; exact gated by len>=0.3: 0 (gate failed), 1, abstain (not required -> skipped)
    assert [r.components["exact"] for r in res] == [0.0, 1.0, None]
    # aux weight at step 5 = 0.5: raw = len + exact + 0.5*len(c) -> 1.2, 3.4, 3.6 ; clip at 2 -> 1.2, 2, 2
    assert [r.info["raw_reward"] for r in res] == pytest.approx([1.2, 3.4, 3.6])
    mean = (1.2 + 2.0 + 2.0) / 3
    assert [r.value for r in res] == pytest.approx([1.2 - mean, 2.0 - mean, 2.0 - mean])
    spec.close()


def test_lsc_with_reference_completion_and_per_component() -> None:
    spec = load_spec(
        {
            "components": [{"name": "len", "reward": "t_len"}],
            "transforms": [{"kind": "lsc", "ref": "reference_completion"}],
        }
    )
    rows = [
        {"prompt": "p", "completion": "abc", "metadata": {"reference_completion": "a"}},
        {"prompt": "p", "completion": "a", "metadata": {"reference_completion": "a"}},
        {"prompt": "q", "completion": "a"},
    ]
    res = spec.score(rows, cache=False, workers=1)
    assert res[0].value == pytest.approx(-math.log1p(math.exp(-2.0)))
    assert res[1].value == pytest.approx(math.log(0.5))
    assert res[2].status.value == "abstain"  # no reference completion -> no r_ref
    spec.close()

    spec = load_spec(
        {
            "components": [{"name": "a", "reward": "t_len"}, {"name": "b", "reward": "t_len", "weight": 2.0, "params": {"scale": 10}}],
            "normalize": {"kind": "per_component", "ddof": 0},
        }
    )
    res = spec.score([{"prompt": "p", "completion": "a"}, {"prompt": "p", "completion": "abc"}], cache=False, workers=1)
    # each component normalised in the group to -1/+1 (ddof 0), then 1*a + 2*b
    assert [r.value for r in res] == pytest.approx([-3.0, 3.0], rel=1e-5)
    spec.close()


def test_per_component_reports_zero_variance_groups() -> None:
    """GDPO: a component with no spread in a group contributes 0 there and is named; a group where no
    component spreads (all advantages 0) is a zero-variance group, flagged and counted like GRPO's."""
    from rewardsmith.engine.runner import Engine

    spec = {
        "components": [{"name": "len", "reward": "t_len"}, {"name": "m", "reward": "regex_match", "params": {"pattern": "a"}}],
        "normalize": {"kind": "per_component", "ddof": 0},
    }
    rows = [
        {"prompt": "p", "completion": "a", "group": "spread"},
        {"prompt": "p", "completion": "abc", "group": "spread"},
        {"prompt": "q", "completion": "ab", "group": "flat"},
        {"prompt": "q", "completion": "ab", "group": "flat"},
    ]
    with Engine(spec, cache=False, workers=1) as engine:
        res = engine.score(rows)
        assert engine.zero_variance_groups == 1
    assert [r.value for r in res] == pytest.approx([-1.0, 1.0, 0.0, 0.0], rel=1e-5)  # len: -1 / +1; m: 1, 1 (flat)
    assert [r.info.get("zero_variance_components") for r in res] == [["m"], ["m"], ["len", "m"], ["len", "m"]]
    assert [r.info.get("zero_variance_group", False) for r in res] == [False, False, True, True]
