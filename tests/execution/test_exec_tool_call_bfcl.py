"""tool_call on every BFCL question of simple_python, multiple, parallel, parallel_multiple (+ irrelevance):
the ground truth built from possible_answer scores 1.0 in three syntaxes; perturbed calls score less."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.execution.tool_call import tool_call
from rewardsmith.types import ToolCall

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple")


def concrete(value: Any) -> Any:
    """A concrete argument value from an accepted value (nested dicts carry accepted lists per key)."""
    if isinstance(value, dict):
        out = {}
        for k, options in value.items():
            chosen = first_accepted(options if isinstance(options, list) else [options])
            if chosen is not _SKIP:
                out[k] = chosen
        return out
    if isinstance(value, list):
        return [concrete(v) for v in value]
    return value


_SKIP = object()


def first_accepted(options: list[Any]) -> Any:
    for o in options:
        if o != "":
            return concrete(o)
    return _SKIP


def ground_truth_calls(answer: dict[str, Any]) -> list[ToolCall]:
    calls = []
    for gold in answer["ground_truth"]:
        (name, args), = gold.items()
        chosen = {k: first_accepted(v) for k, v in args.items()}
        calls.append(ToolCall(name, {k: v for k, v in chosen.items() if v is not _SKIP}))
    return calls


def hermes(calls: list[ToolCall]) -> str:
    return "\n".join("<tool_call>" + json.dumps({"name": c.name, "arguments": c.arguments}) + "</tool_call>" for c in calls)


def python_syntax(calls: list[ToolCall]) -> str:
    return "[" + ", ".join(f"{c.name}(" + ", ".join(f"{k}={v!r}" for k, v in c.arguments.items()) + ")" for c in calls) + "]"


def openai_message(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": f"c{i}", "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}
                for i, c in enumerate(calls)
            ],
        }
    ]


def other_value(v: Any) -> Any:
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v * 2 + 7
    if isinstance(v, str):
        return v + " zzz"
    if isinstance(v, list):
        return v + [v[0] if v else 1]
    if isinstance(v, dict):
        return {**v, "zzz_extra": 1}
    return "zzz"


def score(text: str, answer: dict[str, Any], question: dict[str, Any], calls: list[ToolCall] | None = None) -> Any:
    return tool_call(text, answer["ground_truth"], calls or [], {"tools": question["function"]})


@pytest.mark.parametrize("category", CATEGORIES)
def test_ground_truth_scores_one_in_every_syntax(bfcl: dict[str, Any], category: str) -> None:
    items = bfcl[category]
    assert len(items) == 200 or (category == "simple_python" and len(items) == 400)
    failures = []
    for question, answer in items:
        assert answer is not None
        calls = ground_truth_calls(answer)
        for label, result in (
            ("openai", score("", answer, question, calls)),
            ("hermes", score(hermes(calls), answer, question)),
            ("python", score(python_syntax(calls), answer, question)),
        ):
            if result.value != 1.0 or result.components["accepted"] != 1.0:
                failures.append((question["id"], label, result.components))
    assert failures == []


@pytest.mark.parametrize("category", CATEGORIES)
def test_perturbations_score_less(bfcl: dict[str, Any], category: str) -> None:
    counts = {"wrong_function": 0, "missing_required": 0, "wrong_value": 0, "extra_call": 0}
    failures = []
    for question, answer in bfcl[category]:
        calls = ground_truth_calls(answer)
        variants: list[tuple[str, list[ToolCall]]] = []
        wrong = copy.deepcopy(calls)
        wrong[0].name = wrong[0].name + "_v2"
        variants.append(("wrong_function", wrong))
        (gold_name, gold_args), = answer["ground_truth"][0].items()
        required = [k for k, options in gold_args.items() if "" not in options]
        if required:
            missing = copy.deepcopy(calls)
            del missing[0].arguments[required[0]]
            variants.append(("missing_required", missing))
            bad_value = copy.deepcopy(calls)
            bad_value[0].arguments[required[0]] = other_value(bad_value[0].arguments[required[0]])
            variants.append(("wrong_value", bad_value))
        variants.append(("extra_call", copy.deepcopy(calls) + [copy.deepcopy(calls[0])]))
        for label, perturbed in variants:
            counts[label] += 1
            result = score(hermes(perturbed), answer, question)
            if not (result.value < 1.0 and result.components["accepted"] == 0.0):
                failures.append((question["id"], label, result.value))
    assert failures == []
    assert counts["wrong_function"] == len(bfcl[category]) and counts["wrong_value"] > 0.9 * len(bfcl[category])


def test_irrelevance_rewards_no_call(bfcl: dict[str, Any]) -> None:
    items = bfcl["irrelevance"]
    assert len(items) == 240
    for question, _ in items:
        tools = {"tools": question["function"]}
        fn = question["function"][0]
        args = {k: 1 for k in fn["parameters"].get("required", [])}
        no_call = tool_call("None of the available tools can answer this.", [], [], tools)
        a_call = tool_call(hermes([ToolCall(fn["name"], args)]), [], [], tools)
        assert no_call.value == 1.0, question["id"]
        assert a_call.value == 0.0, question["id"]


def test_partial_components_by_hand() -> None:
    gold = [{"f": {"a": [1], "b": ["x"]}}, {"g": {"c": [True]}}]
    # f right name, one of two values right; g missing entirely
    r = tool_call('<tool_call>{"name": "f", "arguments": {"a": 1, "b": "y"}}</tool_call>', gold, [], {})
    # n = 2 gold calls; name: 1/2; param names: (2/2)/2; values: (1/2)/2
    assert r.components["name"] == 0.5 and r.components["param_names"] == 0.5 and r.components["param_values"] == 0.25
    assert r.value == pytest.approx((0.5 + 0.5 + 0.25) / 3)
    broken = tool_call('<tool_call>{"name": "f", "arguments": {"a": 1</tool_call>', gold, [], {})
    assert broken.components["format"] == 0.0 and broken.value == 0.0
    accept = tool_call("[g(c=True), f(a=1.0, b='X')]", gold, [], {}, mode="accept")
    assert accept.value == 1.0  # any order, int/float coercion, BFCL string standardisation


def test_engine_reads_openai_tool_calls_from_messages(bfcl: dict[str, Any]) -> None:
    question, answer = bfcl["parallel"][0]
    calls = ground_truth_calls(answer)
    rows = [
        {"prompt": question["question"][0], "completion": openai_message(calls), "reference": answer["ground_truth"], "metadata": {"tools": question["function"]}},
        {"prompt": question["question"][0], "completion": openai_message(calls[:1]), "reference": answer["ground_truth"], "metadata": {"tools": question["function"]}},
    ]
    with Engine({"name": "t", "components": [{"name": "call", "reward": "tool_call"}]}, cache=False) as engine:
        full, half = engine.score(rows)
    assert full.value == 1.0
    assert half.value < 1.0 and half.components["call.accepted"] == 0.0
