"""Cost terms: pay per tool call (MASH) and model-call cost (Router-R1). Add them as components with weight 1."""

from __future__ import annotations

from typing import Any

from rewardsmith.params import NonNegativeFloat, NonNegativeInt, PositiveInt
from rewardsmith.registry import reward
from rewardsmith.types import Step, ToolCall


def count_calls(tool_calls: list[ToolCall], steps: list[Step] | None, tools: list[str] | None = None) -> int:
    """Tool calls in the completion and in the trajectory's steps, optionally only those named in ``tools``."""
    calls = list(tool_calls)
    for s in steps or []:
        calls.extend(s.tool_calls)
    return sum(1 for c in calls if tools is None or c.name in tools)


@reward("tool_call_cost", source="MASH, 'Pay-Per-Search Models are Abstention Models' (2025)", executor="inline")
def tool_call_cost(
    tool_calls: list[ToolCall], steps: list[Step] | None, price: NonNegativeFloat = 0.1, tools: list[str] | None = None,
    free_calls: NonNegativeInt = 0, max_cost: NonNegativeFloat | None = None,
) -> float:
    """Charge ``price`` per tool / search call beyond ``free_calls`` (MASH: reward accuracy, pay per search,
    so the policy learns to abstain from searching when it knows). Returns a cost <= 0, capped at -max_cost.

    >>> tool_call_cost([ToolCall("search", {})] * 3, None, price=0.1, free_calls=1)
    -0.2
    """
    n = max(0, count_calls(tool_calls, steps, tools) - free_calls)
    cost = price * n
    if max_cost is not None:
        cost = min(cost, max_cost)
    return -round(cost, 12)


@reward("model_cost", source="Router-R1 (Zhang et al., 2025), cost reward", executor="inline")
def model_cost(
    metadata: dict[str, Any], prices: dict[str, NonNegativeFloat], alpha: float = 1.0, per_tokens: PositiveInt = 1000
) -> float:
    """Router-R1 cost term: ``-alpha * sum(price[model] * tokens / per_tokens)`` over ``metadata.model_calls``
    (``[{"model": name, "tokens": n}]``). An unknown model is an error, not a free call.

    >>> model_cost({"model_calls": [{"model": "big", "tokens": 2000}, {"model": "small", "tokens": 1000}]},
    ...            prices={"big": 0.5, "small": 0.1})
    -1.1
    """
    total = 0.0
    for call in metadata.get("model_calls", []):
        model = call.get("model")
        if model not in prices:
            raise ValueError(f"no price for model {model!r} (prices: {sorted(prices)})")
        total += prices[model] * float(call.get("tokens", 0)) / per_tokens
    return -round(alpha * total, 12)
