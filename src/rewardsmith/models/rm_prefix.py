"""Reward-model scoring of samples that share a prompt: the shared tokens run once per group.

The n completions of a GRPO group (or the chosen / rejected pair of a preference row) are read by the reward
model after the same prompt. For a causal reward model (Llama / Qwen / GPT-2 sequence classifiers, most
modern RMs) the prompt's hidden states do not depend on what follows, so the group's longest common token
prefix runs once and its KV cache is repeated across the batch of continuations; the score is pooled
from the continuation's last non-pad token exactly as in a full pass. A bidirectional model (BERT,
DeBERTa) would give different numbers, so each model is probed once: a short sequence scored whole and
through the cache (with a padded second row) must agree, else the model is always scored whole.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from rewardsmith.models.batching import padding_aware_batches
from rewardsmith.models.loading import LoadedModel

MIN_SHARED_TOKENS = 16
#: A group runs its prefix alone (a batch of one, the least efficient shape) and then its rests; the
#: plain length-bucketed path reads every member whole in full batches. Sharing pays when the prefix
#: tokens it saves, ``(n - 1) * P``, exceed what the separate prefix pass costs, about ``P`` tokens at
#: batch-one efficiency: so it needs ``(n - 2) * P >= MIN_SAVED_TOKENS``. A preference pair (n = 2) is
#: scored whole (measured on CPU in bench_models.py: pairs through a shared prefix were 1.5x slower than
#: plain buckets).
MIN_SAVED_TOKENS = 64

_SAFE: dict[int, bool] = {}
_SAFE_LOCK = threading.Lock()


def shared_prefix_len(seqs: list[list[int]]) -> int:
    """Length of the longest common prefix, leaving every sequence at least one token of its own.

    >>> shared_prefix_len([[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 3]])
    2
    >>> shared_prefix_len([[1, 2], [3, 4]])
    0
    """
    if not seqs:
        return 0
    first, n = seqs[0], min(len(s) for s in seqs) - 1
    for k in range(max(n, 0)):
        token = first[k]
        if any(s[k] != token for s in seqs):
            return k
    return max(n, 0)


def _probe_ids(loaded: LoadedModel, n: int = 12) -> list[int]:
    pad = loaded.tokenizer.pad_token_id
    vocab = int(loaded.model.config.vocab_size)
    return [t for t in range(5, 5 + n + 2) if t != pad and t < vocab][:n]


def _prefix_cache(model: Any, prefix: list[int], dev: str) -> Any:
    """The KV cache of one pass over ``prefix``."""
    import torch

    return model(input_ids=torch.tensor([prefix], device=dev), use_cache=True).past_key_values


def _score_rests(model: Any, cache: Any, prefix_len: int, rests: list[list[int]], pad: int, dev: str) -> Any:
    """Logits of ``prefix + rest`` for each rest: the rests right-padded in one batch over a copy of the
    prefix's cache repeated once per row."""
    import torch

    width, P = max(len(r) for r in rests), prefix_len
    ids = torch.full((len(rests), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rests), P + width), dtype=torch.long)
    mask[:, :P] = 1
    for row, rest in enumerate(rests):
        ids[row, : len(rest)] = torch.tensor(rest)
        mask[row, P : P + len(rest)] = 1
    expanded = copy.deepcopy(cache)
    expanded.batch_repeat_interleave(len(rests))
    return model(input_ids=ids.to(dev), attention_mask=mask.to(dev), past_key_values=expanded, use_cache=True).logits


def prefix_reuse_safe(loaded: LoadedModel) -> bool:
    """True when scoring through a shared-prefix cache reproduces whole-sequence scores for this model."""
    import torch

    key = id(loaded.model)
    with _SAFE_LOCK:
        if key in _SAFE:
            return _SAFE[key]
    model, dev = loaded.model, loaded.device
    pad = loaded.tokenizer.pad_token_id
    ids = _probe_ids(loaded)
    ok = False
    if pad is not None and len(ids) >= 10:
        try:
            with torch.inference_mode():
                whole_a = model(input_ids=torch.tensor([ids], device=dev)).logits.float()[0]
                whole_b = model(input_ids=torch.tensor([ids[:9]], device=dev)).logits.float()[0]
                shared = _score_rests(model, _prefix_cache(model, ids[:6], dev), 6, [ids[6:], ids[6:9]], pad, dev).float()
            tol = 1e-3 * (1.0 + float(whole_a.abs().max()))
            ok = bool((shared[0] - whole_a).abs().max() <= tol and (shared[1] - whole_b).abs().max() <= tol)
        except Exception:  # a model whose forward takes no cache, or pools differently: score whole
            ok = False
    with _SAFE_LOCK:
        _SAFE[key] = ok
    return ok


def score_shared_groups(
    loaded: LoadedModel,
    encoded: list[list[int]],
    groups: list[list[int]],
    batch_size: int,
    max_tokens: int,
) -> dict[int, list[float]]:
    """The logits (every label) of the members of each group whose shared leading tokens are worth a
    pass of their own (``MIN_SHARED_TOKENS``, ``MIN_SAVED_TOKENS``); other members are left for the caller
    to batch."""
    import torch

    model, dev = loaded.model, loaded.device
    pad = loaded.tokenizer.pad_token_id
    scores: dict[int, list[float]] = {}
    for members in groups:
        if len(members) < 2:
            continue
        P = shared_prefix_len([encoded[i] for i in members])
        if P < MIN_SHARED_TOKENS or (len(members) - 2) * P < MIN_SAVED_TOKENS:
            continue
        rests = {i: encoded[i][P:] for i in members}
        with torch.inference_mode():
            cache = _prefix_cache(model, encoded[members[0]][:P], dev)
        for bucket in padding_aware_batches([len(rests[i]) for i in members], min(batch_size, max(1, max_tokens // (P + 1)))):
            batch = [members[j] for j in bucket]
            with torch.inference_mode():
                logits = _score_rests(model, cache, P, [rests[i] for i in batch], pad, dev)
            for i, row in zip(batch, logits.float().tolist()):
                scores[i] = row
    return scores
