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

from rewardsmith.images import image_digests, media_parts
from rewardsmith.judges import prompts
from rewardsmith.judges.calling import JudgeCall, judged
from rewardsmith.judges.config import with_judge_params
from rewardsmith.judges.guard import asks_for_image, check_content
from rewardsmith.judges.parsing import VerdictParseError, explanation, parse_choice, parse_ranking
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

CRITERIA = "helpfulness, correctness, clarity and honesty"


async def compare(
    call: JudgeCall, prompt: str, a: str, b: str, criteria: str,
    question: Any = None, a_messages: Any = None, b_messages: Any = None,
) -> tuple[float, bool, list[str]]:
    """P(a beats b) from both orders, in {0, 0.5, 1} (a constrained judge: its label probabilities averaged);
    (value, consistent, [verdict_ab, verdict_ba]). The images of
    the question and of each response travel with it (a response's images follow it when the order swaps)."""

    async def once(first: str, second: str, first_msgs: Any, second_msgs: Any) -> tuple[str, dict[str, float] | None]:
        text = prompts.pairwise_prompt(prompt, first, second, criteria)
        msgs = prompts.judge_messages(text, question, [("RESPONSE A", first_msgs), ("RESPONSE B", second_msgs)])
        reply = await call.ask(msgs, prefill='{"winner": "', choices=("A", "B", "tie"))
        try:
            return parse_choice(reply.text), reply.info.get("label_probs")
        except VerdictParseError:
            call.parse_failed()
            raise

    (ab, p_ab), (ba, p_ba) = await asyncio.gather(once(a, b, a_messages, b_messages), once(b, a, b_messages, a_messages))
    a_first = {"A": 1.0, "B": 0.0, "tie": 0.5}[ab]
    a_second = {"B": 1.0, "A": 0.0, "tie": 0.5}[ba]
    if p_ab and p_ba:  # a constrained judge gives its label probabilities: average them over both orders, which
        # cancels a position preference that would otherwise turn every pair into an inconsistent tie
        wins = p_ab.get("A", 0.0) + 0.5 * p_ab.get("tie", 0.0) + p_ba.get("B", 0.0) + 0.5 * p_ba.get("tie", 0.0)
        return wins / 2, a_first == a_second or 0.5 in (a_first, a_second), [ab, ba]
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
    prompt_messages: list[dict[str, Any]] | None = None,
    completion_messages: list[dict[str, Any]] | None = None,
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
    call = JudgeCall(judge, "judge_pairwise")
    other = _baseline(reference, metadata, baseline)
    blocked = call.guard(completion, prompt, 0.0, completion_messages=completion_messages)
    if blocked is not None:
        return blocked
    value, consistent, verdicts = await compare(call, prompt, completion, other, criteria, prompt_messages, completion_messages)
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
    prompt_messages_list: list[list[dict[str, Any]] | None] | None = None,
    completion_messages_list: list[list[dict[str, Any]] | None] | None = None,
    method: Literal["listwise", "pairwise"] = "listwise",
    criteria: str = CRITERIA,
    **judge: Any,
) -> list[RewardResult]:
    """Per completion: the share of the group's other completions it beats (SPO win proportion).

    Source: Swamy et al., 2024, "A Minimaximalist Approach to Reinforcement Learning from Human Feedback":
    reward = fraction of within-group pairwise wins. ``listwise``: one ranking call (rank r of n ->
    (n - r) / (n - 1)); ``pairwise``: every pair judged in both orders (ties = 1/2). Content-free
    completions lose to every real one without a call. Answers to different images are never ranked
    together: a group whose prompts carry different images is ranked image by image.

    >>> import asyncio
    >>> [r.value for r in asyncio.run(judge_listwise("q", ["", "."]))]
    [0.5, 0.5]
    """
    call = JudgeCall(judge, "judge_listwise")
    n = len(completions)
    questions = list(prompt_messages_list or [None] * n)
    answers = list(completion_messages_list or [None] * n)
    by_image: dict[tuple[str, ...], list[int]] = {}
    for i in range(n):
        by_image.setdefault(tuple(image_digests(questions[i])), []).append(i)
    out: list[RewardResult] = [RewardResult.abstain("internal: not ranked")] * n
    for members in by_image.values():
        ranked = await _rank(call, prompt, [completions[i] for i in members], method, criteria,
                             questions[members[0]], [answers[i] for i in members])
        for i, r in zip(members, ranked):
            out[i] = r
    if len(by_image) > 1:
        for r in out:
            r.info["image_subgroups"] = len(by_image)
    return out


async def _rank(
    call: JudgeCall, prompt: str, completions: list[str], method: str, criteria: str, question: Any, answers: list[Any]
) -> list[RewardResult]:
    """Win shares of completions to one question (one set of images)."""
    n = len(completions)
    if n < 2:
        return [RewardResult.abstain("a group of one has no one to beat")] * n
    drawn = asks_for_image(prompt)  # images are answers only where the prompt asks for one
    empty = [call.config.guard and not (drawn and media_parts(answers[i])) and check_content(c, prompt).blocked
             for i, c in enumerate(completions)]
    live = [i for i in range(n) if not empty[i]]
    wins = [0.0] * n
    for i in range(n):  # content-free completions lose to real ones and tie with each other
        for j in range(n):
            if i != j and empty[i] == empty[j] and empty[i]:
                wins[i] += 0.5
            elif i != j and not empty[i] and empty[j]:
                wins[i] += 1.0
    if method == "listwise" and call.constrained_only:
        method = "pairwise"  # a local model chooses among fixed labels: pairwise verdicts, not free rankings
    if len(live) >= 2:
        if method == "listwise":
            text = prompts.listwise_prompt(prompt, [completions[i] for i in live], criteria)
            shown = [(f"RESPONSE {k + 1}", answers[i]) for k, i in enumerate(live)]
            reply = await call.ask(prompts.judge_messages(text, question, shown), prefill='{"ranking": [')
            try:
                order = parse_ranking(reply.text, len(live))
            except VerdictParseError:
                call.parse_failed()
                raise
            for rank, k in enumerate(order):
                wins[live[k]] += len(live) - 1 - rank
        else:
            pairs = list(itertools.combinations(live, 2))
            outcomes = await asyncio.gather(*(
                compare(call, prompt, completions[i], completions[j], criteria, question, answers[i], answers[j])
                for i, j in pairs
            ))
            for (i, j), (p, _, _) in zip(pairs, outcomes):
                wins[i] += p
                wins[j] += 1.0 - p
    info = call.info(method=method)
    return [
        RewardResult.ok(w / (n - 1), info=dict(info), reason="guard: content-free (no judge call)" if empty[i] else None)
        for i, w in enumerate(wins)
    ]
