"""Reasoning-pattern and language rewards: key reasoning phrases, response language matches the prompt's.

(The n-gram ``repetition`` penalty lives in ``rewardsmith.compose.length``.)
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from rewardsmith.params import NonNegativeInt, PositiveInt
from rewardsmith.textunits import word_units
from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult
from rewardsmith.verifiers.answers import straight_apostrophes

#: Key phrases of planning, verification and reflection (cf. "The Climb Carves Wisdom Deeper Than the Summit").
DEFAULT_PHRASES: tuple[str, ...] = (
    "first, i need to",
    "let me",
    "let's",
    "step by step",
    "wait",
    "verify",
    "double-check",
    "check",
    "alternatively",
    "on the other hand",
    "however",
    "therefore",
    "so the answer",
    "this means",
    "in summary",
)


@reward(
    "reasoning_phrases",
    source="'The Climb Carves Wisdom Deeper Than the Summit: On the Noisy Rewards in Learning to Reason' (reasoning pattern reward)",
    executor="inline",
)
def reasoning_phrases(
    completion: str,
    phrases: list[str] | None = None,
    target: PositiveInt = 3,
    distinct: bool = True,
    min_words: NonNegativeInt = 2,
) -> RewardResult:
    """Reasoning-pattern reward ("The Climb Carves Wisdom Deeper Than the Summit: On the Noisy Rewards in
    Learning to Reason", 2025): reward the use of key reasoning phrases ("first, I need to", "let me",
    "verify", "alternatively" ...), ``min(1, found / target)``, counting each phrase once when ``distinct``.
    Phrases match case-insensitively on word boundaries; typographic apostrophes read as ``'`` ("Let’s").

    A phrase counts only when reasoning follows it: at least ``min_words`` words before the next key phrase
    (or the end), so a bare list of the phrases ("let me wait verify therefore") earns nothing. It remains
    a shaping term, not a check of the reasoning: text after each phrase satisfies it, so keep its weight
    small next to an outcome reward (``min_words: 0`` is the paper's plain count).

    >>> reasoning_phrases("First, I need to add them. Let me verify: 2+2=4. Therefore the sum is 4.").value
    1.0
    >>> reasoning_phrases("4").value, reasoning_phrases("Let’s see it.", target=1).value
    (0.0, 1.0)
    >>> r = reasoning_phrases("let me wait verify therefore"); r.value, r.reason
    (0.0, 'key phrases without reasoning after them (let me, therefore, verify, wait)')
    """
    wanted = sorted(dict.fromkeys(straight_apostrophes(p.lower()) for p in (phrases or DEFAULT_PHRASES)), key=len, reverse=True)
    text = straight_apostrophes(completion.lower())
    marks = list(_phrase_pattern(tuple(wanted)).finditer(text)) if wanted else []
    counts: Counter[str] = Counter()
    bare: set[str] = set()
    for k, m in enumerate(marks):
        after = text[m.end() : marks[k + 1].start() if k + 1 < len(marks) else len(text)]
        if len(word_units(after)) >= min_words:
            counts[m.group(0)] += 1
        else:
            bare.add(m.group(0))
    found = len(counts) if distinct else sum(counts.values())
    hits = sorted(counts)
    reason = None
    if not hits:
        reason = f"key phrases without reasoning after them ({', '.join(sorted(bare))})" if bare else "no reasoning phrase"
    return RewardResult.ok(min(1.0, found / max(1, target)), info={"phrases": hits}, reason=reason)


@lru_cache(maxsize=64)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of the phrases (longest first), each on word boundaries."""
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in phrases) + r")(?!\w)")


# Writing systems whose Unicode character names do not start with the script's own name.
_SCRIPT_PREFIXES = {"CJK": "Han", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "HANGUL": "Hangul"}
# Name prefixes that are not a script: a width or a style of another script's letter.
_NOT_A_SCRIPT = frozenset({"FULLWIDTH", "HALFWIDTH", "MATHEMATICAL", "MODIFIER", "SUPERSCRIPT", "SUBSCRIPT"})
_STRIP = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^<>]+>|https?://\S+", re.DOTALL)


@lru_cache(maxsize=8192)
def script_of(ch: str) -> str | None:
    """The writing system of one letter, from its Unicode name ("TELUGU LETTER KA" -> "Telugu").

    >>> script_of("a"), script_of("న"), script_of("字"), script_of("か"), script_of("Ａ")
    ('Latin', 'Telugu', 'Han', 'Japanese', 'Latin')
    """
    if ch.isascii():
        return "Latin"
    words = unicodedata.name(ch, "").split()
    while words and words[0] in _NOT_A_SCRIPT:
        words = words[1:] if words[0] in ("FULLWIDTH", "HALFWIDTH") else []
    if not words:
        return None
    return _SCRIPT_PREFIXES.get(words[0], words[0].title())


def script_counts(text: str, limit: int = 20000) -> Counter[str]:
    """Letters per writing system (any script Unicode names), ignoring code, LaTeX, tags and URLs.

    >>> dict(script_counts("Hello мир"))
    {'Latin': 5, 'Cyrillic': 3}
    """
    counts: Counter[str] = Counter()
    for ch in _STRIP.sub(" ", text[:limit]):
        if ch.isalpha():
            script = script_of(ch)
            if script is not None:
                counts[script] += 1
    return counts


@reward("language_consistency", source="DeepSeek-AI, 2025, 'DeepSeek-R1' (language consistency reward)", executor="inline")
def language_consistency(prompt: str, completion: str, language: str | None = None) -> RewardResult:
    """DeepSeek-R1's language-consistency reward: the share of the completion's letters written in the
    prompt's main script (or ``language``, a script name such as "Latin", "Han", "Cyrillic", "Telugu": every
    script Unicode names). Scripts, not languages: English and French both count as Latin. Abstains when
    the prompt has no letters; a completion without letters gets 0.

    >>> language_consistency("What is 2+2?", "It is four.").value
    1.0
    >>> language_consistency("మీ పేరు ఏమిటి?", "నా పేరు రాము.").value, language_consistency("మీ పేరు ఏమిటి?", "Ramu").value
    (1.0, 0.0)
    >>> language_consistency("2+2等于几?", "It is 4, 也就是四.").value
    0.5
    """
    if language is None:
        prompt_scripts = script_counts(prompt)
        if not prompt_scripts:
            raise Abstain("prompt has no letters to tell its language")
        language = prompt_scripts.most_common(1)[0][0]
        if language == "Han" and prompt_scripts.get("Japanese"):
            language = "Japanese"
    counts = script_counts(completion)
    total = sum(counts.values())
    if not total:
        return RewardResult.ok(0.0, reason="completion has no letters")
    same = counts[language] + (counts["Han"] if language == "Japanese" else 0)
    return RewardResult.ok(same / total, info={"language": language})
