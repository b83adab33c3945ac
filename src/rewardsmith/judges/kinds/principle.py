"""``principle``: principle-following reward (RewardAnything, Yu et al., 2025, "RewardAnything:
Generalizable Principle-Following Reward Models"): a natural-language principle decides what "better" means."""

from __future__ import annotations

from typing import Any

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_score
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult


@reward("principle", source="Yu et al., 2025, RewardAnything: Generalizable Principle-Following Reward Models", executor="async", timeout=300.0)
@with_judge_params
@judged
async def principle(
    prompt: str,
    completion: str,
    metadata: dict[str, Any] | None = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    principle: str | None = None,
    scale_min: int = 1,
    scale_max: int = 5,
    **judge: Any,
) -> RewardResult:
    """How well the completion follows the principle (row ``metadata.principle`` overrides the spec's), in [0, 1].

    Source: RewardAnything (Yu et al., 2025): the principle, not a fixed notion of quality, defines the reward.

    >>> import asyncio
    >>> asyncio.run(principle("Say hi", "   ", principle="Be brief.")).value
    0.0
    """
    call = JudgeCall(judge, "principle")
    rule = (metadata or {}).get("principle") or principle
    if not rule:
        raise Abstain("no principle (principle param or metadata.principle)")
    blocked = call.guard(completion, prompt, 0.0, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    text = prompts.principle_prompt(prompt, completion, str(rule), scale_min, scale_max)
    reply = await call.ask(prompts.judge_messages(text, prompt_messages, [("RESPONSE", completion_messages)]), prefill='{"score": ',
                           choices=tuple(str(v) for v in range(scale_min, scale_max + 1)))
    try:
        score = parse_score(reply.text, scale_min, scale_max)
    except VerdictParseError:
        call.parse_failed()
        raise
    value = (score - scale_min) / (scale_max - scale_min)
    return RewardResult.ok(value, components={"raw_score": score}, info=call.info(explanation=explanation(reply.text)))
