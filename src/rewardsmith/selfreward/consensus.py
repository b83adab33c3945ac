"""Consensus rewards: agreement with the group's majority answer (TTRL) and with a twin question's (Co-Reward)."""

from __future__ import annotations

from typing import Any, Literal

from rewardsmith.registry import reward
from rewardsmith.selfreward.answers import AnswerKind, TiePolicy, Vote, equivalent, extract, reference_text, vote
from rewardsmith.types import RewardResult, Sample

NoAnswer = Literal["zero", "abstain"]


def _group_key(s: Sample) -> str:
    return s.group_key  # the engine's grouping (prompt text and images when the row has no group)


def _label_correct(v: Vote, reference: Any, kind: AnswerKind, tolerance: float) -> bool | None:
    if v.label is None or reference is None:
        return None
    refs = [reference_text(r, kind) for r in (reference if isinstance(reference, list) else [reference])]
    usable = [r for r in refs if r is not None]
    if not usable:
        return None
    return any(equivalent(v.label, r, kind, tolerance) for r in usable)


def _agreement_results(
    answers: list[str | None], v: Vote, no_answer: NoAnswer, extra: dict[str, Any], source: str
) -> list[RewardResult]:
    out: list[RewardResult] = []
    for i, ans in enumerate(answers):
        info = dict(extra, answer=ans)
        if ans is None:
            if no_answer == "abstain":
                out.append(RewardResult.abstain("no answer extracted"))
            else:
                out.append(RewardResult.ok(0.0, reason="no answer extracted", info=info))
            continue
        agree = v.agrees(i)
        reason = f"agrees with {source} {v.label!r}" if agree else f"{ans!r} differs from {source} {v.label!r}"
        out.append(RewardResult.ok(1.0 if agree else 0.0, reason=reason, info=info))
    return out


@reward("majority_vote", source="Zuo et al., 2025, TTRL: Test-Time Reinforcement Learning", per="group", executor="process")
def majority_vote(
    completions: list[str],
    references: list[Any],
    kind: AnswerKind = "math",
    tolerance: float = 0.0,
    tie: TiePolicy = "abstain",
    no_answer: NoAnswer = "zero",
    min_share: float = 0.0,
) -> list[RewardResult]:
    """1 if the completion's answer agrees with the group's majority answer, else 0 (TTRL pseudo-labels).

    Answers come from the rule verifiers and equivalent answers vote together. A tie abstains the group
    (``tie="abstain"``) or rewards the first / all tied answers; a completion with no answer gets 0
    (``no_answer="abstain"`` to abstain instead); a majority below ``min_share`` abstains the group.
    ``info`` reports the vote (label, share, tie, abstentions) and, when references exist, whether the
    pseudo-label was right (TTRL's label accuracy). References are never used for the reward.

    >>> [r.value for r in majority_vote(["A: 4", "A: 4.0", "A: 5"], [None] * 3)]
    [1.0, 1.0, 0.0]
    >>> majority_vote(["A: 4", "A: 5"], [None, None])[0].status.value
    'abstain'
    """
    answers = [extract(c, kind) for c in completions]
    v = vote(answers, kind=kind, tolerance=tolerance, tie=tie)
    summary = v.summary()
    correct = _label_correct(v, next((r for r in references if r is not None), None), kind, tolerance)
    if correct is not None:
        summary["label_correct"] = correct
    if v.label is None:
        why = "tie between " + ", ".join(repr(c.answer) for c in v.clusters) if v.tie else "no answer in the group"
        return [RewardResult.abstain(f"no majority: {why}") for _ in completions]
    if v.share < min_share:
        return [RewardResult.abstain(f"majority share {v.share:.2f} below min_share {min_share}") for _ in completions]
    return _agreement_results(answers, v, no_answer, summary, "majority")


@reward(
    "co_reward",
    source="Zhang et al., 2025, Co-Reward: Self-supervised RL for LLM Reasoning via Contrastive Agreement",
    per="batch",
    executor="process",
)
def co_reward(
    samples: list[Sample],
    kind: AnswerKind = "math",
    tolerance: float = 0.0,
    tie: TiePolicy = "abstain",
    no_answer: NoAnswer = "zero",
    twin_key: str = "twin_group",
) -> list[RewardResult]:
    """Cross-view agreement: each completion is rewarded by agreement with the majority answer of its
    question's rephrased twin (Co-Reward). The twin is the group named by ``metadata.twin_group``; both
    groups must be in the batch (a per-batch reward: keep twins in one scoring chunk). A missing twin or
    a twin without a majority abstains.

    >>> rows = [Sample("q", c, group="a", metadata={"twin_group": "b"}) for c in ["A: 1", "A: 2"]]
    >>> rows += [Sample("q'", c, group="b", metadata={"twin_group": "a"}) for c in ["A: 2", "A: 2", "A: 1"]]
    >>> [r.value for r in co_reward(rows, tie="first")]  # a's label: 2 (from b); b's label: 1 (a's tie, first)
    [0.0, 1.0, 0.0, 0.0, 1.0]
    """
    keys = [_group_key(s) for s in samples]
    members: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        members.setdefault(k, []).append(i)
    answers = [extract(s.completion_text, kind) for s in samples]
    votes = {g: vote([answers[i] for i in idx], kind=kind, tolerance=tolerance, tie=tie) for g, idx in members.items()}
    out: list[RewardResult | None] = [None] * len(samples)
    for g, idx in members.items():
        twins = {samples[i].metadata.get(twin_key) for i in idx} - {None}
        if len(twins) != 1:
            why = f"no metadata.{twin_key}" if not twins else f"conflicting metadata.{twin_key}: {sorted(map(str, twins))}"
            for i in idx:
                out[i] = RewardResult.abstain(why)
            continue
        twin = str(twins.pop())
        if twin not in votes:
            for i in idx:
                out[i] = RewardResult.abstain(f"twin group {twin!r} is not in the batch")
            continue
        tv = votes[twin]
        if tv.label is None:
            for i in idx:
                out[i] = RewardResult.abstain(f"twin group {twin!r} has no majority (tie or no answers)")
            continue
        # agreement with the twin's label, judged with the same equivalence
        local = [answers[i] for i in idx]
        info = {"twin_group": twin, "twin_vote": tv.summary(), "own_vote": votes[g].summary()}
        for i, ans in zip(idx, local):
            if ans is None:
                out[i] = (
                    RewardResult.abstain("no answer extracted")
                    if no_answer == "abstain"
                    else RewardResult.ok(0.0, reason="no answer extracted", info=dict(info, answer=None))
                )
                continue
            labels = [tv.clusters[w].answer for w in tv.winners]
            agree = any(equivalent(ans, lab, kind, tolerance) for lab in labels)
            reason = f"agrees with twin label {tv.label!r}" if agree else f"{ans!r} differs from twin label {tv.label!r}"
            out[i] = RewardResult.ok(1.0 if agree else 0.0, reason=reason, info=dict(info, answer=ans))
    return [r if r is not None else RewardResult.error("internal: no result") for r in out]
