from __future__ import annotations

import pytest

from rewardsmith import RewardResult, RowError, Sample, Status, ToolCall, get_reward
from rewardsmith.registry import ParamError, RegistryError, to_result


def test_result_invariants() -> None:
    assert RewardResult.ok(True).value == 1.0
    with pytest.raises(ValueError):
        RewardResult(Status.ERROR, 0.0)  # an error never carries a value (never a zero)
    with pytest.raises(ValueError):
        RewardResult(Status.OK, None)
    assert RewardResult.error("x").to_fields() == {"reward": None, "status": "error", "components": {}, "reason": "x"}


def test_to_result_conversions() -> None:
    assert to_result(3).value == 3.0
    assert to_result(None).status is Status.ABSTAIN
    bad = to_result("7")
    assert bad.status is Status.ERROR and "expected a number" in (bad.reason or "")
    assert to_result(float("inf")).status is Status.ERROR


def test_sample_from_row_names_row_and_field() -> None:
    with pytest.raises(RowError) as e:
        Sample.from_row({"id": "r1", "prompt": "p"}, where="line 4")
    assert "line 4 (id=r1)" in str(e.value) and "'completion'" in str(e.value)
    with pytest.raises(RowError) as e:
        Sample.from_row({"prompt": "p", "completion": 3}, where="line 2")
    assert "'completion'" in str(e.value)
    with pytest.raises(RowError) as e:
        Sample.from_row({"prompt": "p", "completion": "c", "metadata": [1]}, where="line 9")
    assert "'metadata'" in str(e.value)


def test_sample_chat_and_tool_calls() -> None:
    s = Sample.from_row(
        {
            "prompt": [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "2+2?"}]}],
            "completion": [
                {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{\"a\": 2, \"b\": 2}"}}]},
                {"role": "tool", "content": "4"},
                {"role": "assistant", "content": "4"},
            ],
        }
    )
    assert s.prompt_text == "2+2?"
    assert s.completion_text == "4"
    assert s.all_tool_calls == [ToolCall("add", {"a": 2, "b": 2}, "c1")]


def test_binding_and_params() -> None:
    d = get_reward("t_len")
    assert d.data_args == {"completion"} and set(d.param_fields) == {"scale"}
    assert d.bind({"scale": 2}).params == {"scale": 2.0}
    for wrong in ("big", "2", True):  # strict: a string or a bool is not a number
        with pytest.raises(ParamError) as e:
            d.bind({"scale": wrong})
        assert "scale" in str(e.value)
    with pytest.raises(ParamError) as e:
        d.bind({"scael": 2})
    assert "unknown param" in str(e.value) and "scale" in str(e.value)


def test_class_reward_and_module_reference() -> None:
    d = get_reward("t_class")
    assert d.is_class and set(d.param_fields) == {"factor"}
    plain = get_reward("user_rewards:slow_len")
    assert plain.data_args == {"completion"} and plain.executor == "process"
    with pytest.raises(RegistryError):
        get_reward("user_rewards:missing")
    with pytest.raises(RegistryError) as e:
        get_reward("no_such_reward_anywhere")
    assert "unknown reward" in str(e.value)
