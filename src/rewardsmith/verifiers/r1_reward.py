"""The rule parts of R1-Reward (Zhang et al., 2025, "R1-Reward: Training Multimodal Reward Model Through
Stable Reinforcement Learning"): a generative multimodal reward model compares two responses and answers
``<think>comparative analysis</think><answer>1|2</answer>``; RL (StableReinforce) rewards it with

    Final = Result x (1 + 0.5 x Consistency) + 0.5 x Format

``r1_verdict`` is the Result (the one ``<answer>`` equals the preferred response), ``r1_format`` the Format
(exactly the reasoning-then-verdict structure), and ``r1_consistency`` (a judge, ``judges/kinds/consistency``)
the Consistency already multiplied by the Result. The built-in spec ``r1_reward.yaml`` combines them.

>>> parse_r1("<think>Response 2 names the parrot.</think><answer>2</answer>")
R1Output(reasoning='Response 2 names the parrot.', verdict=2, well_formed=True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult
from rewardsmith.verifiers.verdict import label_of

_ANSWER = re.compile(r"<answer>(.*?)</answer>", re.S)  # for labels written in R1-Reward's training format
_WORD = re.compile(r"\w")


def _between(text: str, open_tag: str, close_tag: str) -> tuple[str, int, int] | None:
    """The text inside the only ``open_tag ... close_tag`` pair (each tag exactly once, in order), with the
    start of the open tag and the end of the close tag; None otherwise. Linear time (no regex backtracking)."""
    if text.count(open_tag) != 1 or text.count(close_tag) != 1:
        return None
    start, close = text.find(open_tag), text.find(close_tag)
    if close < start:
        return None
    return text[start + len(open_tag):close], start, close + len(close_tag)


@dataclass(frozen=True)
class R1Output:
    """What a generative reward model's output says: its reasoning (None without a ``<think>`` block), its
    verdict (1 or 2; None unless exactly one ``<answer>`` holds exactly one of them) and whether the whole
    output is ``<think>...</think><answer>1|2</answer>`` with each tag once and a reasoning of some words."""

    reasoning: str | None
    verdict: int | None
    well_formed: bool


def parse_r1(text: str) -> R1Output:
    """Read one output of a generative reward model in R1-Reward's format.

    >>> parse_r1("<answer>1</answer><answer>2</answer>").verdict is None  # hedging on both is no verdict
    True
    >>> parse_r1("<think> </think><answer>1</answer>").well_formed  # no reasoning
    False
    """
    think = _between(text, "<think>", "</think>")
    answer = _between(text, "<answer>", "</answer>")
    verdict = int(answer[0].strip()) if answer is not None and answer[0].strip() in ("1", "2") else None
    reasoning = think[0].strip() if think is not None else None
    well_formed = (
        think is not None and answer is not None and verdict is not None
        and not text[:think[1]].strip() and not text[think[2]:answer[1]].strip() and not text[answer[2]:].strip()
        and _WORD.search(think[0]) is not None
    )
    return R1Output(reasoning, verdict, well_formed)


def preferred_response(reference: Any, metadata: dict[str, Any] | None) -> int:
    """The preferred response (1 or 2) from a label: ``1``/``2``, ``"A"``/``"B"``, ``"A>B"``/``"B>A"``, or
    R1-Reward's ``"<answer>2</answer>"`` (also as a one-item list). A tie is not an R1-Reward label.

    >>> preferred_response(["<answer>2</answer>"], {}), preferred_response("A>B", {}), preferred_response(None, {"label": 2})
    (2, 1, 2)
    """
    if isinstance(reference, (list, tuple)) and len(reference) == 1:
        reference = reference[0]
    if isinstance(reference, str):
        inner = _ANSWER.search(reference)
        reference = inner.group(1).strip() if inner else reference
    side = label_of(reference, metadata or {})
    if side == "tie":
        raise Abstain("a tie label: R1-Reward's verdict is 1 or 2, a tie cannot be scored")
    return 1 if side == "A" else 2


INSTRUCTIONS = (
    "You judge two responses of a multimodal assistant to the question about the image(s). First compare them "
    "side by side inside <think> and </think>; then give the better one's number, 1 or 2, inside <answer> and "
    "</answer>. A tie is not allowed. Output format: <think>your comparison</think><answer>1 or 2</answer>"
)


def r1_input(question: str, response_1: str, response_2: str, images: list[str] | tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The generative reward model's input for one pair, as chat messages: the images (URLs or data URIs, in
    order), then the instructions, the question and the two numbered responses.

    >>> [p["type"] for p in r1_input("What is shown?", "A cat.", "A dog.", ["https://x/cat.png"])[0]["content"]]
    ['image_url', 'text']
    """
    text = (f"{INSTRUCTIONS}\n\n[Question]\n{question}\n\n[Response 1]\n{response_1}\n\n"
            f"[Response 2]\n{response_2}")
    parts: list[dict[str, Any]] = [{"type": "image_url", "image_url": {"url": u}} for u in images]
    return [{"role": "user", "content": [*parts, {"type": "text", "text": text}]}]


@reward("r1_format", source="Zhang et al., 2025, R1-Reward (StableReinforce): format reward", executor="inline")
def r1_format(completion: str) -> float:
    """1.0 when the output is exactly ``<think>reasoning</think><answer>1|2</answer>`` (whitespace around the
    tags allowed, each tag once, a reasoning with words in it), else 0.0 (R1-Reward's Format term).

    >>> r1_format("<think>Response 1 is accurate; 2 invents a goalpost.</think><answer>1</answer>")
    1.0
    >>> r1_format("<think>ok</think><answer>1</answer> Also, 2 is fine.")
    0.0
    """
    return 1.0 if parse_r1(completion).well_formed else 0.0


@reward("r1_verdict", source="Zhang et al., 2025, R1-Reward (StableReinforce): result reward", executor="inline")
def r1_verdict(completion: str, reference: Any = None, metadata: dict[str, Any] | None = None) -> RewardResult:
    """1.0 when the output's single ``<answer>`` names the preferred response, else 0.0 (R1-Reward's Result).

    An output with no answer, two answers, or anything but 1 or 2 in it gets 0.0; the label comes from the
    row's ``reference`` (or ``metadata.label``), see ``preferred_response``.

    >>> r1_verdict("<think>2 hallucinates.</think><answer>1</answer>", "<answer>1</answer>").value
    1.0
    >>> r1_verdict("<think>...</think><answer>1 or 2</answer>", 1).reason
    'no single <answer>1</answer> or <answer>2</answer> in the output'
    """
    gold = preferred_response(reference, metadata)
    verdict = parse_r1(completion).verdict
    if verdict is None:
        return RewardResult.ok(0.0, reason="no single <answer>1</answer> or <answer>2</answer> in the output")
    return RewardResult.ok(1.0 if verdict == gold else 0.0, info={"verdict": verdict, "label": gold})
