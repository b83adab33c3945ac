"""``r1_consistency``: R1-Reward's consistency reward (Zhang et al., 2025, "R1-Reward: Training Multimodal Reward
Model Through Stable Reinforcement Learning"): a referee model checks that a generative reward model's final
verdict follows from its own reasoning, so RL cannot pay a right verdict reached by a contradicting analysis."""

from __future__ import annotations

from typing import Any

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.guard import check_content
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_yes_no
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult
from rewardsmith.verifiers.r1_reward import parse_r1, preferred_response


@reward("r1_consistency", source="Zhang et al., 2025, R1-Reward (StableReinforce): consistency reward by a referee model", executor="async", timeout=300.0)
@with_judge_params
@judged
async def r1_consistency(
    completion: str,
    reference: Any = None,
    metadata: dict[str, Any] | None = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    inconsistent: float = -1.0,
    show_images: bool = False,
    **judge: Any,
) -> RewardResult:
    """Result x Consistency of R1-Reward: 0.0 when the verdict is not the preferred response (no call: the
    paper's formula multiplies consistency by the result); else +1.0 when the referee finds the verdict follows
    from the ``<think>`` reasoning and ``inconsistent`` (-1.0, as the authors' release; 0.0 for a 0/1 reading)
    when it does not.

    Source: R1-Reward (Zhang et al., 2025): an MLLM referee checks reasoning-verdict consistency. A missing or
    content-free reasoning cannot support any verdict: ``inconsistent`` without a call. The referee sees the
    analysis (fenced, as data) and the verdict, as text; ``show_images`` also shows it the prompt's images.

    >>> import asyncio
    >>> asyncio.run(r1_consistency("<think>Let's solve this problem step by step.</think><answer>1</answer>", 1)).value
    -1.0
    >>> asyncio.run(r1_consistency("<think>1 is right.</think><answer>1</answer>", 2)).reason
    'verdict 1 is not the preferred response: no consistency call (Result x Consistency = 0)'
    """
    gold = preferred_response(reference, metadata)
    out = parse_r1(completion)
    if out.verdict != gold:
        shown = "no single verdict" if out.verdict is None else f"verdict {out.verdict}"
        return RewardResult.ok(0.0, reason=f"{shown} is not the preferred response: no consistency call (Result x Consistency = 0)")
    call = JudgeCall(judge)
    if not out.reasoning or check_content(out.reasoning).blocked:
        call.client.ledger.add(guarded=1)
        return RewardResult.ok(inconsistent, reason="no reasoning to follow from (no referee call)", info={"consistent": False})
    text = prompts.consistency_prompt(out.reasoning, f"Response {out.verdict} is better")
    reply = await call.ask(prompts.judge_messages(text, prompt_messages if show_images else None), prefill='{"verdict": "')
    try:
        consistent = parse_yes_no(reply.text)
    except VerdictParseError:
        call.parse_failed()
        raise
    return RewardResult.ok(1.0 if consistent else inconsistent,
                           info=call.info(consistent=consistent, explanation=explanation(reply.text)))
