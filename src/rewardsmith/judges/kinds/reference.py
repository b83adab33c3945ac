"""``reference_verifier``: binary correctness against a reference answer, judged by an LLM (Cooper's VerifyRM,
Hong et al., 2025, "Cooper: Co-Optimizing Policy and Reward Models"; hardened per Zhao et al., 2025, "One
Token to Fool LLM-as-a-Judge"), for answers that rules cannot parse."""

from __future__ import annotations

from typing import Any

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.kinds.score import reference_text
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_yes_no
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult


@reward("reference_verifier", source="Cooper VerifyRM (Hong et al., 2025); One Token to Fool LLM-as-a-Judge (Zhao et al., 2025)", executor="async", timeout=300.0)
@with_judge_params
@judged
async def reference_verifier(
    prompt: str,
    completion: str,
    reference: Any = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    **judge: Any,
) -> RewardResult:
    """1.0 when the judge finds the completion's final answer equivalent to the reference, else 0.0.

    Source: Cooper's VerifyRM (reference-based binary verifier) with the master-key guard of "One Token to
    Fool LLM-as-a-Judge": content-free completions get 0 without a call.

    >>> import asyncio
    >>> asyncio.run(reference_verifier("What is 6*7?", "Thought process:", reference="42")).value
    0.0
    """
    ref = reference_text(reference)
    if not ref:
        raise Abstain("no reference answer")
    call = JudgeCall(judge, "reference_verifier")
    blocked = call.guard(completion, prompt, 0.0, reference, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    text = prompts.reference_prompt(prompt, completion, ref)
    reply = await call.ask(prompts.judge_messages(text, prompt_messages, [("RESPONSE", completion_messages)]), prefill='{"verdict": "',
                           choices=("yes", "no"))
    try:
        correct = parse_yes_no(reply.text)
    except VerdictParseError:
        call.parse_failed()
        raise
    return RewardResult.ok(1.0 if correct else 0.0, info=call.info(explanation=explanation(reply.text)))
