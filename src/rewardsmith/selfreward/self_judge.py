"""``self_judge``: the policy (or any judge backend) scores its own output without a reference (SSR-Zero),
optionally mixed with a reference metric (SSR-X).

The judging is ``judge_score`` of ``rewardsmith.judges`` with ``use_reference: false``: point the judge
params (``base_url``, ``model`` ...) at the policy's own server for self-rewarding; with no judge
configured the judges' embedded SmolLM2 answers. The reference metric is chrF or BLEU (sacrebleu)
against the row's reference, on [0, 1].
"""

from __future__ import annotations

from typing import Any, Literal

from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.kinds.score import judge_score
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult

ReferenceMetric = Literal["none", "chrf", "bleu"]


def reference_metric_score(completion: str, reference: Any, metric: ReferenceMetric) -> float:
    """chrF (the ``chrf`` reward, overlength charged) / sentence BLEU of the completion against the
    reference(s), on [0, 1] (sacrebleu).

    >>> reference_metric_score("Le chat dort.", "Le chat dort.", "chrf")
    1.0
    """
    refs = [str(r) for r in (reference if isinstance(reference, (list, tuple)) else [reference])]
    if metric == "chrf":  # the chrf reward's own: several candidate translations are charged for their length
        from rewardsmith.verifiers.similarity import chrf

        return chrf(completion, refs)
    if metric == "bleu":
        from sacrebleu.metrics import BLEU

        return float(BLEU(effective_order=True).sentence_score(completion, refs).score) / 100.0
    raise ValueError(f"unknown reference metric {metric!r}")


@reward(
    "self_judge",
    source="SSR-Zero / SSR-X: Yang et al., 2025, Simple Self-Rewarding Reinforcement Learning for Machine Translation",
    executor="async",
    timeout=300.0,
)
@with_judge_params
async def self_judge(
    prompt: str,
    completion: str,
    reference: Any = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    scale_min: int = 0,
    scale_max: int = 100,
    criteria: str = "accuracy, fluency and faithfulness to the source; no reference is available",
    reference_metric: ReferenceMetric = "none",
    mix: float = 0.0,
    **judge: Any,
) -> RewardResult:
    """Reference-free self-judgement on [0, 1] (SSR-Zero), optionally ``(1 - mix) * judge + mix * metric``
    with chrF / BLEU against the reference (SSR-X). Judge failures are errors, never zeros; with a mix and
    no reference the sample abstains.

    >>> import asyncio
    >>> asyncio.run(self_judge("Translate: hi", "Solution")).reason  # content-free: the guard answers, no call
    'guard: no answer-bearing content: only words about answering (Solution) (no judge call)'
    """
    if not 0.0 <= mix <= 1.0:
        raise ValueError("mix must lie in [0, 1]")
    judged = await judge_score(  # the reference only keeps the guard from blocking a right answer; the judge never sees it
        prompt, completion, reference, prompt_messages, completion_messages,
        scale_min=scale_min, scale_max=scale_max, criteria=criteria, use_reference=False, normalize=True, **judge,
    )
    if not judged.is_ok or mix == 0.0 or reference_metric == "none":
        return judged
    if reference is None:
        return RewardResult.abstain(f"no reference for the {reference_metric} part of the mix")
    assert judged.value is not None
    metric = reference_metric_score(completion, reference, reference_metric)
    value = (1.0 - mix) * judged.value + mix * metric
    components = {"self_judge": judged.value, reference_metric: metric, **judged.components}
    return RewardResult.ok(value, components=components, reason=judged.reason, info=judged.info)
