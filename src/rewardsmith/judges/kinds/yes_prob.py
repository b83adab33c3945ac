"""``judge_yes_prob``: reward = P("yes") from the judge's first-token logprobs, normalised over yes/no
(RewardDance, Wu et al., 2025, "RewardDance: Reward Scaling in Visual Generation")."""

from __future__ import annotations

import math
from typing import Any

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.parsing import VerdictParseError
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult

YES = ("yes",)
NO = ("no",)


def yes_probability(top: dict[str, float]) -> float:
    """P(yes) / (P(yes) + P(no)) over first-token candidates (case, spaces and punctuation folded).

    >>> round(yes_probability({" Yes": math.log(0.6), "No": math.log(0.2), "Maybe": math.log(0.2)}), 3)
    0.75
    """
    p_yes = p_no = 0.0
    for token, logprob in top.items():
        word = token.strip().strip(".,!:\"'*").lower()
        if word in YES:
            p_yes += math.exp(logprob)
        elif word in NO:
            p_no += math.exp(logprob)
    if p_yes + p_no <= 0:
        raise VerdictParseError(f"neither 'yes' nor 'no' among the top tokens {sorted(top)[:8]}")
    return p_yes / (p_yes + p_no)


@reward("judge_yes_prob", source="Wu et al., 2025, RewardDance: Reward Scaling in Visual Generation (P(yes) reward)", executor="async", timeout=300.0)
@with_judge_params
@judged
async def judge_yes_prob(
    prompt: str,
    completion: str,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    question: str = "Is the response correct, helpful and complete?",
    top_logprobs: int = 20,
    **judge: Any,
) -> RewardResult:
    """P("yes") of a one-token yes/no judgement, normalised over yes and no (needs a backend with logprobs).

    Source: RewardDance (Wu et al., 2025): the reward is the probability the judge assigns to "yes".

    >>> import asyncio
    >>> asyncio.run(judge_yes_prob("q", "...")).value
    0.0
    """
    call = JudgeCall(judge, "judge_yes_prob")
    blocked = call.guard(completion, prompt, 0.0, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    reply = await call.ask(
        prompts.judge_messages(prompts.yes_no_prompt(prompt, completion, question), prompt_messages, [("RESPONSE", completion_messages)]),
        max_tokens=1,
        logprobs=True,
        top_logprobs=top_logprobs,
    )
    if not reply.top_logprobs or not reply.top_logprobs[0]:
        raise VerdictParseError(f"the judge backend returned no logprobs ({call.client.identity})")
    try:
        p = yes_probability(reply.top_logprobs[0])
    except VerdictParseError:
        call.parse_failed()
        raise
    return RewardResult.ok(p, info=call.info(first_token=reply.text))
