"""Find the final answer in a math solution: last ``\\boxed{}`` / ``\\fbox{}``, ``#### N``, "Final Answer:",
"The answer is", GSM8K model-solution "A: N", a configurable regex, else (optionally) the last number.

All scans are linear (``str.rfind`` and simple anchored regexes), so a 10 MB completion costs milliseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

HedgePolicy = Literal["reject", "last"]
Fallback = Literal["last_number", "none"]

_BOX = re.compile(r"\\(?:boxed|fbox)\b")
# Same matches (stripped) as ``####\s*([^\n]+?)\s*$`` (checked on 300k random strings), without its lazy
# body before \s*$ that made "#### " + a run of spaces quadratic.
_HASHES = re.compile(r"####(?=\s*[^\n])\s*(\S[^\n]*|)")
_A_LINE = re.compile(r"(?:^|\n)[ \t]*A:[ \t]*([^\n]+?)\s*\Z")
_FINAL = re.compile(r"final\s+answer\s*(?:is|:|=)\s*:?\s*([^\n]+)", re.IGNORECASE)
_ANSWER_IS = re.compile(r"answer\s*(?:is|:|=)\s*:?\s*([^\n]+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_HEDGE_BETWEEN = re.compile(r"\b(?:or|maybe|perhaps|possibly|either|alternatively)\b", re.IGNORECASE)
_HEDGE_INSIDE = re.compile(r"(?:\\text\{\s*or\s*\}|\bor\b)")
_THIN_GAP = re.compile(r"^[\s,;.&$]*(?:(?:and|or|\\quad|\\text\{\s*(?:and|or)\s*\})[\s,;.&$]*)?$", re.IGNORECASE)
_NUMBER_LIST = re.compile(r"(?:-?\d[\d,]*(?:\.\d+)?\s*(?:,\s*(?:or\s+)?|\bor\s+)){2,}-?\d[\d,]*(?:\.\d+)?")
_MATH_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
#: Longest answer span we keep (a longer "answer" is not an answer).
MAX_ANSWER_CHARS = 2000
#: How far from the end the fallback looks for a number.
_TAIL = 4000


@dataclass(frozen=True, slots=True)
class Extraction:
    """What was found: ``answer`` (None if nothing usable), ``how`` it was found, and whether it was a hedge
    (between boxes: ``answer`` is None; inside one box, "8 or 9": the text is kept, for references that list
    several values)."""

    answer: str | None
    how: str
    hedged: bool = False


def _balanced(text: str, start: int) -> tuple[str, int] | None:
    """Content of the brace group opening at ``text[start] == '{'`` and the index after it."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
        i += 1
        if i - start > MAX_ANSWER_CHARS * 4:
            return None
    return None


def boxed_answers(text: str, limit: int = 64) -> list[tuple[str, int, int]]:
    """The last ``limit`` boxed contents as ``(content, start, end)``, in order of appearance.

    >>> [b[0] for b in boxed_answers(r"first \\boxed{1} then \\fbox{\\frac{2}{3}} and \\boxed 5$")]
    ['1', '\\\\frac{2}{3}', '5']
    """
    found: list[tuple[str, int, int]] = []
    end = len(text)
    tries = 4 * limit  # each try scans at most MAX_ANSWER_CHARS * 4: unclosed boxes cost linear time, not n * 8000
    while len(found) < limit and tries > 0:
        tries -= 1
        pos = max(text.rfind("\\boxed", 0, end), text.rfind("\\fbox", 0, end))
        if pos < 0:
            break
        end = pos
        m = _BOX.match(text, pos)
        if m is None:
            continue
        j = m.end()
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == "{":
            got = _balanced(text, j)
            if got is None:
                continue
            found.append((got[0], pos, got[1]))
        else:  # \boxed 5
            k = j
            while k < len(text) and not text[k].isspace() and text[k] not in "$.,":
                k += 1
            if k > j:
                found.append((text[j:k], pos, k))
    found.reverse()
    return found


def _clean_tail(span: str) -> str:
    """Answer text after "The answer is": the first math span if there is one, else up to the sentence end."""
    span = span.strip()
    boxes = boxed_answers(span, limit=1)
    if boxes:
        return boxes[-1][0]
    m = _MATH_SPAN.search(span)
    if m is not None and m.start() < 3:
        return next(g for g in m.groups() if g is not None).strip()
    cut = re.split(r"(?<=[^\d\s])\.\s|\.\s+[A-Z]|\.$", span, maxsplit=1)[0]
    return cut.strip().rstrip(".").strip()


def _same(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", a) == re.sub(r"\s+", "", b)


def find_answer(
    text: str,
    pattern: str | None = None,
    hedge: HedgePolicy = "reject",
    fallback: Fallback = "last_number",
) -> Extraction:
    """Locate the final answer and say how it was found (see ``extract_answer``)."""
    if not text:
        return Extraction(None, "empty")
    if pattern:
        matches = list(_compiled(pattern).finditer(text))
        if matches:
            m = matches[-1]
            return _sized(m.group(1) if m.groups() else m.group(0), "pattern")
    boxes = boxed_answers(text)
    if boxes:
        last = boxes[-1][0]
        if hedge == "reject":
            if len(boxes) >= 2:
                prev = boxes[-2]
                between = text[prev[2] : boxes[-1][1]]
                if not _same(prev[0], last) and _HEDGE_BETWEEN.search(between):
                    return Extraction(None, "boxed", hedged=True)
            # a run of boxes with nothing but punctuation between them is a list of candidates
            run = [boxes[-1]]
            for box in reversed(boxes[:-1]):
                if not _THIN_GAP.match(text[box[2] : run[-1][1]]):
                    break
                run.append(box)
            if any(not _same(b[0], last) for b in run):
                return Extraction(None, "boxed", hedged=True)
        return _sized(last, "boxed", hedge)
    m = None
    for m in _HASHES.finditer(text):
        pass
    if m is not None:
        return _sized(m.group(1), "####", hedge)
    m = _A_LINE.search(text[-_TAIL:])
    if m is not None:
        return _sized(m.group(1), "A:", hedge)
    lowered = text.lower()
    for rx, key, how in ((_FINAL, "final", "final answer"), (_ANSWER_IS, "answer", "answer is")):
        m = _last_match(rx, text, lowered, key)
        if m is not None:
            cleaned = _clean_tail(m.group(1))
            if cleaned:
                return _sized(cleaned, how, hedge)
    if fallback == "last_number":
        tail = text[-_TAIL:]
        nums = list(_NUMBER.finditer(tail))
        if nums:
            last_num = nums[-1]
            if hedge == "reject":  # "14, 15, 16, or 18": the last number of a list of candidates is no answer
                for lst in _NUMBER_LIST.finditer(tail):
                    if lst.start() <= last_num.start() < lst.end() + 1:
                        return Extraction(None, "last number", hedged=True)
            return Extraction(last_num.group(0), "last number")
    return Extraction(None, "none")


def _last_match(rx: re.Pattern[str], text: str, lowered: str, key: str, tries: int = 64) -> re.Match[str] | None:
    """The last match of ``rx`` that starts at an occurrence of ``key`` (found with rfind: linear time)."""
    end = len(lowered)
    for _ in range(tries):
        pos = lowered.rfind(key, 0, end)
        if pos < 0:
            return None
        if pos == 0 or not lowered[pos - 1].isalnum():
            m = rx.match(text, pos)
            if m is not None:
                return m
        end = pos
    return None


def _sized(answer: str, how: str, hedge: HedgePolicy = "last") -> Extraction:
    """Keep a usable answer; with ``hedge="reject"`` flag "8 or 9" (kept: it is a solution set when the
    reference lists several values, a hedge otherwise)."""
    answer = answer.strip()
    if not answer or len(answer) > MAX_ANSWER_CHARS:
        return Extraction(None, how)
    return Extraction(answer, how, hedged=hedge == "reject" and bool(_HEDGE_INSIDE.search(answer)))


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def extract_answer(
    text: str,
    pattern: str | None = None,
    hedge: HedgePolicy = "reject",
    fallback: Fallback = "last_number",
) -> str | None:
    """The final answer of a solution, or None when there is none (or it is a hedge).

    Order: ``pattern`` (a regex; group 1 if it has groups), the last ``\\boxed{}``/``\\fbox{}``, the last
    ``#### N`` (GSM8K), a final line ``A: N`` (GSM8K model solutions), "Final Answer:", "The answer is",
    then the last number (``fallback="last_number"``). With ``hedge="reject"`` a last box offering two
    different answers ("\\boxed{8} or maybe \\boxed{9}", "\\boxed{8 \\text{ or } 9}") gives None.

    >>> extract_answer(r"So $x = \\boxed{\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> extract_answer("9 + 3 = 12 cookies.\\n#### 12"), extract_answer("so 13 * 2 = 26\\nA: 26")
    ('12', '26')
    >>> extract_answer("The answer is 24."), extract_answer(r"It is $\\boxed{8}$ or maybe $\\boxed{9}$.") is None
    ('24', True)
    """
    found = find_answer(text, pattern, hedge, fallback)
    return None if found.hedged else found.answer
