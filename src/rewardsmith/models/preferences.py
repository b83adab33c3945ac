"""Preference pairs from a file: ``prompt`` + ``chosen`` / ``rejected``, or two full dialogues (hh-rlhf).

hh-rlhf rows hold two whole dialogues that share every turn but the last assistant reply; the shared
part up to the last ``\\n\\nAssistant:`` is the prompt and the two replies are the responses.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from rewardsmith.types import completion_text, prompt_text

_TURN = "\n\nAssistant:"


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """One human preference: ``chosen`` beat ``rejected`` as replies to ``prompt`` (optional ``margin``)."""

    prompt: str
    chosen: str
    rejected: str
    margin: float = 0.0


def split_dialogues(chosen: str, rejected: str) -> PreferencePair:
    """The shared prompt of two dialogues (up to the last assistant turn marker) and the two replies.

    >>> p = split_dialogues("\\n\\nHuman: hi\\n\\nAssistant: hello", "\\n\\nHuman: hi\\n\\nAssistant: go away")
    >>> (p.prompt, p.chosen, p.rejected)
    ('\\n\\nHuman: hi\\n\\nAssistant:', ' hello', ' go away')
    """
    cut = chosen.rfind(_TURN)
    while cut >= 0:
        head = chosen[: cut + len(_TURN)]
        if rejected.startswith(head):
            return PreferencePair(head, chosen[len(head) :], rejected[len(head) :])
        cut = chosen.rfind(_TURN, 0, cut)
    return PreferencePair("", chosen, rejected)


def pair_from_row(row: dict[str, Any]) -> PreferencePair:
    """A pair from ``{prompt?, chosen, rejected, margin?}``; text or chat messages on each side."""
    if "chosen" not in row or "rejected" not in row:
        raise ValueError(f"a preference row needs 'chosen' and 'rejected' (got keys {sorted(row)})")
    chosen, rejected = completion_text(row["chosen"]), completion_text(row["rejected"])
    margin = float(row.get("margin", 0.0) or 0.0)
    if row.get("prompt") is None:
        pair = split_dialogues(chosen, rejected)
        return PreferencePair(pair.prompt, pair.chosen, pair.rejected, margin)
    return PreferencePair(prompt_text(row["prompt"]), chosen, rejected, margin)


def read_pairs(path: str | Path, limit: int | None = None) -> Iterator[PreferencePair]:
    """Pairs from a JSONL file (``.gz`` read transparently)."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    with opener(p, "rt", encoding="utf-8") as fh:  # type: ignore[operator]
        n = 0
        for line_no, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield pair_from_row(json.loads(line))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{p}:{line_no}: {exc}") from None
            n += 1
            if limit is not None and n >= limit:
                return


def train_heldout_split(
    pairs: list[PreferencePair], heldout: float = 0.2, seed: int = 0
) -> tuple[list[PreferencePair], list[PreferencePair]]:
    """A seeded shuffle split into (train, held-out).

    >>> pairs = [PreferencePair("", str(i), "x") for i in range(10)]
    >>> train, test = train_heldout_split(pairs, 0.3)
    >>> len(train), len(test), set(train).isdisjoint(test)
    (7, 3, True)
    """
    order = list(pairs)
    random.Random(seed).shuffle(order)
    n_test = int(round(len(order) * heldout))
    return order[n_test:], order[:n_test]
