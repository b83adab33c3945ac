"""Pairwise and listwise judges.

``judge_pairwise``: the completion against a baseline (the row's ``metadata.baseline`` /
``metadata.reference_completion``, a string ``reference``, or the ``baseline`` param), asked in both orders
to cancel position bias (Zheng et al., 2023, MT-Bench, "swap positions"); inconsistent verdicts become a
tie and are counted (``Ledger.inconsistent_pairs``).

``judge_listwise`` (per group): the win proportion of SPO (Swamy et al., 2024, "A Minimaximalist Approach
to Reinforcement Learning from Human Feedback"): reward = share of pairwise wins within the group (ties
count one half), from one listwise ranking call (``method: listwise``) or from all pairs judged in both
orders (``method: pairwise``).
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any, Literal

from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.guard import check_content
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_choice, parse_ranking
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

CRITERIA = "helpfulness, correctness, clarity and honesty"


async def compare(call: JudgeCall, prompt: str, a: str, b: str, criteria: str) -> tuple[float, bool, list[str]]:
    """P(a beats b) in {0, 0.5, 1} from both orders; (value, consistent, [verdict_ab, verdict_ba])."""

    async def once(first: str, second: str) -> str:
        reply = await call.ask(prompts.messages(prompts.pairwise_prompt(prompt, first, second, criteria)), prefill='{"winner": "')
        try:
            return parse_choice(reply.text)
        except VerdictParseError:
            call.parse_failed()
            raise

    ab, ba = await asyncio.gather(once(a, b), once(b, a))
    a_first = {"A": 1.0, "B": 0.0, "tie": 0.5}[ab]
    a_second = {"B": 1.0, "A": 0.0, "tie": 0.5}[ba]
    if a_first == a_second:
        return a_first, True, [ab, ba]
    if 0.5 in (a_first, a_second):  # one order says tie, the other a win: average (a half-win)
        return (a_first + a_second) / 2, True, [ab, ba]
    call.client.ledger.add(inconsistent_pairs=1)
    return 0.5, False, [ab, ba]


def _baseline(reference: Any, metadata: dict[str, Any] | None, baseline: str | None) -> str:
    meta = metadata or {}
    for key in ("baseline", "reference_completion", "other_completion"):
        if isinstance(meta.get(key), str):
            return meta[key]
    if baseline is not None:
        return baseline
    if isinstance(reference, str):
        return reference
    raise Abstain("no baseline to compare with (metadata.baseline, metadata.reference_completion, baseline param)")


@reward("judge_pairwise", source="Zheng et al., 2023, MT-Bench pairwise comparison with position swap", executor="async", timeout=300.0)
@with_judge_params
@judged
async def judge_pairwise(
    prompt: str,
    completion: str,
    reference: Any = None,
    metadata: dict[str, Any] | None = None,
    baseline: str | None = None,
    criteria: str = CRITERIA,
    **judge: Any,
) -> RewardResult:
    """1.0 if the completion beats the baseline in both orders, 0.0 if it loses in both, 0.5 otherwise.

    Source: Zheng et al., 2023 (MT-Bench), pairwise comparison with positions swapped; inconsistent
    verdicts count as a tie (``components.consistent`` = 0) and are counted in the judge's ledger.

    >>> import asyncio
    >>> asyncio.run(judge_pairwise("2+2?", ":", baseline="4")).value
    0.0
    """
    call = JudgeCall(judge)
    other = _baseline(reference, metadata, baseline)
    blocked = call.guard(completion, prompt, 0.0)
    if blocked is not None:
        return blocked
    value, consistent, verdicts = await compare(call, prompt, completion, other, criteria)
    return RewardResult.ok(
        value,
        components={"consistent": 1.0 if consistent else 0.0},
        info=call.info(verdicts=verdicts, explanation=explanation(call.replies[0].text)),
    )


@reward("judge_listwise", source="Swamy et al., 2024, SPO: A Minimaximalist Approach to RLHF (win proportion)", per="group", executor="async", timeout=600.0)
@with_judge_params
@judged
async def judge_listwise(
    prompt: str,
    completions: list[str],
    method: Literal["listwise", "pairwise"] = "listwise",
    criteria: str = CRITERIA,
    **judge: Any,
) -> list[RewardResult]:
    """Per completion: the share of the group's other completions it beats (SPO win proportion).

    Source: Swamy et al., 2024, "A Minimaximalist Approach to Reinforcement Learning from Human Feedback":
    reward = fraction of within-group pairwise wins. ``listwise``: one ranking call (rank r of n ->
    (n - r) / (n - 1)); ``pairwise``: every pair judged in both orders (ties = 1/2). Content-free
    completions lose to every real one without a call.

    >>> import asyncio
    >>> [r.value for r in asyncio.run(judge_listwise("q", ["", "."]))]
    [0.5, 0.5]
    """
    call = JudgeCall(judge)
    n = len(completions)
    if n < 2:
        return [RewardResult.abstain("a group of one has no one to beat")] * n
    empty = [call.config.guard and check_content(c, prompt).blocked for c in completions]
    live = [i for i in range(n) if not empty[i]]
    wins = [0.0] * n
    for i in range(n):  # content-free completions lose to real ones and tie with each other
        for j in range(n):
            if i != j and empty[i] == empty[j] and empty[i]:
                wins[i] += 0.5
            elif i != j and not empty[i] and empty[j]:
                wins[i] += 1.0
    if len(live) >= 2:
        if method == "listwise":
            text = prompts.listwise_prompt(prompt, [completions[i] for i in live], criteria)
            reply = await call.ask(prompts.messages(text), prefill='{"ranking": [')
            try:
                order = parse_ranking(reply.text, len(live))
            except VerdictParseError:
                call.parse_failed()
                raise
            for rank, k in enumerate(order):
                wins[live[k]] += len(live) - 1 - rank
        else:
            pairs = list(itertools.combinations(live, 2))
            outcomes = await asyncio.gather(*(compare(call, prompt, completions[i], completions[j], criteria) for i, j in pairs))
            for (i, j), (p, _, _) in zip(pairs, outcomes):
                wins[i] += p
                wins[j] += 1.0 - p
    elif len(live) == 1:
        pass  # the only real completion already beat every content-free one
    info = call.info(method=method)
    return [
        RewardResult.ok(w / (n - 1), info=info, reason="guard: content-free (no judge call)" if empty[i] else None)
        for i, w in enumerate(wins)
    ]
