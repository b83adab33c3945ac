"""Implicit process rewards: ``beta * log(pi / pi_ref)`` per token, summed per step (PRIME).

"Free Process Rewards without Process Labels" (Yuan et al. 2024) shows an outcome-trained implicit
reward model gives token-level process rewards for free; PRIME (Cui et al. 2025) uses them online.
"""

from __future__ import annotations

from typing import Literal

from rewardsmith.models.likelihood import prompt_prefix
from rewardsmith.models.logprobs import LPRequest, Overlong, check_same_vocab, logprob_service
from rewardsmith.params import PositiveInt
from rewardsmith.process.steps import SplitMode, split_steps, step_of_offset
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult

StepAggregate = Literal["sum", "min", "mean", "last"]


def step_sums(token_rewards: list[float], offsets: list[tuple[int, int]], starts: list[int]) -> list[float]:
    """Token rewards summed per step; a token belongs to the step its first character falls in.

    >>> step_sums([1.0, 2.0, 3.0], [(0, 2), (2, 5), (6, 8)], [0, 5])
    [3.0, 3.0]
    """
    from rewardsmith.process.steps import Span

    spans = [Span("", s, s) for s in starts]
    sums = [0.0] * len(starts)
    for value, (a, _) in zip(token_rewards, offsets):
        sums[step_of_offset(spans, a)] += value
    return sums


def aggregate_steps(values: list[float], how: StepAggregate) -> float:
    """sum / min / mean / last of step values.

    >>> [aggregate_steps([0.5, -1.0, 2.0], h) for h in ("sum", "min", "mean", "last")]
    [1.5, -1.0, 0.5, 2.0]
    """
    if not values:
        raise ValueError("no steps")
    if how == "sum":
        return sum(values)
    if how == "min":
        return min(values)
    if how == "mean":
        return sum(values) / len(values)
    if how == "last":
        return values[-1]
    raise ValueError(f"unknown aggregate {how!r}")


@reward("implicit_prm", source="Yuan et al. 2024, 'Free Process Rewards without Process Labels'; PRIME (Cui et al. 2025)",
        per="batch", executor="thread", timeout=600.0)
def implicit_prm(
    prompts: list[str],
    completions: list[str],
    model: str,
    ref_model: str,
    beta: float = 0.05,
    split: SplitMode = "double_newline",
    pattern: str | None = None,
    aggregate: StepAggregate = "sum",
    device: str = "auto",
    dtype: str = "auto",
    batch_size: PositiveInt = 16,
    prefix_reuse: bool = True,
    max_length: PositiveInt | None = None,
    overlong: Overlong = "truncate",
) -> list[RewardResult]:
    """Token rewards ``beta * (log pi(y_t) - log pi_ref(y_t))`` summed within each step (implicit PRM / PRIME).

    ``step_values``: one reward per step (steps split by ``split``); value: their ``aggregate`` (``sum`` is
    the outcome implicit reward ``beta * log pi/pi_ref`` of the whole response). Policy and reference
    must share a tokenizer.

    >>> implicit_prm([], [], model="/unused", ref_model="/unused")
    []
    """
    if not prompts:
        return []
    policy = logprob_service(model, device, dtype, batch_size, prefix_reuse, max_length, overlong)
    reference = logprob_service(ref_model, device, dtype, batch_size, prefix_reuse, max_length, overlong)
    check_same_vocab(policy, reference)
    reqs = [LPRequest(prompt_prefix(p), "", c) for p, c in zip(prompts, completions)]
    out: list[RewardResult] = []
    for c, rp, rr in zip(completions, policy.score(reqs), reference.score(reqs)):
        if rp.error or rr.error:
            out.append(RewardResult.error(rp.error or rr.error or ""))
            continue
        if not rp.target_logprobs:
            out.append(RewardResult.abstain("empty completion"))
            continue
        tokens = [beta * (a - b) for a, b in zip(rp.target_logprobs, rr.target_logprobs)]
        spans = split_steps(c, split, pattern) or []
        starts = [s.start for s in spans] or [0]
        per_step = step_sums(tokens, rp.target_offsets, starts)
        comps = {"outcome": sum(tokens), "steps": float(len(per_step))}
        out.append(RewardResult.ok(aggregate_steps(per_step, aggregate), comps, rp.reason, step_values=per_step))
    return out
