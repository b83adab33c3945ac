"""Length-bucketed batches: sort by token count, pack under a token budget, pad each batch only to its own max.

Scoring a mixed-length set one batch at a time with dynamic padding wastes little compute on padding,
which is where most of the speed-up over a one-at-a-time loop comes from on CPU and GPU alike.
"""

from __future__ import annotations

GPU_TOKEN_BUDGET = 16384
CPU_TOKEN_BUDGET = 2048


def token_budget(device: str, max_tokens: int | None = None) -> int:
    """Padded tokens per batch: ``max_tokens`` when given, else a budget for the device.

    On CPU the forward is compute-bound and a batch's activations should stay near the cache size (a
    32 x 512-token batch is slower per token than one sequence at a time, measured in bench_models.py);
    on GPU bigger batches fill the device.

    >>> token_budget("cpu"), token_budget("cuda:0"), token_budget("cpu", 512)
    (2048, 16384, 512)
    """
    if max_tokens is not None:
        return max_tokens
    return GPU_TOKEN_BUDGET if device.startswith("cuda") else CPU_TOKEN_BUDGET


def length_buckets(lengths: list[int], max_batch_size: int = 32, max_tokens: int = 16384) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first); each batch's padded size
    (``len(batch) * longest``) stays within ``max_tokens`` unless a single item is longer.

    >>> length_buckets([5, 100, 7, 98, 6], max_batch_size=2)
    [[1, 3], [2, 4], [0]]
    >>> length_buckets([10, 10, 10], max_batch_size=8, max_tokens=20)
    [[0, 1], [2]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        width = max(longest, lengths[i])
        if current and (len(current) + 1 > max_batch_size or (len(current) + 1) * width > max_tokens):
            batches.append(current)
            current, width = [], lengths[i]
        current.append(i)
        longest = width
    if current:
        batches.append(current)
    return batches


def padding_aware_batches(lengths: list[int], max_batch_size: int = 32, call_tokens: int = 32) -> list[list[int]]:
    """Indices split into batches of neighbouring lengths (longest first) that minimise the padded tokens
    plus ``call_tokens`` per batch (the fixed cost of one forward, in tokens); exact, by dynamic programming
    over the sorted lengths. For the continuations of one shared prefix, whose lengths vary widely: one
    padded batch wastes the most compute, one batch each pays the per-call cost every time.

    >>> padding_aware_batches([100, 5, 98, 6])
    [[0, 2], [3, 1]]
    >>> padding_aware_batches([10, 9, 8], call_tokens=1000)
    [[0, 1, 2]]
    >>> padding_aware_batches([10, 9, 2], max_batch_size=2, call_tokens=1000)
    [[0, 1], [2]]
    """
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    n = len(order)
    best = [0.0] + [float("inf")] * n  # best[k]: cost of the first k (longest) items
    cut = [0] * (n + 1)
    for k in range(1, n + 1):
        for j in range(max(0, k - max_batch_size), k):  # batch = order[j:k], its longest is order[j]
            cost = best[j] + call_tokens + (k - j) * lengths[order[j]]
            if cost < best[k]:
                best[k], cut[k] = cost, j
    batches: list[list[int]] = []
    k = n
    while k > 0:
        batches.append(order[cut[k] : k])
        k = cut[k]
    return batches[::-1]
