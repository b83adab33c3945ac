"""Reward-model scoring of samples that share a prompt: the shared tokens run once per group.

The n completions of a GRPO group (or the chosen / rejected pair of a preference row) are read by the reward
model after the same prompt. For a causal reward model (Llama / Qwen / GPT-2 sequence classifiers, most
modern RMs) the prompt's hidden states do not depend on what follows, so each group's longest common token
prefix runs once: the prefixes of many groups in one batched pass (right-padded), then the continuations
in batches of their own, each row attending to its group's cache row with position ids that go on from
its prefix's length; the score is pooled from the continuation's last non-pad token as in a whole pass. A
bidirectional model (BERT, DeBERTa) would give different numbers, so each model is probed once (two
prefixes of different lengths, three continuations, one padded: cached scores must equal whole passes),
else the model is always scored whole.
"""

from __future__ import annotations

import copy
import threading
import weakref
from typing import Any

from rewardsmith.models.batching import length_buckets, padding_aware_batches
from rewardsmith.models.loading import LoadedModel

MIN_SHARED_TOKENS = 16
#: A group is read through its shared prefix when that saves at least this many tokens, ``(n - 1) * P``
#: (the prefixes of many groups run in one batched pass, so even a chosen/rejected pair gains).
MIN_SAVED_TOKENS = 32

_SAFE: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()  # per model object
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


def _prefix_caches(model: Any, prefixes: list[list[int]], pad: int, dev: str) -> Any:
    """One batched pass over several prefixes, right-padded to the longest: the KV cache, a row per prefix
    (the padded positions hold values no later token is allowed to attend to)."""
    import torch

    width = max(len(p) for p in prefixes)
    ids = torch.full((len(prefixes), width), pad, dtype=torch.long)
    mask = torch.zeros((len(prefixes), width), dtype=torch.long)
    for row, prefix in enumerate(prefixes):
        ids[row, : len(prefix)] = torch.tensor(prefix)
        mask[row, : len(prefix)] = 1
    return model(input_ids=ids.to(dev), attention_mask=mask.to(dev), use_cache=True).past_key_values


def _score_rests(
    model: Any, caches: Any, prefix_lens: list[int], rows: list[int], rests: list[list[int]], pad: int, dev: str
) -> Any:
    """Logits of ``prefix + rest`` for each rest, whose prefix is row ``rows[j]`` of ``caches`` (of length
    ``prefix_lens[rows[j]]``): the rests right-padded in one batch, each attending to its own prefix's
    positions and continuing its position ids."""
    import torch

    width, span = max(len(r) for r in rests), max(prefix_lens)
    ids = torch.full((len(rests), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rests), span + width), dtype=torch.long)
    positions = torch.zeros((len(rests), width), dtype=torch.long)
    for j, (row, rest) in enumerate(zip(rows, rests)):
        P = prefix_lens[row]
        ids[j, : len(rest)] = torch.tensor(rest)
        mask[j, :P] = 1
        mask[j, span : span + len(rest)] = 1
        positions[j] = torch.arange(P, P + width)
    selected = copy.deepcopy(caches)
    selected.reorder_cache(torch.tensor(rows, dtype=torch.long))
    return model(
        input_ids=ids.to(dev), attention_mask=mask.to(dev), position_ids=positions.to(dev),
        past_key_values=selected, use_cache=True,
    ).logits


def prefix_reuse_safe(loaded: LoadedModel) -> bool:
    """True when scoring through a shared-prefix cache reproduces whole-sequence scores for this model."""
    import torch

    key = loaded.model
    with _SAFE_LOCK:
        if key in _SAFE:
            return _SAFE[key]
    model, dev = loaded.model, loaded.device
    pad = loaded.tokenizer.pad_token_id
    ids = _probe_ids(loaded)
    ok = False
    if pad is not None and len(ids) >= 10:
        other = ids[::-1]
        # two prefixes of different lengths in one pass; rests of different lengths, one padded, in another
        wholes = [ids, ids[:9], other[:7]]
        try:
            with torch.inference_mode():
                want = [model(input_ids=torch.tensor([w], device=dev)).logits.float()[0] for w in wholes]
                caches = _prefix_caches(model, [ids[:6], other[:4]], pad, dev)
                got = _score_rests(model, caches, [6, 4], [0, 0, 1], [ids[6:], ids[6:9], other[4:7]], pad, dev).float()
            rel = 1e-3 if loaded.dtype == torch.float32 else 3e-2  # bf16/fp16 on GPU: batched sums round apart
            tol = rel * (1.0 + max(float(w.abs().max()) for w in want))
            ok = all(bool((g - w).abs().max() <= tol) for g, w in zip(got, want))
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
    """The logits (every label) of the members of each group whose shared leading tokens are worth it
    (``MIN_SHARED_TOKENS``, ``MIN_SAVED_TOKENS``); other members are left for the caller to batch.

    Groups are packed by prefix length: one batched pass over a pack's prefixes, then its members' rests in
    batches that minimise padding (``padding_aware_batches``), each row over its own prefix's cache row."""
    import torch

    model, dev = loaded.model, loaded.device
    pad = loaded.tokenizer.pad_token_id
    plans: list[tuple[list[int], int]] = []
    for members in groups:
        P = shared_prefix_len([encoded[i] for i in members]) if len(members) > 1 else 0
        if P >= MIN_SHARED_TOKENS and (len(members) - 1) * P >= MIN_SAVED_TOKENS:
            plans.append((members, P))
    scores: dict[int, list[float]] = {}
    for pack in length_buckets([P for _, P in plans], batch_size, max_tokens):
        prefix_lens = [plans[g][1] for g in pack]
        rows = [(row, i) for row, g in enumerate(pack) for i in plans[g][0]]
        with torch.inference_mode():
            caches = _prefix_caches(model, [encoded[plans[g][0][0]][: plans[g][1]] for g in pack], pad, dev)
        rests = [encoded[i][prefix_lens[row]:] for row, i in rows]
        for batch in padding_aware_batches([len(r) for r in rests], batch_size):
            with torch.inference_mode():
                logits = _score_rests(model, caches, prefix_lens, [rows[j][0] for j in batch], [rests[j] for j in batch], pad, dev)
            for j, values in zip(batch, logits.float().tolist()):
                scores[rows[j][1]] = values
    return scores
