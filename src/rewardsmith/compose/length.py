"""Length terms: DAPO soft overlong punishment, cosine-scaled length reward, n-gram repetition penalty."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Literal

from rewardsmith.params import NonNegativeInt, PositiveInt
from rewardsmith.registry import reward
from rewardsmith.textunits import spaced_units
from rewardsmith.types import Abstain

Unit = Literal["chars", "words", "tokens"]


@lru_cache(maxsize=4)
def _tokenizer(path: str) -> Any:
    from transformers import AutoTokenizer  # optional extra [models]

    return AutoTokenizer.from_pretrained(path)


def measure(text: str, unit: Unit = "tokens", tokenizer: str | None = None) -> int:
    """Length of ``text`` in chars, whitespace words (a character of Chinese, Japanese or Thai counts as one
    word: those scripts put no spaces between words), or tokens of a local Hugging Face tokenizer.

    >>> measure("a bb ccc", "words"), measure("a bb ccc", "chars"), measure("我们来计算", "words")
    (3, 8, 5)
    """
    if unit == "chars":
        return len(text)
    if unit == "words" or tokenizer is None:
        return len(spaced_units(text))
    return len(_tokenizer(tokenizer)(text, add_special_tokens=False)["input_ids"])


@reward("overlong_penalty", source="DAPO (Yu et al., 2025), soft overlong punishment", executor="inline")
def overlong_penalty(
    completion: str, max_length: PositiveInt = 4096, cache: NonNegativeInt = 1024, unit: Unit = "tokens", tokenizer: str | None = None
) -> float:
    """DAPO soft overlong punishment: 0 up to ``max_length - cache``, then a linear ramp to -1 at ``max_length``,
    and -1 beyond (Yu et al., "DAPO: An Open-Source LLM Reinforcement Learning System at Scale", 2025).
    ``unit="tokens"`` without a ``tokenizer`` counts whitespace words.

    >>> overlong_penalty("x" * 8, max_length=10, cache=5, unit="chars")
    -0.6
    >>> overlong_penalty("x" * 4, max_length=10, cache=5, unit="chars"), overlong_penalty("x" * 11, max_length=10, cache=5, unit="chars")
    (0.0, -1.0)
    """
    n = measure(completion, unit, tokenizer)
    free = max_length - cache
    if n <= free:
        return 0.0
    if n <= max_length:
        return (free - n) / cache
    return -1.0


@reward("cosine_length", source="Yeo et al., 2025, 'Demystifying Long Chain-of-Thought Reasoning in LLMs' (cosine reward)", executor="inline")
def cosine_length(
    completion: str,
    components: dict[str, Any],
    correct_component: str = "correct",
    threshold: float = 1.0,
    max_length: PositiveInt = 4096,
    correct_short: float = 2.0,
    correct_long: float = 1.0,
    wrong_short: float = -10.0,
    wrong_long: float = 0.0,
    exceed: float = -10.0,
    unit: Unit = "tokens",
    tokenizer: str | None = None,
) -> float:
    """Cosine-scaled length reward (Yeo et al., "Demystifying Long Chain-of-Thought Reasoning in LLMs", 2025):
    correct answers earn more when short, wrong ones are penalised less when long (keep thinking), and
    exceeding ``max_length`` costs ``exceed``. Correctness comes from another component of the spec.

    >>> cosine_length("a " * 50, {"correct": 1.0}, max_length=100, unit="words")
    1.5
    >>> cosine_length("a " * 50, {"correct": 0.0}, max_length=100, unit="words")
    -5.0
    """
    if correct_component not in components:
        raise ValueError(f"cosine_length needs the component {correct_component!r} earlier in the spec")
    correct_value = components[correct_component]
    if correct_value is None:
        raise Abstain(f"component {correct_component!r} has no value")
    n = measure(completion, unit, tokenizer)
    if n >= max_length:
        return exceed
    hi, lo = (correct_short, correct_long) if correct_value >= threshold else (wrong_short, wrong_long)
    return lo + 0.5 * (hi - lo) * (1.0 + math.cos(math.pi * n / max_length))


@reward("repetition", source="Yeo et al., 2025 (n-gram repetition penalty); also 'The Climb Carves Wisdom Deeper Than the Summit'", executor="inline")
def repetition(
    completion: str, n: PositiveInt = 3, max_penalty: float = -1.0, unit: Literal["words", "chars"] = "words"
) -> float:
    """N-gram repetition penalty: ``max_penalty * (1 - distinct n-grams / total n-grams)``; 0 for text with
    fewer than n units (Yeo et al., "Demystifying Long Chain-of-Thought Reasoning in LLMs", 2025). Words are
    split at spaces, and text in scripts without spaces (Chinese, Japanese, Thai) counts one unit per character.

    >>> repetition("a b c a b c a b c", n=3)
    -0.5714285714285714
    >>> repetition("the cat sat on the mat", n=3)
    0.0
    >>> round(repetition("我们来计算一下" * 200), 3)
    -0.995
    """
    units = spaced_units(completion.lower()) if unit == "words" else list(completion)
    total = len(units) - n + 1
    if total <= 0:
        return 0.0
    grams = {tuple(units[i : i + n]) for i in range(total)}
    return max_penalty * (1.0 - len(grams) / total) + 0.0  # no -0.0
