"""``milestones``: the judge-checked form of MiRA milestones ("A Subgoal-driven Framework for Improving
Long-Horizon LLM Agents"): subgoals, each judged against the agent's trajectory; dense reward = weighted
share reached. (The rule-checked form lives with the process rewards.)"""

from __future__ import annotations

from typing import Any, Literal

from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.kinds.rubric import as_checkpoints, check_items, weighted_share
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult, Step


def render_trajectory(steps: list[Step] | None, completion: str) -> str:
    """The trajectory as text: one numbered block per step (content, tool calls, observation)."""
    if not steps:
        return completion
    lines = []
    for i, s in enumerate(steps):
        parts = [f"Step {i + 1}" + (f" ({s.role})" if s.role else "") + f": {s.content}"]
        for t in s.tool_calls:
            parts.append(f"  tool call: {t.name}({t.arguments})")
        if s.observation is not None:
            parts.append(f"  observation: {s.observation}")
        lines.append("\n".join(parts))
    if completion and (not steps[-1].content or completion.strip() != steps[-1].content.strip()):
        lines.append(f"Final answer: {completion}")
    return "\n".join(lines)


@reward("milestones", source="MiRA: A Subgoal-driven Framework for Improving Long-Horizon LLM Agents (judge-checked milestones)", executor="async", timeout=600.0)
@with_judge_params
@judged
async def milestones(
    prompt: str,
    completion: str,
    steps: list[Step] | None = None,
    metadata: dict[str, Any] | None = None,
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
    milestones: list[Any] | None = None,
    mode: Literal["single", "separate"] = "single",
    **judge: Any,
) -> RewardResult:
    """Weighted share of milestones the trajectory reached (per-milestone verdicts in components).

    Source: MiRA (subgoal-driven long-horizon agents): dense reward from milestone completion. Milestones
    come from the ``milestones`` param or the row's ``metadata.milestones`` (strings or
    ``{criterion, weight}``).

    >>> import asyncio
    >>> asyncio.run(milestones("Book a flight", "", milestones=["searched flights"])).value
    0.0
    """
    raw = (metadata or {}).get("milestones") or milestones
    if not raw:
        raise Abstain("no milestones (milestones param or metadata.milestones)")
    checkpoints = as_checkpoints(raw)
    trajectory = render_trajectory(steps, completion)
    call = JudgeCall(judge, "milestones")
    blocked = call.guard(trajectory, prompt, 0.0, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    verdicts = await check_items(
        call, prompt, trajectory, [c.criterion for c in checkpoints], mode, "milestone", "", prompt_messages, completion_messages
    )
    components = {str(c.id): (1.0 if v else 0.0) for c, v in zip(checkpoints, verdicts)}
    return RewardResult.ok(weighted_share(checkpoints, verdicts), components=components, info=call.info(milestones=len(checkpoints)))
