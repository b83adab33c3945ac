"""Format rewards: ``<think>...</think>`` then an answer, arbitrary tag sets with counts, regex match."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from rewardsmith.registry import reward
from rewardsmith.types import RewardResult

_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*(.*)$", re.DOTALL)
_ANSWER = re.compile(r"^<answer>(.*?)</answer>\s*$", re.DOTALL)


@reward("think_format", source="DeepSeek-AI, 2025, 'DeepSeek-R1' (format reward)", executor="inline")
def think_format(completion: str, require_answer_tag: bool = False, allow_empty_think: bool = False) -> RewardResult:
    """DeepSeek-R1 format reward: the completion is one ``<think>...</think>`` block followed by a non-empty
    answer (with ``require_answer_tag``: exactly ``<answer>...</answer>`` after it). 1 or 0, with components
    ``think`` (one well-formed think block first) and ``answer`` (what follows is an answer).

    >>> think_format("<think>2+2 is 4</think> The answer is 4.").value
    1.0
    >>> think_format("The answer is 4.").value, think_format("<think>a</think><think>b</think>4").value
    (0.0, 0.0)
    """
    opens, closes = completion.count("<think>"), completion.count("</think>")
    m = _THINK.match(completion)
    think_ok = bool(m) and opens == 1 and closes == 1 and (allow_empty_think or bool(m.group(1).strip()))
    answer_ok = False
    if m:
        rest = m.group(2).strip()
        if require_answer_tag:
            a = _ANSWER.match(rest)
            answer_ok = bool(a) and bool(a.group(1).strip()) and rest.count("<answer>") == 1
        else:
            answer_ok = bool(rest)
    value = float(think_ok and answer_ok)
    reason = None if value else ("no single leading <think> block" if not think_ok else "no answer after </think>")
    return RewardResult.ok(value, components={"think": float(think_ok), "answer": float(answer_ok)}, reason=reason)


@reward("tag_format", source="Kimi k1.5 / Search-R1 style tag-count format rewards (Open-R1 'tag_count_reward')", executor="inline")
def tag_format(
    completion: str,
    tags: dict[str, int] | list[str] = ["think", "answer"],  # noqa: B006 (validated and copied by the registry)
    ordered: bool = True,
    partial: bool = True,
) -> RewardResult:
    """Tag-set format reward (Open-R1 ``tag_count_reward``; Search-R1 / Kimi k1.5 style): each tag must
    open and close the expected number of times, each opening closed before it opens again (a list means
    once each; ``{"search": -1}`` means any number, absent included); with ``ordered``, the first
    occurrences of the tags present follow the listed order, so an optional tag left out does not switch
    the order check off. ``partial``: the fraction of checks passed, else all or nothing.

    >>> tag_format("<think>x</think><answer>4</answer>").value
    1.0
    >>> tag_format("<think>x</think>4").value, tag_format("<think>x</think>4", partial=False).value
    (0.5, 0.0)
    >>> tag_format("<answer>4</answer><think>x</think>", {"think": 1, "search": -1, "answer": 1}).components["order"]
    0.0
    """
    expected = {t: 1 for t in tags} if isinstance(tags, list) else dict(tags)
    checks: dict[str, float | None] = {}
    firsts: dict[str, int] = {}
    for tag, count in expected.items():
        marks = [(m.start(), m.group(1)) for m in _tag_pattern(tag).finditer(completion)]
        opens = sum(1 for _, slash in marks if not slash)
        nested = any(slash == ("" if k % 2 else "/") for k, (_, slash) in enumerate(marks))  # open, close, open, ...
        balanced = len(marks) == 2 * opens and not nested
        checks[tag] = float(balanced and (opens == count if count >= 0 else True))
        if marks:
            firsts[tag] = marks[0][0]
    if ordered and len(firsts) > 1:
        present = [firsts[t] for t in expected if t in firsts]
        checks["order"] = float(present == sorted(present))
    passed = [v for v in checks.values() if v is not None]
    value = sum(passed) / len(passed) if partial else float(all(v == 1.0 for v in passed))
    failed = [k for k, v in checks.items() if v != 1.0]
    return RewardResult.ok(value, components=checks, reason=f"failed: {', '.join(failed)}" if failed else None)


@lru_cache(maxsize=256)
def _tag_pattern(tag: str) -> re.Pattern[str]:
    """``<tag ...>`` (group 1 empty) and ``</tag>`` (group 1 "/"); attributes stop at the next ``<``, so a
    completion of unclosed ``<tag `` openings is scanned in linear time."""
    return re.compile(rf"<(/?){re.escape(tag)}(?:\s[^<>]*)?>")


@lru_cache(maxsize=256)
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


@reward("regex_match", source="rule-based format rewards (DeepSeek-R1; Open-R1 'format_reward')", executor="inline")
def regex_match(
    completion: str,
    pattern: str,
    mode: Literal["search", "match", "fullmatch"] = "search",
    ignore_case: bool = False,
    dotall: bool = True,
    multiline: bool = False,
) -> float:
    """1 when ``pattern`` matches the completion (``mode``: search, match or fullmatch), else 0 (the regex
    format reward of DeepSeek-R1 / Open-R1). ``search`` (the default, a detector: "does it refuse?") is
    satisfied by the pattern anywhere, so as a *format* reward it pays the format pasted into any text and
    several answers in a row ("Answer: 1 Answer: 2"): write format rewards with ``mode: fullmatch`` and a
    pattern that describes the whole completion, as Open-R1's ``^<think>...</think><answer>...</answer>$``.

    >>> regex_match("Answer: 42", r"Answer: \\d+", mode="fullmatch"), regex_match("answer 42", r"Answer: \\d+")
    (1.0, 0.0)
    """
    if mode not in ("search", "match", "fullmatch"):
        raise ValueError(f"mode must be search, match or fullmatch, got {mode!r}")
    flags = (re.IGNORECASE if ignore_case else 0) | (re.DOTALL if dotall else 0) | (re.MULTILINE if multiline else 0)
    rx = _compiled(pattern, flags)
    return float(getattr(rx, mode)(completion) is not None)
