"""Reasoning-pattern and language rewards: key reasoning phrases, response language matches the prompt's.

(The n-gram ``repetition`` penalty lives in ``rewardsmith.compose.length``.)
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from rewardsmith.registry import reward
from rewardsmith.types import Abstain, RewardResult

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
    completion: str, phrases: list[str] | None = None, target: int = 3, distinct: bool = True
) -> RewardResult:
    """Reasoning-pattern reward ("The Climb Carves Wisdom Deeper Than the Summit: On the Noisy Rewards in
    Learning to Reason", 2025): reward the use of key reasoning phrases ("first, I need to", "let me",
    "verify", "alternatively" ...), ``min(1, found / target)``, counting each phrase once when ``distinct``.
    Phrases match case-insensitively on word boundaries.

    >>> reasoning_phrases("First, I need to add. Let me verify: 2+2=4. Therefore 4.").value
    1.0
    >>> reasoning_phrases("4").value
    0.0
    """
    wanted = [p.lower() for p in (phrases or DEFAULT_PHRASES)]
    text = completion.lower()
    counts = {p: len(re.findall(rf"(?<!\w){re.escape(p)}(?!\w)", text)) for p in wanted}
    found = sum(1 for c in counts.values() if c) if distinct else sum(counts.values())
    hits = sorted(p for p, c in counts.items() if c)
    return RewardResult.ok(min(1.0, found / max(1, target)), info={"phrases": hits}, reason=None if hits else "no reasoning phrase")


# Unicode scripts by the first word of the character name (fast, no dependency).
_SCRIPT_PREFIXES = {
    "LATIN": "Latin",
    "CJK": "Han",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "HANGUL": "Hangul",
    "CYRILLIC": "Cyrillic",
    "GREEK": "Greek",
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "DEVANAGARI": "Devanagari",
    "THAI": "Thai",
    "BENGALI": "Bengali",
    "TAMIL": "Tamil",
    "GEORGIAN": "Georgian",
    "ARMENIAN": "Armenian",
}
_STRIP = re.compile(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^<>]+>|https?://\S+", re.DOTALL)  # [^<>]: linear on many "<"


def script_counts(text: str, limit: int = 20000) -> Counter[str]:
    """Letters per writing system, ignoring code, LaTeX, tags and URLs.

    >>> dict(script_counts("Hello мир"))
    {'Latin': 5, 'Cyrillic': 3}
    """
    counts: Counter[str] = Counter()
    for ch in _STRIP.sub(" ", text[:limit]):
        if not ch.isalpha():
            continue
        if ch.isascii():
            counts["Latin"] += 1
            continue
        name = unicodedata.name(ch, "")
        first = name.split(" ", 1)[0]
        script = _SCRIPT_PREFIXES.get(first)
        if script is not None:
            counts[script] += 1
    return counts


@reward("language_consistency", source="DeepSeek-AI, 2025, 'DeepSeek-R1' (language consistency reward)", executor="inline")
def language_consistency(prompt: str, completion: str, language: str | None = None) -> RewardResult:
    """DeepSeek-R1's language-consistency reward: the share of the completion's letters written in the
    prompt's main script (or ``language``, a script name such as "Latin", "Han", "Cyrillic"). Scripts, not
    languages: English and French both count as Latin. Abstains when the prompt has no letters; a
    completion without letters gets 0.

    >>> language_consistency("What is 2+2?", "It is four.").value
    1.0
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
