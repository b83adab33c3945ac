"""Multiple-choice answers: a letter or an option's text, from "(B)", "\\text{(B)}", "Answer: B", boxed ..."""

from __future__ import annotations

import re
from typing import Any

from rewardsmith.registry import reward
from rewardsmith.types import Abstain
from rewardsmith.verifiers.answers import answer_span
from rewardsmith.verifiers.math.extract import boxed_answers
from rewardsmith.verifiers.qa import squad_normalize

_LETTERS = "ABCDEFGHIJ"
# No two optional runs that can match the same characters side by side (\s*(?:is)?\s*, \s*\**\s*): on a
# keyword followed by a long whitespace run a failing match tried every split of the run (polynomial).
_STATED = re.compile(
    r"(?:answer|option|choice)\s*(?:(?:is|:|=)\s*)?(?:option\s*)?(?:[*(\[][\s*(\[]*)?([A-J])\b[)\].]?", re.IGNORECASE
)
_PAREN = re.compile(r"\(([A-J])\)")
_BARE = re.compile(r"^\s*(?:\*+\s*)?\(?([A-J])\)?[.:)]?\s*(?:\*+\s*)?(?:$|[.:\-]\s)")


def _options(options: list[str] | None, metadata: dict[str, Any] | None) -> list[str]:
    if options:
        return list(options)
    meta = metadata or {}
    for key in ("options", "choices"):
        value = meta.get(key)
        if isinstance(value, dict):
            return [str(value[k]) for k in sorted(value)]
        if isinstance(value, list):
            return [str(v) for v in value]
    return []


def choice_of(text: str, options: list[str]) -> str | None:
    """The option letter a text picks, or None.

    >>> choice_of(r"so the answer is $\\boxed{\\text{(B)}}$", []), choice_of("Answer: c", []), choice_of("blue", ["red", "blue"])
    ('B', 'C', 'B')
    """
    boxes = boxed_answers(text, limit=1)
    if boxes:
        inner = re.sub(r"\\text\{([^{}]*)\}", r"\1", boxes[-1][0]).strip()
        m = re.fullmatch(r"\(?([A-Ja-j])\)?\.?", inner)
        if m:
            return m.group(1).upper()
        text = inner
    for rx in (_STATED, _PAREN):
        found = rx.findall(text)
        if found:
            return found[-1].upper()
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if lines:
        m = _BARE.match(lines[-1]) or _BARE.match(lines[0])
        if m:
            return m.group(1).upper()
    if options:
        said = squad_normalize(text)
        hits = [i for i, opt in enumerate(options) if squad_normalize(opt) and squad_normalize(opt) == said]
        if not hits:
            hits = [i for i, opt in enumerate(options) if squad_normalize(opt) and f" {squad_normalize(opt)} " in f" {said} "]
        if len(hits) == 1:
            return _LETTERS[hits[0]]
    return None


def reference_letter(reference: Any, options: list[str]) -> str:
    if isinstance(reference, int) and not isinstance(reference, bool) and 0 <= reference < len(_LETTERS):
        return _LETTERS[reference]
    if isinstance(reference, str):
        ref = reference.strip()
        m = re.fullmatch(r"\(?([A-Ja-j])\)?\.?", ref)
        if m:
            return m.group(1).upper()
        for i, opt in enumerate(options):
            if squad_normalize(opt) == squad_normalize(ref):
                return _LETTERS[i]
    raise Abstain(f"reference {reference!r} is not an option letter, index or option text")


@reward("choice", source="Hendrycks et al., 2021, MMLU; GPQA (Rein et al., 2023) multiple-choice answer matching", executor="inline")
def choice(
    completion: str,
    reference: Any,
    metadata: dict[str, Any],
    options: list[str] | None = None,
    pattern: str | None = None,
) -> float:
    """Multiple-choice correctness (MMLU, Hendrycks et al. 2021; GPQA): the letter the completion picks
    ("(B)", "\\text{(B)}", "Answer: B", a boxed letter, or an option's text) equals the reference letter
    (a letter, a 0-based index, or the option text; options from ``options`` or ``metadata.options``).

    >>> choice("Let me think... The answer is (B).", "B", {}), choice("Answer: A", "B", {})
    (1.0, 0.0)
    """
    opts = _options(options, metadata)
    gold = reference_letter(reference, opts)
    picked = choice_of(answer_span(completion, pattern, answer_tag=True), opts)
    return float(picked == gold)
