"""Monte Carlo step values and progress: rollouts from every step prefix, checked against the reference.

The value of step t is the share of k rollouts, sampled from the solution up to the end of step t, whose
final answer equals the reference (``math_equiv``'s extraction and comparison): Math-Shepherd's "soft"
estimate (Wang et al. 2024), also ReST-MCTS*'s value targets (Zhang et al. 2024); ``estimate: hard`` is 1 when
any rollout succeeds. Progress (PAV, Setlur et al. 2024, "Rewarding Progress: Scaling Automated Process
Verifiers for LLM Reasoning") is the change of that value from one step to the next, the first step measured
from the prompt alone. One computation (``mc_step_values``) serves both rewards.

The sampler (``sampler.py``) is a local causal LM or an OpenAI-compatible completions server; in PAV's terms
it is the *prover* policy. Rollouts start from ``prompt_prefix(prompt) + solution so far`` (plain text, no
chat template, as the likelihood rewards read it); identical prefixes in a batch (the prompt alone, shared by
a GRPO group) are sampled once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Literal

from rewardsmith.models.implicit_prm import StepAggregate, aggregate_steps
from rewardsmith.models.likelihood import prompt_prefix
from rewardsmith.params import PositiveFloat, PositiveInt
from rewardsmith.process.prm import PRMAggregate, aggregate_step_scores
from rewardsmith.process.sampler import Rollouts, Sampler, sampler_service
from rewardsmith.process.steps import SplitMode, step_prefixes
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult, Step
from rewardsmith.verifiers.math.equiv import DEFAULT_TOLERANCE, verify_detailed
from rewardsmith.verifiers.math.extract import Fallback

Estimate = Literal["soft", "hard"]

_SRC_MC = "Math-Shepherd (Wang et al. 2024) Monte Carlo step values; ReST-MCTS* (Zhang et al. 2024)"
_SRC_PAV = "Setlur et al. 2024, 'Rewarding Progress: Scaling Automated Process Verifiers for LLM Reasoning' (PAV)"


@dataclass(frozen=True)
class AnswerCheck:
    """How a rollout's final answer is compared with the reference (``math_equiv``'s settings)."""

    tolerance: float = DEFAULT_TOLERANCE
    pattern: str | None = None
    fallback: Fallback = "last_number"

    def correct(self, solution: str, reference: Any) -> bool | None:
        """True / False, or None when the reference cannot be used."""
        return verify_detailed(solution, reference, self.tolerance, self.pattern, "reject", self.fallback).correct


@dataclass
class MCTrace:
    """Monte Carlo values of one sample: ``root`` (prompt alone, when asked for) and one value per step."""

    values: list[float]
    root: float | None = None
    reason: str | None = None


def estimate_value(solutions: list[str], reference: Any, check: AnswerCheck, estimate: Estimate = "soft") -> float:
    """Share of rollout solutions that reach the reference (``soft``), or 1.0 if any does (``hard``).

    >>> estimate_value(["so 4", "so 5", "A: 4", "no idea"], "4", AnswerCheck())
    0.5
    >>> estimate_value(["so 5", "A: 4"], "4", AnswerCheck(), "hard"), estimate_value([], "4", AnswerCheck())
    (1.0, 0.0)
    """
    if not solutions:
        return 0.0
    hits = [bool(check.correct(s, reference)) for s in solutions]
    if estimate == "hard":
        return 1.0 if any(hits) else 0.0
    return sum(hits) / len(hits)


def mc_step_values(
    prompts: list[str],
    completions: list[str],
    references: list[Any],
    steps_list: list[list[Step] | None],
    get_sampler: Callable[[], Sampler],
    k: int,
    check: AnswerCheck,
    estimate: Estimate = "soft",
    root: bool = False,
    split: SplitMode = "double_newline",
    pattern: str | None = None,
) -> list[MCTrace | RewardResult]:
    """Values of every step prefix of every sample (and of the prompt alone with ``root``); a RewardResult
    (abstain or error) for a sample that gets none. ``get_sampler`` is called only when there is something
    to sample (no model is loaded for a batch without usable references)."""
    if k < 1:
        raise ValueError("k (rollouts per step) must be at least 1")
    out: list[MCTrace | RewardResult | None] = [None] * len(prompts)
    plans: dict[int, list[tuple[str, str]]] = {}  # sample -> (rollout prompt, solution so far) per value
    for i, (p, c, ref, st) in enumerate(zip(prompts, completions, references, steps_list)):
        if check.correct("", ref) is None:
            out[i] = RewardResult.abstain("no usable reference answer")
            continue
        solutions = step_prefixes(c, st, split, pattern)
        if not solutions:
            out[i] = RewardResult.abstain("no steps")
            continue
        head = prompt_prefix(p)
        plans[i] = [(head + s, s) for s in ([""] if root else []) + solutions]
    unique = list(dict.fromkeys(text for plan in plans.values() for text, _ in plan))
    rollouts: dict[str, Rollouts] = dict(zip(unique, get_sampler().sample(unique, k))) if unique else {}
    for i, plan in plans.items():
        got = [rollouts[text] for text, _ in plan]
        failed = next((r for r in got if r.error is not None), None)
        if failed is not None:
            out[i] = RewardResult.error(failed.error or "")
            continue
        values = [estimate_value([so_far + t for t in r.texts], references[i], check, estimate)
                  for (_, so_far), r in zip(plan, got)]
        reason = next((r.reason for r in got if r.reason), None)
        out[i] = MCTrace(values[1:], values[0], reason) if root else MCTrace(values, None, reason)
    return [o if o is not None else RewardResult.error("internal: not scored") for o in out]


@reward("mc_step_value", source=_SRC_MC, per="batch", executor="thread", timeout=3600.0)
def mc_step_value(
    prompts: list[str],
    completions: list[str],
    references: list[Any],
    steps_list: list[list[Step] | None],
    model: str,
    k: PositiveInt = 8,
    aggregate: PRMAggregate = "min",
    estimate: Estimate = "soft",
    max_new_tokens: PositiveInt = 256,
    temperature: float = 0.7,
    top_p: float = 1.0,
    seed: int = 0,
    split: SplitMode = "double_newline",
    pattern: str | None = None,
    answer_pattern: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    fallback: Fallback = "last_number",
    device: str = "auto",
    dtype: str = "auto",
    remote_model: str | None = None,
    timeout: PositiveFloat = 120.0,
    batch_size: PositiveInt = 16,
) -> list[RewardResult]:
    """Math-Shepherd Monte Carlo step values: from the solution up to each step, ``k`` rollouts of ``model``
    (a local causal LM or an OpenAI-compatible completions URL); a step's value is the share whose final
    answer equals the reference (``estimate: hard``: 1 if any does), as in Math-Shepherd (Wang et al. 2024)
    and ReST-MCTS*. ``step_values`` holds one value per step; the value is their ``aggregate`` (``min``, as
    PURE and Math-Shepherd's verifier use it; ``last``, ``mean``, ``product``). ``info.first_error_step``: the
    first step from which no rollout succeeds (-1: none). Steps: the row's ``steps``, else the completion
    split by ``split``. Answers are read and compared as ``math_equiv`` does (``answer_pattern``,
    ``tolerance``, ``fallback``); no usable reference: abstain.

    >>> mc_step_value(["2+2?"], ["4"], [None], [None], model="/unused")[0].reason
    'no usable reference answer'
    """
    traces = mc_step_values(
        prompts, completions, references, steps_list,
        lambda: sampler_service(model, max_new_tokens, temperature, top_p, seed, device, dtype, remote_model, timeout, batch_size),
        k, AnswerCheck(tolerance, answer_pattern, fallback), estimate, False, split, pattern,
    )
    out: list[RewardResult] = []
    for t in traces:
        if isinstance(t, RewardResult):
            out.append(t)
            continue
        first_zero = next((j for j, v in enumerate(t.values) if v == 0.0), -1)
        comps = {"steps": float(len(t.values)), "first_error_step": float(first_zero)}
        out.append(RewardResult.ok(aggregate_step_scores(t.values, aggregate), comps, t.reason, step_values=t.values,
                                   info={"first_error_step": first_zero, "k": k}))
    return out


@reward("progress", source=_SRC_PAV, per="batch", executor="thread", timeout=3600.0)
def progress(
    prompts: list[str],
    completions: list[str],
    references: list[Any],
    steps_list: list[list[Step] | None],
    model: str,
    k: PositiveInt = 8,
    aggregate: StepAggregate = "sum",
    estimate: Estimate = "soft",
    max_new_tokens: PositiveInt = 256,
    temperature: float = 0.7,
    top_p: float = 1.0,
    seed: int = 0,
    split: SplitMode = "double_newline",
    pattern: str | None = None,
    answer_pattern: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    fallback: Fallback = "last_number",
    device: str = "auto",
    dtype: str = "auto",
    remote_model: str | None = None,
    timeout: PositiveFloat = 120.0,
    batch_size: PositiveInt = 16,
) -> list[RewardResult]:
    """PAV progress (Setlur et al. 2024, "Rewarding Progress"): the reward of step t is the change of its
    Monte Carlo value under the prover ``model``, ``V(step t) - V(step t-1)``, with ``V(step 0)`` the value of
    the prompt alone; values as in ``mc_step_value``. ``step_values`` holds the per-step progress; the value is
    their ``aggregate`` (``sum`` = final minus initial value; ``min``, ``mean``, ``last``).

    >>> progress(["2+2?"], ["4"], [None], [None], model="/unused")[0].status.value
    'abstain'
    """
    traces = mc_step_values(
        prompts, completions, references, steps_list,
        lambda: sampler_service(model, max_new_tokens, temperature, top_p, seed, device, dtype, remote_model, timeout, batch_size),
        k, AnswerCheck(tolerance, answer_pattern, fallback), estimate, True, split, pattern,
    )
    out: list[RewardResult] = []
    for t in traces:
        if isinstance(t, RewardResult):
            out.append(t)
            continue
        assert t.root is not None
        chain = [t.root] + t.values
        gains = [b - a for a, b in zip(chain, chain[1:])]
        comps = {"root_value": t.root, "final_value": t.values[-1], "steps": float(len(gains))}
        out.append(RewardResult.ok(aggregate_steps(gains, aggregate), comps, t.reason, step_values=gains,
                                   info={"step_mc_values": t.values, "k": k}))
    return out

