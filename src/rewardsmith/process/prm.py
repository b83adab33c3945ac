"""Process reward models: a score per step, read at a step-separator token, then aggregated.

Two common formats: ``lm_tokens`` (Math-Shepherd: a causal LM whose logits at each step tag put mass on
a "good" vs a "bad" token; step score = softmax over the two) and ``token_classification`` (a two-label
token classifier read at each separator, as in Qwen2.5-Math-PRM-style heads). Aggregation: ``min``
(PURE, "Stop Summation: Min-Form Credit Assignment Is All Process Reward Model Needs"), ``product``,
``last``, ``mean``; the first step under ``threshold`` is reported for ProcessBench-style evaluation.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from rewardsmith.models.batching import length_buckets, token_budget
from rewardsmith.models.likelihood import prompt_prefix
from rewardsmith.models.loading import LoadedModel, load_model
from rewardsmith.params import NonNegativeInt, PositiveInt
from rewardsmith.process.steps import SplitMode, steps_of
from rewardsmith.registry import reward
from rewardsmith.types import RewardResult, Step

PRMFormat = Literal["lm_tokens", "token_classification"]
PRMAggregate = Literal["min", "product", "last", "mean"]


def aggregate_step_scores(scores: list[float], how: PRMAggregate) -> float:
    """Combine step scores in [0, 1].

    >>> [round(aggregate_step_scores([0.9, 0.5, 0.8], h), 4) for h in ("min", "product", "last", "mean")]
    [0.5, 0.36, 0.8, 0.7333]
    """
    if not scores:
        raise ValueError("no steps to aggregate")
    if how == "min":
        return min(scores)
    if how == "product":
        return math.prod(scores)
    if how == "last":
        return scores[-1]
    if how == "mean":
        return sum(scores) / len(scores)
    raise ValueError(f"unknown aggregate {how!r} (min, product, last, mean)")


def first_error_step(scores: list[float], threshold: float = 0.5) -> int:
    """Index of the first step scored below ``threshold``; -1 when every step passes (ProcessBench).

    >>> first_error_step([0.9, 0.4, 0.1]), first_error_step([0.9, 0.8])
    (1, -1)
    """
    return next((i for i, s in enumerate(scores) if s < threshold), -1)


def single_token(tokenizer: Any, text: str, what: str) -> int:
    """The id of ``text`` when it is exactly one token, else a clear error."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if len(ids) != 1:
        raise ValueError(f"{what} {text!r} is {len(ids)} tokens for this tokenizer; it must be exactly one token")
    return int(ids[0])


def _encode(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"]) if text else []


def build_prm_input(
    tokenizer: Any, prompt: str, steps: list[str], tag_id: int, step_join: str = " ", after_tag: str = "\n"
) -> tuple[list[int], list[int]]:
    """Token ids of ``prompt + step_1 <tag> ... step_n <tag>`` and the positions of the n tags."""
    ids = _encode(tokenizer, prompt_prefix(prompt))
    positions: list[int] = []
    tail = _encode(tokenizer, after_tag)
    for step in steps:
        ids += _encode(tokenizer, step + step_join)
        positions.append(len(ids))
        ids.append(tag_id)
        ids += tail
    return ids, positions


def score_prm(
    loaded: LoadedModel,
    fmt: PRMFormat,
    items: list[tuple[list[int], list[int]]],
    good_id: int | None,
    bad_id: int | None,
    good_label: int,
    batch_size: int,
) -> list[list[float]]:
    """Per-step P(good) for each (ids, tag positions) item, in length-bucketed batches."""
    import torch

    tok, model = loaded.tokenizer, loaded.model
    out: list[list[float]] = [[] for _ in items]
    for bucket in length_buckets([len(ids) for ids, _ in items], batch_size, token_budget(str(loaded.device))):
        padded = tok.pad({"input_ids": [items[i][0] for i in bucket]}, return_tensors="pt", padding_side="right")
        padded = {k: v.to(loaded.device) for k, v in padded.items()}
        with torch.inference_mode():
            logits = model(**padded).logits.float()
        for row, i in enumerate(bucket):
            at = logits[row, items[i][1]]
            if fmt == "lm_tokens":
                pair = torch.stack([at[:, good_id], at[:, bad_id]], dim=-1)
                probs = torch.softmax(pair, dim=-1)[:, 0]
            else:
                probs = torch.softmax(at, dim=-1)[:, good_label]
            out[i] = probs.tolist()
    return out


@reward("prm", source="Math-Shepherd (Wang et al. 2024) step-tag PRMs; PURE min-form credit (Cheng et al. 2025); ProcessBench",
        per="batch", executor="thread", timeout=600.0)
def prm(
    prompts: list[str],
    completions: list[str],
    steps_list: list[list[Step] | None],
    model: str,
    format: PRMFormat = "lm_tokens",
    step_tag: str = " ки",
    good_token: str = "+",
    bad_token: str = "-",
    good_label: NonNegativeInt = 1,
    aggregate: PRMAggregate = "min",
    threshold: float = 0.5,
    split: SplitMode = "double_newline",
    pattern: str | None = None,
    max_length: PositiveInt | None = None,
    batch_size: PositiveInt = 16,
    device: str = "auto",
    dtype: str = "auto",
) -> list[RewardResult]:
    """Score each step with a process reward model and aggregate (min by default, after PURE).

    ``format: lm_tokens``: a causal LM; at each ``step_tag`` the two logits of ``good_token`` / ``bad_token``
    give P(good) (Math-Shepherd). ``format: token_classification``: a token classifier; P(``good_label``) at
    each tag. ``step_values`` are the step scores; ``info.first_error_step`` is the first step under
    ``threshold`` (-1: none). Steps: the row's ``steps``, else the completion split by ``split``.

    >>> prm([], [], [], model="/unused")
    []
    """
    if not prompts:
        return []
    kind = "causal_lm" if format == "lm_tokens" else "token_classification"
    loaded = load_model(model, kind, device, dtype)  # type: ignore[arg-type]
    tok = loaded.tokenizer
    tag_id = single_token(tok, step_tag, "step_tag")
    good_id = single_token(tok, good_token, "good_token") if format == "lm_tokens" else None
    bad_id = single_token(tok, bad_token, "bad_token") if format == "lm_tokens" else None
    limit = min(max_length or loaded.max_length, loaded.max_length)
    out: list[RewardResult | None] = [None] * len(prompts)
    items: list[tuple[list[int], list[int]]] = []
    which: list[int] = []
    reasons: dict[int, str] = {}
    for i, (p, c, st) in enumerate(zip(prompts, completions, steps_list)):
        steps = steps_of(c, st, split, pattern)
        if not steps:
            out[i] = RewardResult.abstain("no steps")
            continue
        ids, pos = build_prm_input(tok, p, steps, tag_id)
        if len(ids) > limit:
            cut = len(ids) - limit
            prompt_len = pos[0] - len(_encode(tok, steps[0] + " "))
            if cut > prompt_len:
                out[i] = RewardResult.error(f"{len(ids)} tokens: the steps alone exceed the PRM's limit of {limit}")
                continue
            ids, pos = ids[cut:], [q - cut for q in pos]
            reasons[i] = f"prompt cut by {cut} tokens to fit {limit}"
        items.append((ids, pos))
        which.append(i)
    scores = score_prm(loaded, format, items, good_id, bad_id, good_label, batch_size) if items else []
    for i, s in zip(which, scores):
        fe = first_error_step(s, threshold)
        comps = {"steps": float(len(s)), "first_error_step": float(fe)}
        out[i] = RewardResult.ok(aggregate_step_scores(s, aggregate), comps, reasons.get(i), step_values=s,
                                 info={"first_error_step": fe})
    return [r if r is not None else RewardResult.error("internal: not scored") for r in out]
