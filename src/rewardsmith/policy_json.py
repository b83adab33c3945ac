"""JSON read from text a policy wrote: anything that does not parse is a ``ValueError``, nothing else.

``json.loads`` raises ``RecursionError`` on arrays nested past the interpreter's limit (``"[" * 5000``), which
the engine would report as an infrastructure ``error`` and a trainer would mask: a policy could turn its own
zero into no signal at all. Every reader of completion JSON goes through here, so such text is simply
"not JSON", the reward's ordinary zero.
"""

from __future__ import annotations

import json
from typing import Any

_DECODER = json.JSONDecoder()


def loads(text: str) -> Any:
    """``json.loads`` where nesting too deep to decode is a ``ValueError`` like any other malformed text.

    >>> loads('{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> try:
    ...     loads("[" * 100_000)
    ... except ValueError as e:
    ...     print(type(e).__name__)
    ValueError
    """
    try:
        return json.loads(text)
    except RecursionError as e:
        raise ValueError("JSON nested too deeply") from e


def raw_decode(text: str, index: int = 0) -> tuple[Any, int]:
    """``JSONDecoder().raw_decode`` (one value starting at ``index`` and where it ends), same rule as :func:`loads`.

    >>> raw_decode('x = {"k": 1} rest', 4)
    ({'k': 1}, 12)
    """
    try:
        return _DECODER.raw_decode(text, index)
    except RecursionError as e:
        raise ValueError("JSON nested too deeply") from e
