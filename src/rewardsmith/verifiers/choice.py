"""Multiple-choice answers: a letter or an option's text, from "(B)", "\\text{(B)}", "Answer: B", boxed ..."""

from __future__ import annotations

import re
from typing import Any

from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult
from rewardsmith.verifiers.answers import answer_span
from rewardsmith.verifiers.math.extract import boxed_answers
from rewardsmith.verifiers.qa import squad_normalize

_LETTERS = "ABCDEFGHIJ"
# One option letter as written in an answer: "B", "(B)", "[B]", "B)", "**B**", "$B$", "option B". No two
# neighbouring quantifiers can take the same characters, so a failed match backtracks in linear time.
_ONE = r"(?:option[ \t]+|choice[ \t]+)?(?:[*_$]+[ \t]*)?[(\[]?([A-Ja-j])[)\]]?[*_$]*(?!\w)"
_JOIN = r"[ \t]*(?:(?:,|/|&|\+|;|\band/or\b|\bor\b|\band\b|\bnor\b)[ \t]*)?"
_FIRST = re.compile(r"\s*(?:[-\u2022][ \t]+)?" + _ONE, re.IGNORECASE)  # "- (E)" as a bullet
_NEXT = re.compile(_JOIN + _ONE, re.IGNORECASE)  # on the same line
_WORD_AFTER = re.compile(r"[ \t]*[^\W_]")
# Where an answer is stated: "answer is", "Answer:", "the correct option is", "choice", "I choose".
_CUE = re.compile(
    r"\b(?:(?:answer|option|choice)\b(?:\s*(?:is|would be|seems to be|appears to be|:|=))?|answers(?:\s*(?:are|:))?"
    r"|(?:choose|pick|select|go with)\b)(?:\s*:)?"
    r"(?:\s+(?:clearly|probably|likely|definitely|I\s+think|I\s+believe)\b)?",
    re.IGNORECASE,
)
_LETTER_LINE = re.compile(r"\s*(?:answer(?:\s*[:=])?\s*)?" + _ONE + r"(?:" + _JOIN + _ONE + r")*(?:\s*[.!])?\s*", re.IGNORECASE)
_PAREN = re.compile(r"\(([A-J])\)")
_SHORT = 200  # a line of letters only is short; longer lines are not tried against _LETTER_LINE
_BARE = re.compile(r"\s*(?:\*+\s*)?\(?([A-J])\)?[.:)]?(?:\s*\*+)?(?:\s*$|\s*[.:\-]\s)")


def letter_list(text: str, pos: int = 0) -> list[str]:
    """The option letters stated at ``text[pos:]`` as one answer: "A or B", "A, B, C and D", "(B)".

    A bare lower-case first letter (or "I") followed by a word is an article or a pronoun ("the answer is a
    bit...", "the answer is I think B"), not a choice; a later letter followed by a word opens a new clause
    ("B, and C is wrong") and is not part of the answer.

    >>> letter_list("A or B."), letter_list("(B) because it is"), letter_list("B, and C is wrong"), letter_list("a bit")
    (['A', 'B'], ['B'], ['B'], [])
    """
    m = _FIRST.match(text, pos)
    if m is None:
        return []
    bare = m.group(0).strip() == m.group(1)
    if bare and m.group(1) in "abcdefghijI" and _WORD_AFTER.match(text, m.end()):
        return []  # an article or the pronoun: "the answer is a bit...", "the answer is I think B"
    found = [m.group(1).upper()]
    end = m.end()
    while (m := _NEXT.match(text, end)) is not None and not _WORD_AFTER.match(text, m.end()):
        found.append(m.group(1).upper())
        end = m.end()
    return found


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


def _option_text(text: str, options: list[str]) -> list[str]:
    """Letters of the options whose text the answer says: the whole answer equal to one, else contained."""
    said = squad_normalize(text)
    norm = [squad_normalize(opt) for opt in options]
    hits = [i for i, opt in enumerate(norm) if opt and opt == said]
    if not hits:
        hits = [i for i, opt in enumerate(norm) if opt and f" {opt} " in f" {said} "]
    return [_LETTERS[i] for i in hits]


def chosen_letters(text: str, options: list[str]) -> list[str]:
    """Every distinct option letter the final answer of ``text`` chooses (one for an answer, several for a
    hedge, none when nothing is chosen), read from the first place that states an answer: the boxed answers
    (all of them), a last line made of letters only, the last "answer is ..." statement, then (one letter
    each) the last letter in parentheses, a last or first line starting with a letter ("B. Because..."),
    an option's text.

    Options quoted in the reasoning ("A. Paris", "(B) London") are not choices: a hedge is several letters
    in the one place the answer is stated ("A or B", "Answer: A, B, C, D", ``\\boxed{A}\\boxed{B}``).

    >>> chosen_letters(r"so the answer is $\\boxed{\\text{(B)}}$", []), chosen_letters("Answer: c", [])
    (['B'], ['C'])
    >>> chosen_letters("The answer is A or B", []), chosen_letters("A. Paris\\nB. Rome\\nAnswer: B", ["Paris", "Rome"])
    (['A', 'B'], ['B'])
    """
    boxes = boxed_answers(text)
    if boxes:
        boxed: list[str] = []
        for content, _, _ in boxes:
            inner = re.sub(r"\\text(?:bf)?\{([^{}]*)\}", r"\1", content).strip()
            if len(inner) <= _SHORT and _LETTER_LINE.fullmatch(inner):
                boxed += letter_list(inner)
        if boxed:
            return list(dict.fromkeys(boxed))
        text = re.sub(r"\\text\{([^{}]*)\}", r"\1", boxes[-1][0]).strip()
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if lines and len(lines[-1]) <= _SHORT and _LETTER_LINE.fullmatch(lines[-1]):
        return list(dict.fromkeys(letter_list(re.sub(r"(?i)^\s*answer\s*[:=]?", "", lines[-1]))))
    stated: list[str] = []
    for m in _CUE.finditer(text):
        stated = letter_list(text, m.end()) or stated
    if stated:
        return list(dict.fromkeys(stated))
    paren = _PAREN.findall(text)
    if paren:
        return [paren[-1]]
    for line in (lines[-1], lines[0]) if lines else ():
        m = _BARE.match(line)
        if m:
            return [m.group(1)]
    if options:
        last = _option_text(lines[-1], options) if lines else []
        hits = last if len(last) == 1 else _option_text(text, options)
        if len(hits) == 1:
            return hits
    return []


def choice_of(text: str, options: list[str]) -> str | None:
    """The one option letter a text picks, or None (nothing chosen, or a hedge between several).

    >>> choice_of(r"so the answer is $\\boxed{\\text{(B)}}$", []), choice_of("Answer: c", []), choice_of("blue", ["red", "blue"])
    ('B', 'C', 'B')
    >>> choice_of("Answer: A, B, C, D", []) is None
    True
    """
    letters = chosen_letters(text, options)
    return letters[0] if len(letters) == 1 else None


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
) -> RewardResult:
    """Multiple-choice correctness (MMLU, Hendrycks et al. 2021; GPQA): the letter the completion picks
    ("(B)", "\\text{(B)}", "Answer: B", a boxed letter, or an option's text) equals the reference letter
    (a letter, a 0-based index, or the option text; options from ``options`` or ``metadata.options``).
    Choosing several letters ("A or B", "Answer: A, B, C, D", one box per letter) is a hedge and scores 0;
    options quoted while reasoning are not choices (see ``chosen_letters``).

    >>> choice("Let me think... The answer is (B).", "B", {}).value, choice("Answer: A", "B", {}).value
    (1.0, 0.0)
    >>> choice("The answer is A or B.", "B", {}).reason
    'several options chosen (A, B): a hedge scores 0'
    """
    opts = _options(options, metadata)
    gold = reference_letter(reference, opts)
    letters = chosen_letters(answer_span(completion, pattern, answer_tag=True), opts)
    if not letters:
        return RewardResult.ok(0.0, reason="no option chosen")
    if len(letters) > 1:
        return RewardResult.ok(0.0, reason=f"several options chosen ({', '.join(letters)}): a hedge scores 0")
    return RewardResult.ok(float(letters[0] == gold), info={"chosen": letters[0]})
