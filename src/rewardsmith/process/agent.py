"""Rule-checked agent trajectory rewards: milestones (MiRA), pay-per-search (MASH), tool success (PORTool, G-RA)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, with_config
from typing_extensions import NotRequired, TypedDict

from rewardsmith.compose.cost import tool_call_cost
from rewardsmith.params import NonNegativeFloat, NonNegativeInt
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult, Step, ToolCall
from rewardsmith.verifiers.answers import answer_span, straight_apostrophes


@with_config(ConfigDict(extra="forbid", strict=True))
class Milestone(TypedDict):
    """One milestone of ``milestones_rule``: what to look for (a spec key that is not one of these is an
    error naming it, never a milestone that silently matches everything)."""

    kind: Literal["url", "tool", "text"]
    source: NotRequired[Literal["environment", "policy", "all"]]
    name: NotRequired[str]
    weight: NotRequired[float]
    pattern: NotRequired[str]
    tool: NotRequired[str]
    args: NotRequired[dict[str, Any]]


def _texts(completion: str, steps: list[Step] | None, source: str = "environment") -> str:
    """The text a ``text`` milestone is looked for in: what the environment returned (step observations) by
    default; the policy's own words (completion and step contents) only when the milestone says so, since a
    policy can write "order #12 placed" without placing anything."""
    parts: list[str] = []
    if source in ("policy", "all"):
        parts += [completion] + [s.content for s in steps or []]
    if source in ("environment", "all"):
        parts += [s.observation or "" for s in steps or []]
    return "\n".join(parts)


def _all_calls(tool_calls: list[ToolCall], steps: list[Step] | None) -> list[ToolCall]:
    return list(tool_calls) + [c for s in steps or [] for c in s.tool_calls]


def milestone_reached(m: Milestone | dict[str, Any], completion: str, steps: list[Step] | None, tool_calls: list[ToolCall]) -> bool:
    """One milestone: ``{kind: url|tool|text, ...}`` checked against the trajectory.

    >>> milestone_reached({"kind": "tool", "tool": "search", "args": {"q": "x"}}, "", None, [ToolCall("search", {"q": "x", "n": 3})])
    True
    >>> placed = [Step("buy", tool_calls=[ToolCall("buy")], observation="order #12 confirmed")]
    >>> milestone_reached({"kind": "text", "pattern": "order #\\\\d+"}, "", placed, [])
    True
    >>> milestone_reached({"kind": "text", "pattern": "order #\\\\d+"}, "I placed order #12", None, [])  # only said
    False
    """
    kind = m.get("kind")
    calls = _all_calls(tool_calls, steps)
    if kind == "tool":
        want = m.get("args") or {}
        return any(c.name == m.get("tool") and all(c.arguments.get(k) == v for k, v in want.items()) for c in calls)
    if kind == "text":
        return re.search(str(m.get("pattern", "")), _texts(completion, steps, m.get("source", "environment"))) is not None
    if kind == "url":
        pattern = str(m.get("pattern", ""))
        urls = [str(s.metadata.get("url", "")) for s in steps or []]
        urls += [str(c.arguments.get("url", "")) for c in calls]
        return any(u and re.search(pattern, u) for u in urls)
    raise ValueError(f"unknown milestone kind {kind!r} (url, tool, text)")


@reward("milestones_rule", source="MiRA milestone rewards for web agents (2025)", executor="inline")
def milestones_rule(
    completion: str,
    steps: list[Step] | None,
    tool_calls: list[ToolCall],
    metadata: dict[str, Any],
    milestones: list[Milestone],
    gate_on_success: bool = False,
    success_key: str = "success",
) -> RewardResult:
    """Dense reward = weighted share of milestones reached (MiRA); each milestone is ``{name?, weight?, kind:
    url|tool|text, pattern | tool + args, source?}``. A ``text`` milestone is looked for in what the
    environment returned (step observations), not in what the policy wrote, unless ``source: policy`` (or
    ``all``) says so. ``gate_on_success``: 0 unless ``metadata[success_key]`` is true.

    >>> r = milestones_rule("found it", None, [ToolCall("search", {})], {},
    ...     [{"name": "searched", "kind": "tool", "tool": "search"}, {"name": "bought", "kind": "text", "pattern": "bought", "weight": 3}])
    >>> r.value, r.components
    (0.25, {'searched': 1.0, 'bought': 0.0})
    """
    if not milestones:
        raise ValueError("milestones_rule needs at least one milestone")
    comps: dict[str, float | None] = {}
    total = reached = 0.0
    for i, m in enumerate(milestones):
        w = float(m.get("weight", 1.0))
        hit = milestone_reached(m, completion, steps, tool_calls)
        comps[str(m.get("name", f"m{i}"))] = 1.0 if hit else 0.0
        total += w
        reached += w if hit else 0.0
    value = reached / total if total else 0.0
    if gate_on_success and not metadata.get(success_key):
        return RewardResult.ok(0.0, comps, reason=f"gated: metadata.{success_key} is not true")
    return RewardResult.ok(value, comps)


#: What an abstention says, matched against the whole final sentence (see ``abstained``).
DEFAULT_ABSTAIN = (
    r"(?:sorry,?\s*)?(?:i\s+(?:do\s+not|don't|dont)\s+know|i\s+(?:cannot|can't|cant|am\s+unable\s+to|'m\s+unable\s+to"
    r"|am\s+not\s+able\s+to|'m\s+not\s+able\s+to)\s+answer)(?:\s+(?:it|that|this|the\s+question|this\s+question"
    r"|that\s+question|the\s+answer))?(?:,?\s*sorry)?"
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def final_sentence(completion: str) -> str:
    """The last sentence of the completion's answer (its last ``<answer>`` tag, else the completion),
    straight apostrophes, lower case, without surrounding punctuation or markdown.

    >>> final_sentence("I searched twice.\\nSorry, I don\u2019t know!"), final_sentence("<answer>**Paris**</answer>")
    ("sorry, i don't know", 'paris')
    """
    lines = [line for line in answer_span(completion).splitlines() if line.strip()]
    if not lines:
        return ""
    sentences = [x for x in _SENTENCE_END.split(lines[-1].strip()) if x.strip()]
    last = straight_apostrophes(sentences[-1] if sentences else "")
    return " ".join(last.lower().split()).strip(" .!?,;:*_\"'`")


def abstained(completion: str, pattern: str = DEFAULT_ABSTAIN) -> bool:
    """True when the completion's final sentence is an abstention: it matches ``pattern`` as a whole, so
    "I don't know for sure, but Paris" answers and "I don\u2019t know." abstains.

    >>> abstained("I don\u2019t know."), abstained("I can't answer that"), abstained("I don't know for sure, but Paris")
    (True, True, False)
    """
    return re.fullmatch(pattern, final_sentence(completion), re.IGNORECASE) is not None


@reward(
    "search_cost",
    source="MASH, Gul, Cardie & Goyal, 'Pay-Per-Search Models are Abstention Models' (2025); abstain reward: TruthRL's ternary reward (2025)",
    executor="inline",
)
def search_cost(
    completion: str,
    tool_calls: list[ToolCall],
    steps: list[Step] | None,
    components: dict[str, Any],
    outcome: str = "correct",
    price: NonNegativeFloat = 0.1,
    tools: list[str] | None = None,
    free_calls: NonNegativeInt = 0,
    abstain_pattern: str = DEFAULT_ABSTAIN,
    abstain_reward: float = 0.5,
) -> RewardResult:
    """Outcome reward (the spec component named ``outcome``) minus ``price`` per search / tool call, via
    ``tool_call_cost`` (MASH, "Pay-Per-Search Models are Abstention Models", 2025). A completion whose final
    sentence abstains ("I don't know", "I can't answer", curly apostrophes too; ``abstain_pattern`` must match
    that whole sentence) earns ``abstain_reward`` instead of the outcome. The default 0.5 sits between a wrong
    (0) and a correct (1) outcome, TruthRL's ternary +1 / 0 / -1 reward on a 0-1 scale, so correct > abstain >
    wrong: abstaining pays only when the policy would more likely be wrong. Searches are charged either way.

    >>> search_cost("Paris", [ToolCall("search", {})] * 2, None, {"correct": 1.0}).value
    0.8
    >>> r = search_cost("I don\u2019t know.", [], None, {"correct": 0.0})
    >>> r.value, r.components["abstained"]
    (0.5, 1.0)
    """
    cost = tool_call_cost(tool_calls, steps, price=price, tools=tools, free_calls=free_calls)
    gave_up = abstained(completion, abstain_pattern)
    if gave_up:
        base = abstain_reward
    else:
        value = components.get(outcome)
        if value is None:
            raise Abstain(f"no value for the outcome component {outcome!r}")
        base = float(value)
    comps = {"outcome": base, "cost": cost, "abstained": 1.0 if gave_up else 0.0}
    return RewardResult.ok(base + cost, comps)


def call_succeeded(step: Step, error_pattern: str) -> bool:
    """A step's tool call succeeded unless ``metadata.success`` is false, ``metadata.error`` is set, or the
    observation matches ``error_pattern``.

    >>> call_succeeded(Step("s", observation="Error: 404"), r"(?i)^error")
    False
    """
    if step.metadata.get("success") is False or step.metadata.get("error"):
        return False
    return not (step.observation and re.search(error_pattern, step.observation))


@reward("tool_success", source="PORTool (2025) per-step tool rewards; G-RA gated reward accumulation (2025)", executor="inline")
def tool_success(
    steps: list[Step] | None,
    components: dict[str, Any],
    success_reward: float = 0.1,
    failure_penalty: float = -0.1,
    error_pattern: str = r"(?i)^\s*(error|exception|traceback)",
    outcome: str | None = None,
    gate: float | None = None,
    accumulate: Literal["mean", "sum"] = "mean",
) -> RewardResult:
    """Per-step rewards for tool calls that succeed / fail (PORTool) in ``step_values``; with ``outcome`` (a
    component name) and ``gate``, step rewards count only when the outcome reaches ``gate`` (G-RA).
    The value adds to the outcome the ``mean`` of the step rewards over the steps that call a tool (a
    ``sum`` paid a policy for every extra call that cannot fail: 100 lookups earned +10), so it stays within
    ``[failure_penalty, success_reward]`` of the outcome; ``step_values`` keep the per-step rewards.

    >>> ok, bad = Step("a", tool_calls=[ToolCall("f")], observation="42"), Step("b", tool_calls=[ToolCall("g")], observation="Error")
    >>> r = tool_success([ok, bad, Step("done")], {"correct": 1.0}, outcome="correct", gate=0.5)
    >>> r.step_values, r.value
    ([0.1, -0.1, 0.0], 1.0)
    >>> tool_success([ok], {"correct": 0.0}, outcome="correct", gate=0.5).value
    0.0
    """
    if not steps:
        raise Abstain("no steps in the trajectory")
    per_step = [
        (success_reward if call_succeeded(s, error_pattern) else failure_penalty) if s.tool_calls else 0.0
        for s in steps
    ]
    calling = [v for v, s in zip(per_step, steps) if s.tool_calls]
    accumulated = sum(calling) if accumulate == "sum" else (sum(calling) / len(calling) if calling else 0.0)
    base = 0.0
    if outcome is not None:
        value = components.get(outcome)
        if value is None:
            raise Abstain(f"no value for the outcome component {outcome!r}")
        base = float(value)
        if gate is not None and base < gate:
            accumulated = 0.0
    return RewardResult.ok(round(base + accumulated, 12), {"outcome": base, "steps": accumulated}, step_values=per_step)
