"""Code out of a completion: the last fenced block (preferring the requested language), else the text.

The completion is the policy's text, so the scan is one pass over the lines that start with a fence
run, never a backtracking regex spanning lines: a 1 MB completion of unterminated fences or backticks
costs milliseconds. A fence opens on a line that starts (after spaces/tabs) with 3+ backticks or tildes and
closes on a line holding only the same character, at least as many times (CommonMark).
"""

from __future__ import annotations

import re

#: A line that starts (after spaces/tabs) with a fence run; ``^`` anchors each try at a line start and
#: nothing after the run is matched, so there is no backtracking across lines.
_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})", re.MULTILINE)
_INFO = re.compile(r"[ \t]*([\w+#.-]*)")


def _scan(text: str) -> tuple[list[tuple[str, str]], str | None]:
    """(language, code) of every closed block, and the body of a fence still open at the end (or None)."""
    blocks: list[tuple[str, str]] = []
    fence, lang, body_start = "", "", -1
    n = len(text)
    for m in _FENCE_LINE.finditer(text):
        nl = text.find("\n", m.end())
        end = n if nl < 0 else nl
        run = m.group(1)
        if body_start < 0:
            if nl >= 0:  # an opener needs its line to end
                info = _INFO.match(text, m.end(), end)
                fence, lang, body_start = run, (info.group(1) if info else "").lower(), nl + 1
        elif run[0] == fence[0] and len(run) >= len(fence) and not text[m.end() : end].strip(" \t\r"):
            blocks.append((lang, text[body_start : m.start()]))
            body_start = -1
    return blocks, (text[body_start:] if body_start >= 0 else None)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every closed fenced block, in order.

    >>> fenced_blocks("a\\n```python\\nx = 1\\n```\\nb\\n```\\ny\\n```")
    [('python', 'x = 1\\n'), ('', 'y\\n')]
    >>> fenced_blocks("````md\\n```py\\nx\\n```\\n````")
    [('md', '```py\\nx\\n```\\n')]
    """
    return _scan(text)[0]


def extract_code(text: str, language: str | None = "python") -> str:
    """The code a completion gives: the last fenced block in ``language`` (or untagged), else the last
    block of any language, else an unclosed final fence's body, else the whole text.

    >>> extract_code("Here:\\n```python\\ndef f():\\n    return 1\\n```\\nDone.")
    'def f():\\n    return 1\\n'
    >>> extract_code("def g(): pass")
    'def g(): pass'
    >>> extract_code("cut off:\\n```python\\nx = 1\\n")
    'x = 1\\n'
    """
    blocks, open_body = _scan(text)
    if blocks:
        if language:
            want = language.lower()
            wanted = {want, "py" if want == "python" else "", ""}
            matching = [code for lang, code in blocks if lang in wanted or lang.startswith(want)]
            if matching:
                return matching[-1]
        return blocks[-1][1]
    if open_body is not None:  # a truncated completion: the fence never closed
        return open_body
    return text
