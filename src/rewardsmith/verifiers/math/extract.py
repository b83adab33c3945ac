"""Find the final answer in a math solution.

Explicit answers first: a ``pattern``, the last group of ``\\boxed{}`` / ``\\fbox{}`` (several boxes joined
only by "and", commas or labels form one list answer), ``#### N``, a final ``A: N`` line, "Final Answer: ...",
"The answer is ...". When several are present the last one in the text wins, except that a later
"answer is" line must itself state mathematics to override a box. With none of those (``fallback=
"last_number"``), the last *complete* expression: the last math span (``$...$``, ``\\(...\\)``,
``\\[...\\]``, ``$$...$$``) or a plain-text number (with its separators, fraction bar, percent or unit)
standing on its own, whichever comes last; never a digit from inside an expression. A short completion
that is nothing but an answer is taken whole.

All scans are linear (``str.find``/``rfind`` and simple anchored regexes over at most the last few thousand
characters), so a 10 MB completion costs milliseconds.
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
_FINAL = re.compile(r"final\s+answer\s*(?:is|:|=)\s*:?[ \t]*([^\n]*)", re.IGNORECASE)
_ANSWER_IS = re.compile(r"answer\s*(?:is|:|=)\s*:?[ \t]*([^\n]*)", re.IGNORECASE)
_UNSURE_WORDS = r"maybe|perhaps|possibly|either|alternatively|probably|might|could|unsure|not sure"
_UNSURE = re.compile(rf"\b(?:{_UNSURE_WORDS})\b", re.IGNORECASE)
_UNSURE_STEMS = tuple(_UNSURE_WORDS.split("|"))
_HEDGE_BETWEEN = re.compile(rf"\b(?:or|{_UNSURE_WORDS})\b", re.IGNORECASE)
#: Between two boxes of one list answer: delimiters, spacing, punctuation, "and"/"or", part labels, "x_2 =".
_GAP_NOISE = re.compile(
    r"\\[()\[\]]|\$|\\(?:quad|qquad|text|textbf|mathrm|mbox)\b|\\[,;:! ]|[{}]"
    r"|\((?:[a-z]|i{1,3}|iv|v)\)|\b(?:and|or|for|part|parts|respectively)\b"
    r"|[A-Za-z](?:_\{?\w{1,4}\}?)?\s*=",
    re.IGNORECASE,
)
_MAX_GAP = 80
_HEDGE_WINDOW = 300
_DELIM = re.compile(r"\\\$|\$\$|\$|\\\(|\\\[")
_UNIT = (
    r"(?:mm|cm|km|m|kg|mg|g|ml|l|L|s|ms|min|h|hr|hrs|ft|in|yd|mi|lb|lbs|oz|sq|units?)(?:\^?[23²³])?"
)
#: A number in prose: sign, currency, digits with thousands separators, decimals, a fraction bar.
_PROSE_NUMBER = re.compile(
    r"[-−+]?\d+\s+\d+\s*/\s*\d+(?![\d.,/])"  # a mixed number: "2 1/2"
    r"|\d+(?::\d+)+(?![\d:])"  # a ratio or a time: "3:4" is not the number 4
    r"|[-−+]?(?:[$€£¥]\s?)?(?:\d{1,3}(?:(?:,|\u2009|\u202f)\d{3})+|\d+)(?:[.,]\d+)?(?:\^\{?-?\d+\}?)?(?:\s*/\s*\d+(?:\.\d+)?)?"
    r"|[-−+]?\.\d+"
)
#: An operand and an operator right before a number: it is inside an expression ("5 - 3", "3*4", "2 x 3").
_OPERAND_BEFORE = re.compile(r"[\w)\]}]\s*(?:[-+*/×÷^−·]|\\times|\\cdot|\\div|\bx\b)\s*$")
#: Markdown emphasis around a whole answer: "**4**", "*4*".
_EMPHASIS = re.compile(r"^\*{1,3}(?=\S)|(?<=\S)\*{1,3}$")
_BEFORE_OK = set(" \t\n([\"'*:=~$€£¥")
_AFTER_WORD = re.compile(rf"(?:\s*(?:\\?%|[$€£¥]|{_UNIT}\b|[²³]))?")
_LIST_BEFORE = re.compile(
    r"(?:(?:\b[A-Za-z]\s*=\s*)?[-−]?\d[\d,]*(?:\.\d+)?\s*(?:,\s*(?:and\s+|or\s+)?|\s(?:and|or)\s+))+"
    r"(?:\b[A-Za-z]\s*=\s*)?$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[A-Za-z]{2,}")
_OR_BEFORE = re.compile(r"\b(?:or|maybe|perhaps|possibly|probably)[\s,:]*$", re.IGNORECASE)
#: Text between two math spans of one list answer: "$3$, $4$ and $5$", "$x=3$ or $x=4$".
_LIST_GAP = re.compile(r"[\s,;\"']*(?:(?:and|or)\s*)?", re.IGNORECASE)
#: A span with nothing but an end-of-proof mark.
_DECORATION = re.compile(r"(?:\s|\\(?:blacksquare|square|Box|qed|qedsymbol|quad|qquad)(?![A-Za-z]))*")
_CONNECTOR = {"and", "or"}
_QUOTE_CHARS = "\"'*"
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
#: Longest answer span we keep (a longer "answer" is not an answer).
MAX_ANSWER_CHARS = 2000
#: How far from the end the fallback looks for the last expression.
_TAIL = 4000
_BARE_CHARS = 160


@dataclass(frozen=True, slots=True)
class Extraction:
    """What was found: ``answer`` (None if nothing usable), ``how`` it was found, whether it was a hedge
    (``answer`` is then None), and the ``parts`` of a list answer (several boxes, "3, 4 and 5")."""

    answer: str | None
    how: str
    hedged: bool = False
    parts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Span:
    """A math span: its content and where the whole span (delimiters included) starts and ends."""

    content: str
    start: int
    end: int


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


def _unbox(content: str) -> str:
    """``\\boxed{5}`` inside a box is ``5``."""
    t = content.strip()
    while (m := _BOX.match(t)) is not None:
        j = m.end()
        while j < len(t) and t[j] in " \t":
            j += 1
        got = _balanced(t, j) if j < len(t) and t[j] == "{" else None
        if got is None or got[1] != len(t):
            break
        t = got[0].strip()
    return t


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
            while found and found[-1][1] < got[1]:  # a box inside this one: "\boxed{\boxed{5}}" is one box
                found.pop()
            found.append((_unbox(got[0]), pos, got[1]))
        else:  # \boxed 5
            k = j
            while k < len(text) and not text[k].isspace() and text[k] not in "$.,":
                k += 1
            if k > j:
                found.append((text[j:k], pos, k))
    found.reverse()
    return found


def _closing_dollar(text: str, start: int, currency: bool) -> int:
    """Index of the ``$`` closing an inline span opened just before ``start`` (on the same line), or -1.
    After ``$`` plus a digit (maybe money) only the next ``$`` may close, and only right after a non-space
    (pandoc's rule): "$5 and $3" and "$5, so $x$" open no span at the first ``$``."""
    i = start
    while True:
        j = text.find("$", i)
        nl = text.find("\n", i)
        if j < 0 or (0 <= nl < j):
            return -1
        if text[j - 1] == "\\":  # \$ is a literal dollar inside the span
            i = j + 1
            continue
        closes = not (j + 1 < len(text) and text[j + 1].isdigit())  # "$5 and $3": not a closer
        if currency:
            return j if closes and not text[j - 1].isspace() else -1
        if closes:
            return j
        i = j + 1


def math_spans(text: str) -> tuple[list[Span], list[tuple[int, int]]]:
    """Math spans of ``text`` in order, and the *broken* regions (an inline span across lines, an opener
    never closed) where no number may be read either.

    >>> [s.content for s in math_spans(r"It costs $5, so $x = \\frac{1}{2}$ and \\[ y \\]")[0]]
    ['x = \\\\frac{1}{2}', 'y']
    """
    spans: list[Span] = []
    broken: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while True:
        m = _DELIM.search(text, i)
        if m is None:
            break
        tok, s = m.group(), m.end()
        if tok == "\\$":
            i = s
            continue
        if tok in ("$$", "\\["):
            close = "$$" if tok == "$$" else "\\]"
            e = text.find(close, s)
            if e < 0:
                broken.append((m.start(), n))
                break
            spans.append(Span(text[s:e].strip(), m.start(), e + len(close)))
            i = e + len(close)
            continue
        if tok == "\\(":
            e = text.find("\\)", s)
            if e < 0:
                broken.append((m.start(), n))
                break
            if "\n" in text[s:e]:
                broken.append((m.start(), e + 2))
            else:
                spans.append(Span(text[s:e].strip(), m.start(), e + 2))
            i = e + 2
            continue
        # a single "$"
        currency = s < n and text[s].isdigit()
        e = _closing_dollar(text, s, currency)
        if e >= 0:
            spans.append(Span(text[s:e].strip(), m.start(), e + 1))
            i = e + 1
            continue
        if not currency:  # an opener with no closer on its line: math up to the next "$", or to the end
            nxt = text.find("$", s)
            broken.append((m.start(), n if nxt < 0 else nxt + 1))
            if nxt < 0:
                break
            i = nxt + 1
            continue
        i = s
    return spans, broken


def _inside(pos: int, regions: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in regions)


def _prose_number(text: str, regions: list[tuple[int, int]]) -> tuple[str, int, int] | None:
    """The last number standing on its own in ``text`` outside ``regions`` (math spans and broken math), with
    any list it ends ("3, 4 or 5"); None when the last number-like text is part of a larger expression."""
    last = next((m for m in reversed(list(_PROSE_NUMBER.finditer(text))) if not _inside(m.start(), regions)), None)
    if last is None:
        return None
    start, end = last.span()
    before = text[start - 1] if start > 0 else " "
    suffix = _AFTER_WORD.match(text, end)
    stop = suffix.end() if suffix else end
    after = text[stop] if stop < len(text) else " "
    if before == "\\" and text[start] == "$":  # "\$18"
        before = " "
    elif before == ">" and text[max(0, start - 2) : start] == ">>":  # GSM8K's "<<2*3=6>>6"
        before = " "
    if _OPERAND_BEFORE.search(text, max(0, start - 40), start):
        return None  # "5 - 3", "3*4", "2 \times 3": the number is an operand, not the answer
    if before not in _BEFORE_OK or not (after.isspace() or after in ".,;:!?)]\"'*"):
        return None
    if after == "." and stop + 1 < len(text) and text[stop + 1].isdigit():
        return None
    head = text[max(0, start - 200) : start]
    if _OR_BEFORE.search(head):  # "It's 4. Or 5.", "4, or maybe 5": the number before it is a rival answer
        offset = start - len(head)
        rival = next((m for m in reversed(list(_PROSE_NUMBER.finditer(head))) if not _inside(offset + m.start(), regions)),
                     None)
        if rival is not None:
            return f"{rival.group().strip()}, {text[start:end].strip()}", offset + rival.start(), stop
    lst = _LIST_BEFORE.search(head)
    if lst is not None and not _inside(start - len(head) + lst.start(), regions):
        return text[start - len(head) + lst.start() : end].strip(), start - len(head) + lst.start(), stop
    return text[start:end].strip(), start, stop


def _prose_words(text: str) -> int:
    """Words of prose in ``text``: alphabetic words outside LaTeX commands, not counting "and"/"or"."""
    plain = re.sub(r"\\[A-Za-z]+", " ", text)
    return sum(1 for w in _WORD.findall(plain) if w.lower() not in _CONNECTOR)


def last_expression(text: str) -> tuple[str, str] | None:
    """The last complete expression of a text with no explicit answer marker, and how it was found.

    >>> last_expression(r"We get $\\frac{1+\\sqrt{5}}{2}$."), last_expression("So the probability is 2/3.")
    (('\\\\frac{1+\\\\sqrt{5}}{2}', 'last math span'), ('2/3', 'last number'))
    >>> last_expression("AZYUK2A") is None, last_expression("The area is $6\\\\sqrt{3}$ square units.")[0]
    (True, '6\\\\sqrt{3}')
    """
    cut = max(0, len(text) - _TAIL)
    if cut:
        nl = text.find("\n", cut, cut + 400)
        cut = nl + 1 if nl >= 0 else cut
    tail = text[cut:]
    spans, broken = math_spans(tail)
    regions = [(s.start, s.end) for s in spans] + broken
    number = _prose_number(tail, regions)
    spans = [s for s in spans if not _DECORATION.fullmatch(s.content)]
    if number is not None and (not spans or number[1] >= spans[-1].end):
        return number[0], "last number"
    if not spans:
        return None
    first = len(spans) - 1  # the last span and the spans joined to it as one list ("$x=3$ or $x=4$")
    while first > 0 and _LIST_GAP.fullmatch(tail[spans[first - 1].end : spans[first].start]):
        first -= 1
    return ", ".join(s.content for s in spans[first:]), "last math span"


def _bare(text: str) -> str | None:
    """The whole text when it is nothing but an answer ("7,425,000", "-\\frac{10}{9}", "x \\ge 5", "Friday")."""
    s = text.strip()
    if len(s) > _BARE_CHARS + 6:
        return None
    s = _EMPHASIS.sub("", s).strip()
    if not s or len(s) > _BARE_CHARS or s.endswith(":"):
        return None
    if "$" in s or "\\(" in s or "\\[" in s:
        return None
    if "\n" in s:  # "4\n5": several bare values are a list (a hedge when one is expected)
        lines = [line.strip() for line in s.splitlines() if line.strip()]
        if _prose_words(s) or any("\\" in line for line in lines):
            return None
        return ", ".join(lines)
    if re.match(r"[A-Za-z]{2,}\b", s) and re.search(r"\d", s):
        return None  # "So 5": a word, then the answer (a unit comes after its number: "5 apples")
    return s if _prose_words(s) <= 1 else None


def _strip_quotes(s: str) -> str:
    """``s`` without the quotes, asterisks (a backslash may escape each) and whitespace around it, in one pass
    from each end (the regex ``(?:\\?["'*]|\\s)+$`` retried every whitespace run to the end: quadratic).

    >>> _strip_quotes('  **"42"** '), _strip_quotes('\\"x = 3\\"')
    ('42', 'x = 3')
    """
    i, j = 0, len(s)
    while i < j:
        if s[i].isspace() or s[i] in _QUOTE_CHARS:
            i += 1
        elif s[i] == "\\" and i + 1 < j and s[i + 1] in _QUOTE_CHARS:
            i += 2
        else:
            break
    while j > i and (s[j - 1].isspace() or s[j - 1] in _QUOTE_CHARS):
        j -= 1
        if s[j] in _QUOTE_CHARS and j > i and s[j - 1] == "\\":
            j -= 1
    return s[i:j]


def _cut_sentence(span: str) -> str:
    m = _SENTENCE_END.search(span)
    return span[: m.start()] if m else span


def _answer_in_span(span: str, dig: bool) -> str | None:
    """The answer stated after "final answer is" / "answer is" (up to the end of that line).

    ``dig``: when the sentence opens with prose ("The largest $n$ is 34"), take its last expression."""
    span = span.strip().strip("*").strip()
    if not span:
        return None
    boxes = boxed_answers(span)
    if boxes:
        return _group_text(span, boxes)[0]
    sentence = _strip_quotes(_cut_sentence(span).strip()).strip()
    if not sentence:
        return None
    spans, broken = math_spans(sentence)
    if spans and spans[0].start == 0:
        stop = 0
        while stop + 1 < len(spans) and _LIST_GAP.fullmatch(sentence[spans[stop].end : spans[stop + 1].start]):
            stop += 1
        return ", ".join(s.content for s in spans[: stop + 1] if s.content) or None
    if broken:
        sentence = sentence.replace("$", " ")
    if re.match(r"[-−+]?[$€£¥]?\s?[\d.]|\\|\(|\[", sentence):  # starts with the answer: "24", "5 apples", "\frac12"
        return sentence.strip()
    if _prose_words(sentence) <= 1:  # "Friday", "(B)"
        return sentence.strip()
    if dig:
        found = last_expression(sentence)
        return found[0] if found else None
    return None


def _gap_is_list_joint(gap: str) -> bool:
    """Whether the text between two boxes only joins them into one answer ("and", commas, "\\quad", labels)."""
    if len(gap) > _MAX_GAP or _UNSURE.search(gap):
        return False
    rest = _GAP_NOISE.sub(" ", gap)
    if re.search(r"\d", rest):
        return False
    return len(re.findall(r"[A-Za-z]+", rest)) <= 1  # at most a unit: "\\boxed{1} papers and \\boxed{2} bins"


def _group_text(text: str, boxes: list[tuple[str, int, int]]) -> tuple[str, tuple[str, ...], int]:
    """The last group of boxes joined only by list joints: (answer text, distinct parts, start of the group)."""
    group = [boxes[-1]]
    for box in reversed(boxes[:-1]):
        if not _gap_is_list_joint(text[box[2] : group[-1][1]]):
            break
        group.append(box)
    group.reverse()
    parts: list[str] = []
    for content, _, _ in group:
        c = content.strip()
        if c and all(_squash(c) != _squash(p) for p in parts):
            parts.append(c)
    return ", ".join(parts), tuple(parts), group[0][1]


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _last_line(text: str) -> tuple[int, str] | None:
    """The last non-blank line (stripped) and where it starts."""
    end = len(text.rstrip())
    if end == 0:
        return None
    start = text.rfind("\n", 0, end) + 1
    return start, text[start:end].strip()


def _candidates(text: str, hedge: HedgePolicy) -> list[tuple[int, Extraction, bool]]:
    """Explicit answers as (position, extraction, states mathematics)."""
    out: list[tuple[int, Extraction, bool]] = []
    boxes = boxed_answers(text)
    if boxes:
        if hedge == "last":
            out.append((boxes[-1][1], _sized(boxes[-1][0], "boxed"), True))
        else:
            answer, parts, start = _group_text(text, boxes)
            prev = [b for b in boxes if b[2] <= start]
            if prev:
                between = text[prev[-1][2] : start]
                if (
                    len(between) <= _HEDGE_WINDOW
                    and all(_squash(prev[-1][0]) != _squash(p) for p in parts)
                    and _HEDGE_BETWEEN.search(between)
                ):
                    return [(start, Extraction(None, "boxed", hedged=True), True)]
            ext = _sized(answer, "boxed")
            out.append((start, Extraction(ext.answer, ext.how, parts=parts if len(parts) > 1 else ()), True))
    m = None
    for m in _HASHES.finditer(text):
        pass
    if m is not None:
        out.append((m.start(), _sized(m.group(1), "####"), True))
    a_line = _last_line(text)
    if a_line is not None and a_line[1].startswith("A:"):
        out.append((a_line[0], _sized(a_line[1][2:], "A:"), True))
    lowered = text.lower()
    for rx, key, how in ((_FINAL, "final", "final answer"), (_ANSWER_IS, "answer", "answer is")):
        m = _last_match(rx, text, lowered, key)
        if m is not None:
            found = _answer_in_span(m.group(1), dig=how == "final answer")
            if found:
                mathy = bool(re.search(r"[\d\\^=]", found))
                out.append((m.start(), _sized(found, how), mathy))
    return out


def _explicit(text: str, hedge: HedgePolicy) -> tuple[int, Extraction] | None:
    """The last explicit answer (box group, ``####``, ``A:``, "final answer", "answer is") and where it starts."""
    found = _candidates(text, hedge)
    if not found:
        return None
    box = next((c for c in found if c[1].how == "boxed"), None)
    best = max(found, key=lambda c: c[0])
    if box is not None and best is not box and not best[2]:
        best = box  # "\boxed{5}. I hope the answer is correct." keeps the box
    return best[0], best[1]


def _hedged_after(text: str, start: int, answer: str) -> bool:
    """Whether the explicit answer starting at ``start`` follows a different explicit answer with an unsure
    word between them ("The answer is 4. Alternatively, the answer is 5.")."""
    window = text[max(0, start - _HEDGE_WINDOW) : start]
    low = window.lower()
    if not any(stem in low for stem in _UNSURE_STEMS) or not _UNSURE.search(window):  # substring test first: fast
        return False
    prev = _explicit(window, "last")
    if prev is None or prev[1].answer is None or _squash(prev[1].answer) == _squash(answer):
        return False
    return bool(_UNSURE.search(window[prev[0] :]))


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
    best = _explicit(text, hedge)
    if best is not None:
        if hedge == "reject" and best[1].answer is not None and _hedged_after(text, best[0], best[1].answer):
            return Extraction(None, best[1].how, hedged=True)
        return best[1]
    bare = _bare(text)
    if bare is not None:
        return _sized(bare, "whole text")
    if fallback == "last_number":
        got = last_expression(text)
        if got is not None:
            return _sized(*got)
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
            if m is not None and m.group(1).strip():
                return m
        end = pos
    return None


def _sized(answer: str, how: str) -> Extraction:
    answer = answer.strip()
    if not answer or len(answer) > MAX_ANSWER_CHARS:
        return Extraction(None, how)
    return Extraction(answer, how)


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

    Order: ``pattern`` (a regex; group 1 if it has groups), else the last of: the last group of boxes
    (``\\boxed{}``/``\\fbox{}``), ``#### N`` (GSM8K), a final line ``A: N`` (GSM8K model solutions), "Final
    Answer:", "The answer is"; else a text that is only an answer; else (``fallback="last_number"``) the last
    complete expression. With ``hedge="reject"`` two different boxed answers with "or"/"maybe" between them
    give None; several boxes joined by "and" or commas are one list answer ("1, 2").

    >>> extract_answer(r"So $x = \\boxed{\\frac{1}{2}}$.")
    '\\\\frac{1}{2}'
    >>> extract_answer("9 + 3 = 12 cookies.\\n#### 12"), extract_answer("so 13 * 2 = 26\\nA: 26")
    ('12', '26')
    >>> extract_answer("The answer is 24."), extract_answer(r"It is $\\boxed{8}$. Or maybe $\\boxed{9}$.") is None
    ('24', True)
    >>> extract_answer(r"The roots are $\\boxed{-2}$ and $\\boxed{1}$.")
    '-2, 1'
    """
    found = find_answer(text, pattern, hedge, fallback)
    return None if found.hedged else found.answer
