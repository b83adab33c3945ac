"""Word units of text in any script: runs of letters and digits between spaces and punctuation, and single
characters of the scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
Myanmar), so a Chinese paragraph is many units, not one "word".
"""

from __future__ import annotations

import re

# Han (with extensions and compatibility ideographs), kana, Thai, Lao, Myanmar, Khmer.
_UNSPACED = (
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff"
    "\u1000-\u109f\u1780-\u17ff\U00020000-\U0003134f"
)
_WORD_UNIT = re.compile(rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+")
_SPACED_UNIT = re.compile(rf"[{_UNSPACED}]|[^\s{_UNSPACED}]+")


def word_units(text: str) -> list[str]:
    """Words (runs of letters and digits; punctuation dropped) and single characters of unspaced scripts.

    >>> word_units("Let's add 2+2: 我们来计算")
    ['Let', 's', 'add', '2', '2', '我', '们', '来', '计', '算']
    """
    return _WORD_UNIT.findall(text)


def spaced_units(text: str) -> list[str]:
    """Whitespace-separated pieces (punctuation kept), with unspaced scripts split into characters.

    >>> spaced_units("x = 2, 我们来")
    ['x', '=', '2,', '我', '们', '来']
    """
    return _SPACED_UNIT.findall(text)
