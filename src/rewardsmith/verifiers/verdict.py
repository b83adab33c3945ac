"""Preference-verdict reward for training generative reward models with RL (RM-R1, R1-Reward): parse the
judge's final verdict and reward agreement with the label, plus format and consistency components."""

from __future__ import annotations

import re
from typing import Any

from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

# No two optional whitespace runs are adjacent (``\s*[:]?\s*`` became ``\s*(?:[:]\s*)?``): with nothing
# between them a failing match tried every split of a whitespace run, polynomial time on policy text.
_FINAL_PATTERNS = (
    re.compile(r"\[\[\s*([AB12]|tie|C)\s*\]\]", re.IGNORECASE),  # MT-Bench / RM-R1: [[A]]
    re.compile(r"<answer>\s*(?:\[\[?\s*)?([AB12])\s*(?:\]\]?\s*)?</answer>", re.IGNORECASE),
    re.compile(r"\\boxed\{\s*(?:\\text\{\s*)?([AB12])\s*(?:\}\s*)?\}"),
    re.compile(
        r"(?:final\s+(?:verdict|answer|judg(?:e)?ment)|verdict|overall\s+judg(?:e)?ment|better\s+(?:response|answer)\s+is)\s*(?:[:：]\s*)?"
        r"(?:is\s*)?(?:therefore,?\s*)?(?:the\s+better\s+(?:response|answer)\s+is\s*)?"
        r"(?:(?:response|answer|assistant|output)\s*)?(?:\(\s*)?([AB12])\b",
        re.IGNORECASE,
    ),
)
_SCORES = re.compile(
    r"(?:score|rating)\s*(?:for\s*)?(?:(?:response|answer|assistant)\s*)?\(?([AB12])\)?\s*[:=]\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE
)
_STATEMENT = re.compile(
    r"(?:response|answer|assistant|output)\s*\(?([AB12])\)?\s+(?:is|was|seems|appears)\s+(?:clearly\s+|slightly\s+|much\s+)?"
    r"(?:better|superior|preferable|preferred|more\s+(?:helpful|accurate|correct))"
    r"|prefer\s+(?:response|answer|assistant|output)\s*\(?([AB12])\)?",
    re.IGNORECASE,
)
_NORMAL = {"A": "A", "1": "A", "B": "B", "2": "B", "TIE": "tie", "C": "tie"}


def final_verdict(text: str) -> tuple[str | None, int]:
    """The judge's final verdict (``"A"``, ``"B"`` or ``"tie"``) and where it starts (-1 if none).

    >>> final_verdict("Both are fine, but A is shorter. [[A]]")[0], final_verdict("Score A: 6\\nScore B: 8")[0]
    ('A', 'B')
    """
    best: tuple[int, str] | None = None
    for rx in _FINAL_PATTERNS:
        for m in rx.finditer(text):
            if best is None or m.start() >= best[0]:
                best = (m.start(), _NORMAL[m.group(1).upper()])
    if best is not None:
        return best[1], best[0]
    scores: dict[str, float] = {}
    first = -1
    for m in _SCORES.finditer(text):
        scores[_NORMAL[m.group(1).upper()]] = float(m.group(2))
        first = m.start() if first < 0 else first
    if "A" in scores and "B" in scores:
        a, b = scores["A"], scores["B"]
        return ("A" if a > b else "B" if b > a else "tie"), first
    return None, -1


_LEAD_IN = frozenset("final verdict answer judgment judgement overall therefore thus so hence conclusion".split())
_NAMES_A_RESPONSE = re.compile(r"\b(?:[AB12]|both|neither|first|second|former|latter)\b|\b(?:responses|answers|assistants|outputs)\b", re.I)
_THINK = re.compile(r"<think>(.*?)</think>", re.S | re.IGNORECASE)


def reasoned_format(completion: str, where: int, min_words: int = 3) -> float:
    """1.0 when the judgment is reasoning *then* verdict (R1-Reward's format reward): at least ``min_words`` words
    of reasoning that refer to the responses (A / B, "both", "the first" ...) before the verdict (lead-ins like
    "Final verdict:" not counted), inside a closed ``<think>``
    block when the judgment uses tags (and the verdict in ``<answer>`` when it has one), and nothing but
    closing markup after the verdict.

    >>> reasoned_format("x [[A]]", 2), reasoned_format("Response A cites the source; B does not. [[A]]", 41)
    (0.0, 1.0)
    """
    before, after = completion[:where], completion[where:]
    tail = re.sub(r"\[\[\s*\w+\s*\]\]|<answer>.*?</answer>|</?answer>|\\boxed\{[^{}]*\}|[\W_]", "", after, count=0, flags=re.S | re.I)
    if len(tail) > 40:
        return 0.0  # reasoning after the verdict is not the reasoning-then-verdict structure
    tagged = re.search(r"</?think>|</?answer>", completion, re.IGNORECASE) is not None
    if tagged:
        think = _THINK.search(before)
        if think is None:
            return 0.0
        body = think.group(1)
        if "<answer>" in completion.lower() and not re.search(r"<answer>[^<]*$|<answer>.*</answer>", completion[think.end():], re.S | re.I):
            return 0.0
    else:
        body = before
    words = [w for w in re.findall(r"[^\W\d_]{2,}", body) if w.casefold() not in _LEAD_IN]
    return 1.0 if len(words) >= min_words and _NAMES_A_RESPONSE.search(body) else 0.0


def label_of(reference: Any, metadata: dict[str, Any]) -> str:
    """The preferred side from a label such as ``"A"``, ``"A>B"``, ``"B>A"``, ``1``/``2``, ``"tie"``."""
    label = reference if reference is not None else metadata.get("label")
    if isinstance(label, bool):
        label = None
    if isinstance(label, int):
        label = str(label)
    if isinstance(label, str):
        s = label.strip().upper().replace(" ", "")
        if s in ("A>B", "A>>B", "B<A"):
            return "A"
        if s in ("B>A", "B>>A", "A<B"):
            return "B"
        if s in ("A=B", "TIE", "C"):
            return "tie"
        if s in _NORMAL:
            return _NORMAL[s]
    raise Abstain(f"preference label {label!r} is not A/B/tie")


@reward(
    "verdict_match",
    source="Chen et al., 2025, 'RM-R1: Reward Modeling as Reasoning'; Zhang et al., 2025, 'R1-Reward' (consistency reward)",
    executor="inline",
)
def verdict_match(
    completion: str,
    reference: Any,
    metadata: dict[str, Any],
    format_weight: float = 0.5,
    consistency_bonus: float = 0.5,
    require_consistency: bool = False,
) -> RewardResult:
    """Reward for a generative reward model's judgment (RM-R1, Chen et al. 2025; R1-Reward, Zhang et al.
    2025): ``correct`` (final verdict, e.g. ``[[A]]`` or "Score A: 7 / Score B: 5", equals the preference
    label), ``format`` (reasoning then verdict: ``reasoned_format``) and ``consistency`` (the side the reasoning
    says is better matches the final verdict; None when the reasoning states none). As in R1-Reward:
    ``correct * (1 + consistency_bonus * consistency) + format_weight * format``; with
    ``require_consistency`` an inconsistent judgment earns no correctness.

    >>> r = verdict_match("Response A is more accurate. Final verdict: [[A]]", "A>B", {})
    >>> r.value, r.components
    (2.0, {'correct': 1.0, 'format': 1.0, 'consistency': 1.0})
    >>> verdict_match("Response B is better. [[A]]", "A>B", {}).components["consistency"]
    0.0
    """
    gold = label_of(reference, metadata)
    verdict, where = final_verdict(completion)
    if verdict is None:
        return RewardResult.ok(0.0, components={"correct": 0.0, "format": 0.0, "consistency": None}, reason="no verdict found")
    reasoning = completion[:where]
    fmt = reasoned_format(completion, where)
    stated = [(m.group(1) or m.group(2)).upper() for m in _STATEMENT.finditer(reasoning)]
    consistency = None if not stated else float(_NORMAL[stated[-1]] == verdict)
    correct = float(verdict == gold)
    if require_consistency and consistency == 0.0:
        correct = 0.0
    value = correct * (1.0 + consistency_bonus * (consistency or 0.0)) + format_weight * fmt
    return RewardResult.ok(
        value,
        components={"correct": correct, "format": fmt, "consistency": consistency},
        info={"verdict": verdict, "label": gold},
    )
