"""Code out of a completion: the last fenced block (preferring the requested language), else the text."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.DOTALL | re.MULTILINE)
_OPEN_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*)\Z", re.DOTALL | re.MULTILINE)


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every closed fenced block, in order.

    >>> fenced_blocks("a\\n```python\\nx = 1\\n```\\nb\\n```\\ny\\n```")
    [('python', 'x = 1\\n'), ('', 'y\\n')]
    """
    return [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(text)]


def extract_code(text: str, language: str | None = "python") -> str:
    """The code a completion gives: the last fenced block in ``language`` (or untagged), else the last
    block of any language, else an unclosed final fence's body, else the whole text.

    >>> extract_code("Here:\\n```python\\ndef f():\\n    return 1\\n```\\nDone.")
    'def f():\\n    return 1\\n'
    >>> extract_code("def g(): pass")
    'def g(): pass'
    """
    blocks = fenced_blocks(text)
    if blocks:
        wanted = {language.lower(), "py" if language and language.lower() == "python" else "", ""} if language else None
        if wanted is not None:
            matching = [code for lang, code in blocks if lang in wanted or lang.startswith(language.lower())]  # type: ignore[union-attr]
            if matching:
                return matching[-1]
        return blocks[-1][1]
    tail = _OPEN_FENCE.search(text)
    if tail is not None:  # a truncated completion: the fence never closed
        return tail.group(3)
    return text
