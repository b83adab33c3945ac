"""``tool_call``: ToolRL-style reward for function calls, with BFCL acceptance.

``reference`` is the BFCL possible-answer list ``[{"func_name": {"arg": [accepted values]}}]`` (``[]``:
no tool fits, the right answer is no call); ``metadata.tools`` holds the tool schemas (BFCL or OpenAI
shape). Calls come from the OpenAI ``tool_calls`` of the completion, Hermes ``<tool_call>`` blocks, or
Python call syntax. Pure parsing and comparison: nothing is executed, so it runs inline.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from rewardsmith.execution.bfcl_match import score_calls
from rewardsmith.execution.tool_parse import normalize_tools, parse_tool_calls
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult, ToolCall


def _gold(reference: Any) -> list[dict[str, dict[str, list[Any]]]]:
    ref = reference
    if isinstance(ref, str):
        try:
            ref = json.loads(ref)
        except ValueError:
            raise Abstain("tool_call: reference is not JSON") from None
    if isinstance(ref, dict) and "ground_truth" in ref:
        ref = ref["ground_truth"]
    if isinstance(ref, dict):
        ref = [{k: v} for k, v in ref.items()]
    if not isinstance(ref, list):
        raise Abstain("tool_call: reference must be a list of {func_name: {arg: [accepted values]}}")
    golds = []
    for item in ref:
        if not isinstance(item, dict) or len(item) != 1:
            raise Abstain("tool_call: each gold call is one {func_name: {arg: [values]}}")
        (name, args), = item.items()
        if not isinstance(args, dict):
            raise Abstain(f"tool_call: arguments of {name} must be an object")
        golds.append({name: {k: (v if isinstance(v, list) else [v]) for k, v in args.items()}})
    return golds


@reward("tool_call", source="ToolRL (Qian et al., 2025, Reward is All Tool Learning Needs); BFCL AST checker", executor="inline")
def tool_call(
    completion: str,
    reference: Any,
    tool_calls: list[ToolCall],
    metadata: dict[str, Any],
    mode: Literal["toolrl", "accept"] = "toolrl",
) -> RewardResult:
    """Format, tool-name, parameter-name and parameter-value matching (ToolRL, Qian et al. 2025), BFCL acceptance.

    ``mode="toolrl"``: the mean of name / parameter-name / parameter-value match (0 when a call is
    malformed); ``mode="accept"``: 1 when BFCL accepts the calls, else 0. Irrelevance (``reference == []``):
    1 for making no call, 0 otherwise.

    >>> gold = [{"get_weather": {"city": ["Paris", "paris, france"], "unit": ["", "celsius"]}}]
    >>> tool_call('<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>', gold, [], {}).value
    1.0
    >>> tool_call('get_weather(city="Rome")', gold, [], {}).components["param_values"]
    0.0
    """
    golds = _gold(reference)
    tools = metadata.get("tools") if isinstance(metadata, dict) else None
    parsed = parse_tool_calls(completion, tool_calls, tools)
    info: dict[str, Any] = {"syntax": parsed.syntax, "calls": [c.to_dict() for c in parsed.calls]}
    if parsed.problems:
        info["problems"] = parsed.problems
    fmt = 1.0 if parsed.format_ok else 0.0
    if not golds:  # irrelevance: no tool fits
        right = not parsed.calls
        comps: dict[str, float | None] = {"format": fmt, "accepted": 1.0 if right else 0.0}
        reason = "no call, as expected" if right else f"made {len(parsed.calls)} call(s) where no tool fits"
        return RewardResult.ok(1.0 if right and parsed.format_ok else 0.0, comps, reason, info=info)
    s = score_calls(parsed.calls, golds, normalize_tools(tools))
    comps = {
        "format": fmt,
        "name": s.name,
        "param_names": s.param_names,
        "param_values": s.param_values,
        "accepted": 1.0 if s.accepted else 0.0,
    }
    if mode == "accept":
        value = comps["accepted"] if parsed.format_ok else 0.0
    else:
        value = fmt * (s.name + s.param_names + s.param_values) / 3.0
    if not parsed.calls:
        reason = "no tool call"
    elif s.accepted:
        reason = f"{len(golds)} call(s) accepted"
    else:
        reason = f"{s.matched}/{len(golds)} gold call(s) matched by {len(parsed.calls)} call(s)"
    return RewardResult.ok(value, comps, reason, info=info)
