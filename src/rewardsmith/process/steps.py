"""Split a reasoning chain into steps: double newline, "Step k:" markers, sentences, lines, or a custom regex.

Each step keeps its character span in the completion, so token-level scores (implicit PRM, PRM
separators) can be attributed to the step they fall in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from rewardsmith.types import Step

SplitMode = Literal["double_newline", "step_marker", "sentences", "lines", "regex"]

# The indent before a marker stays on its line ([^\S\n]*, not \s*): \s* let every line start of a run of blank
# lines scan to the end of the run, quadratic on policy text.
_STEP_MARKER = re.compile(r"(?im)^[^\S\n]*(?:step\s*\d+\s*[:.)]|\d+\s*[.)]\s)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")


@dataclass(frozen=True, slots=True)
class Span:
    """One step: its text and its [start, end) character span in the original text."""

    text: str
    start: int
    end: int


def _spans_between(text: str, cuts: list[int]) -> list[Span]:
    bounds = [0] + cuts + [len(text)]
    out: list[Span] = []
    for a, b in zip(bounds, bounds[1:]):
        chunk = text[a:b]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            out.append(Span(stripped, a + lead, a + lead + len(stripped)))
    return out


def split_steps(text: str, mode: SplitMode = "double_newline", pattern: str | None = None) -> list[Span]:
    """Steps of ``text`` with their spans. ``regex`` splits where ``pattern`` matches (the match starts a step).

    >>> [s.text for s in split_steps("a = 1\\n\\nb = 2\\n\\n\\nso 3")]
    ['a = 1', 'b = 2', 'so 3']
    >>> [s.text for s in split_steps("Step 1: x\\nmore\\nStep 2: y", "step_marker")]
    ['Step 1: x\\nmore', 'Step 2: y']
    >>> [s.text for s in split_steps("It is 2. So 4! Done", "sentences")]
    ['It is 2.', 'So 4!', 'Done']
    >>> [(s.start, s.end) for s in split_steps("ab\\ncd", "lines")]
    [(0, 2), (3, 5)]
    """
    if mode == "double_newline":
        cuts = [m.end() for m in re.finditer(r"\n\s*\n", text)]
    elif mode == "lines":
        cuts = [m.end() for m in re.finditer(r"\n", text)]
    elif mode == "sentences":
        cuts = [m.end() for m in _SENTENCE_END.finditer(text)]
    elif mode == "step_marker":
        cuts = [m.start() for m in _STEP_MARKER.finditer(text) if m.start() > 0]
    elif mode == "regex":
        if not pattern:
            raise ValueError("split mode 'regex' needs a pattern")
        cuts = [m.start() for m in re.finditer(pattern, text) if m.start() > 0]
    else:
        raise ValueError(f"unknown split mode {mode!r}")
    return _spans_between(text, cuts)


def steps_of(
    completion: str, steps: list[Step] | None, mode: SplitMode = "double_newline", pattern: str | None = None
) -> list[str]:
    """The row's own ``steps`` when it has them, else the completion split by ``mode``.

    >>> steps_of("x\\n\\ny", None)
    ['x', 'y']
    >>> steps_of("ignored", [Step("first"), Step("second")])
    ['first', 'second']
    """
    if steps:
        return [s.content for s in steps]
    return [s.text for s in split_steps(completion, mode, pattern)]


def step_prefixes(
    completion: str,
    steps: list[Step] | None,
    mode: SplitMode = "double_newline",
    pattern: str | None = None,
    join: str = "\n\n",
) -> list[str]:
    """The solution up to the end of each step: from the completion's own text when it is split by ``mode``
    (separators kept as written), or the row's ``steps`` joined by ``join``.

    >>> step_prefixes("a = 1\\n\\nb = 2\\n\\nso 3", None)
    ['a = 1', 'a = 1\\n\\nb = 2', 'a = 1\\n\\nb = 2\\n\\nso 3']
    >>> step_prefixes("ignored", [Step("x"), Step("y")], join="\\n")
    ['x', 'x\\ny']
    """
    if steps:
        contents = [s.content for s in steps]
        return [join.join(contents[: t + 1]) for t in range(len(contents))]
    return [completion[: s.end] for s in split_steps(completion, mode, pattern)]


def step_of_offset(spans: list[Span], offset: int) -> int:
    """Index of the step a character offset belongs to (the last step that starts at or before it).

    >>> step_of_offset([Span("a", 0, 1), Span("b", 3, 4)], 2)
    0
    >>> step_of_offset([Span("a", 0, 1), Span("b", 3, 4)], 3)
    1
    """
    k = 0
    for i, s in enumerate(spans):
        if s.start <= offset:
            k = i
        else:
            break
    return k
