"""Reading gold answers and the answer span of a completion, shared by the QA and choice rewards."""

from __future__ import annotations

import re
from typing import Any

from rewardsmith.types import Abstain

_ANSWER_MARKS = re.compile(r"<(/?)answer>", re.IGNORECASE)


def tag_contents(text: str, marks: re.Pattern[str] = _ANSWER_MARKS) -> list[str]:
    """Contents of every closed ``<tag>...</tag>`` pair, like ``findall(r"<tag>(.*?)</tag>")`` but in one
    pass over the marks (an opener inside an open tag is content; an opener never closed is dropped):
    a lazy ``(.*?)`` rescans to the end after every unclosed opener, quadratic on policy text.

    >>> tag_contents("<answer>a</answer> <ANSWER>b<answer>c</answer> <answer>d")
    ['a', 'b<answer>c']
    """
    out = []
    start = -1
    for m in marks.finditer(text):
        if not m.group(1):
            if start < 0:
                start = m.end()
        elif start >= 0:
            out.append(text[start : m.start()])
            start = -1
    return out
#: Typographic apostrophes and quotes written for ' (curly, modifier letter, prime, fullwidth, grave, acute).
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u2032\uff07\u0060\u00b4\u201b"})


def straight_apostrophes(text: str) -> str:
    """``text`` with every typographic apostrophe written as ``'`` ("Let’s" and "Let's" read alike).

    >>> straight_apostrophes("Let\u2019s see, I don\u02bct know")
    "Let's see, I don't know"
    """
    return text.translate(_APOSTROPHES)


def gold_list(reference: Any, what: str = "reference") -> list[str]:
    """Gold answers as a non-empty list of strings; ``Abstain`` when there are none.

    Accepts a string, a list of strings, or a dict with ``answers``/``text`` (SQuAD's shape).

    >>> gold_list({"text": ["Paris", "paris, France"]})
    ['Paris', 'paris, France']
    """
    if isinstance(reference, dict):
        for key in ("answers", "text", "answer", "aliases"):
            if key in reference:
                return gold_list(reference[key], what)
        raise Abstain(f"{what} has no answers/text field")
    if isinstance(reference, (str, int, float)) and not isinstance(reference, bool):
        items = [str(reference)]
    elif isinstance(reference, (list, tuple)):
        items = [str(x) for x in reference if x is not None and str(x).strip()]
    else:
        items = []
    items = [x for x in items if x.strip()]
    if not items:
        raise Abstain(f"no {what} answer to compare with")
    return items


def answer_span(completion: str, pattern: str | None = None, answer_tag: bool = True) -> str:
    """The part of a completion that states the answer: group 1 (or the match) of the last ``pattern``
    match, else the last ``<answer>...</answer>`` when ``answer_tag``, else the whole completion.

    >>> answer_span("<think>hmm</think><answer> Paris </answer>")
    'Paris'
    """
    if pattern:
        matches = list(re.finditer(pattern, completion, re.MULTILINE | re.DOTALL))
        if matches:
            m = matches[-1]
            return (m.group(1) if m.groups() else m.group(0)).strip()
    if answer_tag:
        tags = tag_contents(completion)
        if tags:
            return tags[-1].strip()
    return completion.strip()
