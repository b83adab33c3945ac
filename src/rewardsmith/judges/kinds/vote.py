"""``judge_vote``: inference-time scaling of a generative judge (Liu et al., 2025, DeepSeek-GRM, "Inference-Time
Scaling for Generalist Reward Modeling"): k sampled critiques with scores, aggregated by voting (mean or
majority) or by a meta-judge that picks the best-reasoned critique."""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from typing import Any, Literal

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.kinds.score import reference_text
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_score
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult


@reward("judge_vote", source="Liu et al., 2025, DeepSeek-GRM: Inference-Time Scaling for Generalist Reward Modeling", executor="async", timeout=600.0)
@with_judge_params
@judged
async def judge_vote(
    prompt: str,
    completion: str,
    reference: Any = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    k: int = 4,
    aggregate: Literal["mean", "majority", "meta"] = "mean",
    sample_temperature: float = 0.7,
    scale_min: int = 1,
    scale_max: int = 10,
    criteria: str = "helpfulness, correctness, clarity and honesty",
    min_valid: int = 1,
    **judge: Any,
) -> RewardResult:
    """k sampled judge scores -> mean, majority (most common score, ties -> lower) or meta-judge pick; in [0, 1].

    Source: DeepSeek-GRM (Liu et al., 2025): sample k principles+critiques, vote over their scores, or let a
    meta reward model choose. Samples whose verdict cannot be parsed are dropped (counted); fewer than
    ``min_valid`` parsed samples is an error.

    >>> import asyncio
    >>> asyncio.run(judge_vote("q", "Solution")).value
    0.0
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    call = JudgeCall(judge, "judge_vote")
    blocked = call.guard(completion, prompt, 0.0, reference, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    shown = [("RESPONSE", completion_messages)]
    text = prompts.score_prompt(prompt, completion, scale_min, scale_max, criteria, reference_text(reference))
    msgs = prompts.judge_messages(text, prompt_messages, shown)
    # k separate calls, each with its own seed: servers (and the in-flight dedupe) treat them as distinct samples
    base_seed = call.config.seed or 0
    labels = tuple(str(v) for v in range(scale_min, scale_max + 1))

    async def sample(i: int) -> str:
        reply = await call.ask(msgs, temperature=sample_temperature, seed=base_seed + i, prefill='{"score": ', choices=labels)
        return reply.text

    texts = list(await asyncio.gather(*(sample(i) for i in range(k))))
    scores: list[float] = []
    critiques: list[str] = []
    for t in texts:
        try:
            scores.append(parse_score(t, scale_min, scale_max))
            critiques.append(t)
        except VerdictParseError:
            call.parse_failed()
    if len(scores) < max(1, min_valid):
        raise VerdictParseError(f"only {len(scores)} of {k} judge samples had a readable score")
    final = statistics.fmean(scores)
    if aggregate == "majority":
        counts = Counter(scores)
        top = max(counts.values())
        final = min(s for s, c in counts.items() if c == top)
    extra: dict[str, Any] = {}
    if aggregate == "meta":  # the meta judge picks the best-reasoned critique; its score is the verdict
        picks = tuple(str(i + 1) for i in range(len(critiques)))
        meta = prompts.meta_prompt(prompt, completion, critiques, scale_min, scale_max)
        reply = await call.ask(prompts.judge_messages(meta, prompt_messages, shown), prefill='{"best": ', choices=picks)
        try:
            best = int(parse_score(reply.text, 1, len(critiques), keys=("best", "critique", "choice")))
        except VerdictParseError:
            call.parse_failed()
            raise
        final = scores[best - 1]
        extra["meta_pick"] = best
    value = (final - scale_min) / (scale_max - scale_min)
    components = {f"s{i + 1}": (s - scale_min) / (scale_max - scale_min) for i, s in enumerate(scores)}
    info = call.info(aggregate=aggregate, scores=scores, explanation=explanation(critiques[extra.get("meta_pick", 1) - 1]), **extra)
    return RewardResult.ok(value, components=components, info=info)
