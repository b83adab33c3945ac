"""``judge_score``: pointwise LLM-as-a-judge score on a scale (Zheng et al., 2023, "Judging LLM-as-a-Judge
with MT-Bench and Chatbot Arena", single-answer grading), structured JSON verdict, explanation kept."""

from __future__ import annotations

from typing import Any

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_score
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult


def reference_text(reference: Any) -> str | None:
    if reference is None:
        return None
    if isinstance(reference, (list, tuple)):
        return " | ".join(map(str, reference))
    return str(reference)


@reward("judge_score", source="Zheng et al., 2023, Judging LLM-as-a-Judge with MT-Bench (single-answer grading)", executor="async", timeout=300.0)
@with_judge_params
@judged
async def judge_score(
    prompt: str,
    completion: str,
    reference: Any = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    scale_min: int = 1,
    scale_max: int = 10,
    criteria: str = "helpfulness, correctness, clarity and honesty",
    use_reference: bool = True,
    normalize: bool = True,
    **judge: Any,
) -> RewardResult:
    """Pointwise judge score on [scale_min, scale_max], normalised to [0, 1] unless ``normalize: false``.

    Source: Zheng et al., 2023, "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena" (single-answer
    grading). The reply is JSON ``{"explanation", "score"}`` (tolerant parsing); the explanation is kept
    in ``info``. Content-free completions get the floor without a call (``guard``).

    >>> import asyncio
    >>> r = asyncio.run(judge_score("2+2?", "Solution", scale_min=1, scale_max=10))
    >>> r.value, r.reason
    (0.0, 'guard: no answer-bearing content: only words about answering (Solution) (no judge call)')
    """
    if scale_max <= scale_min:
        raise ValueError("scale_max must be above scale_min")
    call = JudgeCall(judge, "judge_score")
    floor = 0.0 if normalize else float(scale_min)
    ref = reference_text(reference) if use_reference else None
    blocked = call.guard(completion, prompt, floor, reference, require_answer=ref is not None, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    text = prompts.score_prompt(prompt, completion, scale_min, scale_max, criteria, ref)
    msgs = prompts.judge_messages(text, prompt_messages, [("RESPONSE", completion_messages)])
    labels = tuple(str(v) for v in range(scale_min, scale_max + 1))
    reply = await call.ask(msgs, prefill='{"score": ', choices=labels)
    try:
        score = parse_score(reply.text, scale_min, scale_max)
    except VerdictParseError:
        call.parse_failed()
        raise
    value = (score - scale_min) / (scale_max - scale_min) if normalize else score
    return RewardResult.ok(value, components={"raw_score": score}, info=call.info(explanation=explanation(reply.text)))
