"""Code out of a completion: the last fenced block (preferring the requested language), else the text.

The completion is the policy's text, so the scan is one pass over its lines (``str.find``), never a
backtracking regex over the whole text: a 1 MB completion of unterminated fences or backticks costs
milliseconds. A fence opens on a line that starts (after spaces/tabs) with 3+ backticks or tildes and
closes on a line holding only the same character, at least as many times (CommonMark).
"""

from __future__ import annotations

import re

#: Applied to one line at a time, anchored at its start: no backtracking across lines.
_OPENER = re.compile(r"[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)")


def _scan(text: str) -> tuple[list[tuple[str, str]], str | None]:
    """(language, code) of every closed block, and the body of a fence still open at the end (or None)."""
    blocks: list[tuple[str, str]] = []
    fence_char, fence_len, lang, body_start = "", 0, "", -1
    pos, n = 0, len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        if body_start < 0:
            if nl >= 0 and text.startswith(("`", "~", " ", "\t"), pos):
                m = _OPENER.match(text, pos, end)
                if m is not None:
                    fence_char, fence_len, lang, body_start = m.group(1)[0], len(m.group(1)), m.group(2).lower(), nl + 1
        else:
            line = text[pos:end].strip(" \t\r")
            if len(line) >= fence_len and line.count(fence_char) == len(line):
                blocks.append((lang, text[body_start:pos]))
                body_start = -1
        pos = end + 1
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
