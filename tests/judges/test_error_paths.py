"""Errors stay errors on every path from a component to the final reward: gates, transforms (component and spec
level, reference completions), combine rules and normalisation. The failing component is a judge behind a
scripted server answering HTTP 500 (a real infrastructure fault, over real HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI
from rewardsmith.types import Status

from .judge_helpers import judge_params, score_spec

ROWS = [
    {"prompt": "2+2?", "completion": "The answer is 4", "group": "g"},
    {"prompt": "2+2?", "completion": "The answer is 5", "group": "g"},
]


def broken_judge(srv: ScriptedOpenAI) -> dict[str, Any]:
    srv.handler = lambda req: Reply(status=500)
    return judge_params(srv, max_retries=0)


def score(spec: dict[str, Any], rows: list[dict[str, Any]] = ROWS) -> list[Any]:
    return score_spec(spec, rows)


def test_weight_zero_judge_gate_that_errors_makes_the_gated_reward_an_error(judge_server: ScriptedOpenAI) -> None:
    spec = {"components": [
        {"name": "judge", "reward": "judge_score", "weight": 0.0, "params": broken_judge(judge_server)},
        {"name": "has4", "reward": "regex_match", "weight": 1.0, "params": {"pattern": "4"}, "gate": {"component": "judge", "min": 0.5}},
    ]}
    results = score(spec)
    for r in results:
        assert r.status is Status.ERROR and r.value is None
        assert "has4" in r.reason and "gate 'judge' error" in r.reason and "HTTP 500" in r.reason


def test_gate_that_abstains_makes_a_required_gated_reward_abstain_and_an_optional_one_drop_out(judge_server: ScriptedOpenAI) -> None:
    gate = {"name": "ref", "reward": "reference_verifier", "weight": 0.0, "params": judge_params(judge_server)}  # no reference: abstains
    required = score({"components": [gate, {"name": "has4", "reward": "regex_match", "params": {"pattern": "4"},
                                            "gate": {"component": "ref", "min": 1.0}}]})
    assert all(r.status is Status.ABSTAIN and "gate 'ref' abstain" in r.reason for r in required)
    optional = score({"components": [
        gate,
        {"name": "has4", "reward": "regex_match", "params": {"pattern": "4"}, "required": False, "gate": {"component": "ref", "min": 1.0}},
        {"name": "answer", "reward": "regex_match", "params": {"pattern": "answer"}},
    ]})
    assert [r.status for r in optional] == [Status.OK, Status.OK]
    assert [r.value for r in optional] == [1.0, 1.0]  # the gated part takes no part; it is not a zero either
    assert optional[0].components["has4"] is None
    assert judge_server.calls == 0


def test_a_gate_that_decides_still_applies_its_else_value(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = lambda req: '{"score": 1}'
    spec = {"components": [
        {"name": "judge", "reward": "judge_score", "weight": 0.0, "params": judge_params(judge_server)},
        {"name": "has4", "reward": "regex_match", "params": {"pattern": "4"}, "gate": {"component": "judge", "min": 0.5, "else": -1.0}},
    ]}
    assert [(r.status, r.value) for r in score(spec)] == [(Status.OK, -1.0), (Status.OK, -1.0)]


@pytest.mark.parametrize("combine", ["weighted_sum", "product", "min", "tiered"])
@pytest.mark.parametrize("normalize", [None, {"kind": "grpo"}, {"kind": "per_component"}])
def test_an_erroring_component_is_an_error_under_every_combine_rule_transform_and_normalisation(
    judge_server: ScriptedOpenAI, combine: str, normalize: Any
) -> None:
    spec: dict[str, Any] = {
        "components": [
            {"name": "judge", "reward": "judge_score", "params": broken_judge(judge_server),
             "transforms": [{"kind": "clip", "min": 0.0, "max": 1.0}, {"kind": "lsc", "ref": "group_mean"}]},
            {"name": "has4", "reward": "regex_match", "params": {"pattern": "4"}},
        ],
        "combine": combine,
        "transforms": [{"kind": "par", "ref": "group_mean"}, {"kind": "clip", "min": -1, "max": 1}],
        "normalize": normalize,
    }
    results = score(spec, ROWS + [{"prompt": "2+2?", "completion": "4", "group": "g"}])
    for r in results:
        assert r.status is Status.ERROR and r.value is None, (combine, normalize, r)
        assert "judge" in r.reason and "HTTP 500" in r.reason


def test_a_reference_completion_that_errors_is_an_error_not_an_abstain(judge_server: ScriptedOpenAI) -> None:
    def handler(req: dict[str, Any]) -> Any:
        text = req["messages"][-1]["content"]
        return Reply(status=500) if "REFERENCE SOLUTION" in text else '{"score": 8}'

    judge_server.handler = handler
    spec = {"components": [{"name": "judge", "reward": "judge_score", "params": judge_params(judge_server, max_retries=0)}],
            "transforms": [{"kind": "par", "ref": "reference_completion"}]}
    rows = [{"prompt": "2+2?", "completion": "It is 4.", "metadata": {"reference_completion": "REFERENCE SOLUTION: 4"}}]
    [r] = score(spec, rows)
    assert r.status is Status.ERROR and "reference completion" in r.reason and "HTTP 500" in r.reason
