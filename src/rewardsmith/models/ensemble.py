"""Reward-model ensembles: mean, min, or mean - k * std over members (Eisenstein et al. 2023)."""

from __future__ import annotations

import statistics
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, ConfigDict, Field, NonNegativeInt, PositiveFloat, PositiveInt, with_config
from typing_extensions import NotRequired, TypedDict

from rewardsmith.models.chat import TemplatePolicy
from rewardsmith.models.reward_model import Overlong, RemoteInput, RMSettings, Scale, score_samples
from rewardsmith.registry import reward
from rewardsmith.types import Message, RewardResult, Status

Aggregate = Literal["mean", "min", "mean_minus_std"]


def aggregate_scores(scores: list[float], how: Aggregate = "mean", k: float = 1.0) -> float:
    """Combine member scores. ``mean_minus_std`` is the uncertainty penalty (population std across members).

    >>> aggregate_scores([1.0, 2.0, 3.0], "mean"), aggregate_scores([1.0, 2.0, 3.0], "min")
    (2.0, 1.0)
    >>> round(aggregate_scores([1.0, 3.0], "mean_minus_std", k=0.5), 6)
    1.5
    """
    if not scores:
        raise ValueError("an ensemble needs at least one member score")
    if how == "mean":
        return statistics.fmean(scores)
    if how == "min":
        return min(scores)
    if how == "mean_minus_std":
        return statistics.fmean(scores) - k * statistics.pstdev(scores)
    raise ValueError(f"unknown aggregate {how!r} (mean, min, mean_minus_std)")


@with_config(ConfigDict(extra="forbid", strict=True))
class Member(TypedDict):
    """One member of ``rm_ensemble``: ``model`` plus any ``reward_model`` param, checked when the spec loads
    (an unknown key such as ``label_idx`` is an error naming it and its line, not a failure at first use)."""

    model: str
    name: NotRequired[str]
    device: NotRequired[str]
    dtype: NotRequired[str]
    batch_size: NotRequired[PositiveInt]
    max_tokens: NotRequired[PositiveInt | None]
    max_length: NotRequired[PositiveInt | None]
    overlong: NotRequired[Overlong]
    chat_template: NotRequired[TemplatePolicy]
    label_index: NotRequired[NonNegativeInt]
    remote_model: NotRequired[str | None]
    tokenizer: NotRequired[str | None]
    timeout: NotRequired[PositiveFloat]
    prefix_reuse: NotRequired[bool]
    scale: NotRequired[Scale]
    remote_input: NotRequired[RemoteInput]


def _distinct_names(members: list[Member]) -> list[Member]:
    names = [str(m.get("name", f"m{i}")) for i, m in enumerate(members)]
    if len(set(names)) != len(names):
        raise ValueError(f"ensemble member names must be distinct, got {names}")
    return members


#: ``members`` of rm_ensemble: at least one, names distinct.
Members = Annotated[list[Member], Field(min_length=1), AfterValidator(_distinct_names)]


def member_settings(member: dict[str, Any] | Member, index: int) -> tuple[str, RMSettings]:
    """A member spec (``{model, name?, ...reward_model params}``) -> (name, settings)."""
    spec = dict(member)
    name = str(spec.pop("name", f"m{index}"))
    if "model" not in spec:
        raise ValueError(f"ensemble member {name!r} has no 'model'")
    allowed = set(RMSettings.__dataclass_fields__) - {"extra"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(f"ensemble member {name!r}: unknown param(s) {unknown} (accepted: {sorted(allowed)})")
    return name, RMSettings(**spec)


@reward(
    "rm_ensemble",
    source="Eisenstein et al. 2023, 'Helping or Herding? Reward Model Ensembles Mitigate but do not Eliminate Reward Hacking'",
    per="batch",
    executor="thread",
    timeout=900.0,
)
def rm_ensemble(
    prompts: list[str],
    completions: list[str],
    prompt_messages_list: list[list[Message] | None],
    members: Members,
    aggregate: Aggregate = "mean",
    k: float = 1.0,
) -> list[RewardResult]:
    """Several reward models combined by mean, min or mean - k*std ("Helping or Herding?", Eisenstein et al.).

    ``members``: ``[{model: path-or-URL, name?: str, ...reward_model params}]`` (``Member``: checked when the
    spec loads, so a typo in a member's key is a spec error naming it); each member's score is kept in
    ``components`` under its name. A member that fails on a sample makes that sample an error.

    >>> rm_ensemble(["q"], ["a"], [None], members=[])
    Traceback (most recent call last):
    ...
    ValueError: rm_ensemble needs at least one member
    """
    if not members:
        raise ValueError("rm_ensemble needs at least one member")
    named = [member_settings(m, i) for i, m in enumerate(members)]
    names = [n for n, _ in named]
    if len(set(names)) != len(names):
        raise ValueError(f"ensemble member names must be distinct, got {names}")
    per_member = [score_samples(s, prompts, completions, prompt_messages_list) for _, s in named]
    out: list[RewardResult] = []
    for k_i in range(len(prompts)):
        comps = {n: per_member[j][k_i].value for j, n in enumerate(names)}
        bad = [(n, per_member[j][k_i]) for j, n in enumerate(names) if per_member[j][k_i].status is not Status.OK]
        if bad:
            out.append(RewardResult.error("; ".join(f"member {n}: {r.reason}" for n, r in bad), comps))
            continue
        values = [per_member[j][k_i].value for j in range(len(names))]
        score = aggregate_scores([float(v) for v in values if v is not None], aggregate, k)
        reasons = [f"{n}: {per_member[j][k_i].reason}" for j, n in enumerate(names) if per_member[j][k_i].reason]
        out.append(RewardResult.ok(score, comps, reason="; ".join(reasons) or None))
    return out
