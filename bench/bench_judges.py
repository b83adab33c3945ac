"""Benchmark of the LLM judges (issue 5). Run alone: ``.venv/bin/python bench/bench_judges.py [--quick]``.

1. Throughput against the scripted OpenAI server (a subprocess) with 100 ms injected latency, through the
   engine and ``judge_score``, judge concurrency 64. Anchor: the limit concurrency / latency = 640 calls/s
   (target >= 90 %).
2. Per-call client overhead: the whole ``judge_score`` path (guard, prompt, operations, httpx, parsing) on
   an in-memory httpx transport, minus a bare httpx POST on the same transport (target < 2 ms).
3. Cache-hit path: a batch already in the engine cache, scored again (target >= 20,000 results/s).
4. Embedded SmolLM2-135M judge: calls/s for ``judge_yes_prob`` (1 token) and ``judge_score``
   (prefilled JSON), against bare ``model.generate`` of the same prompt as the anchor.

Writes bench/results/judges.md with the date and machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
    os.environ.pop(var, None)

import httpx  # noqa: E402

from rewardsmith.judges.config import judge_config  # noqa: E402
from rewardsmith.judges.operations import client_for, reset_clients  # noqa: E402
from rewardsmith.spec import load_spec  # noqa: E402
from rewardsmith.testing.openai_server import ScriptedOpenAIProcess  # noqa: E402

REPLY = '{"explanation": "ok", "score": 7}'
QUESTION = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether?"
RESULTS = Path(__file__).parent / "results" / "judges.md"


def spec_for(params: dict[str, Any]) -> Any:
    return load_spec({"name": "bench-judge", "components": [{"name": "j", "reward": "judge_score", "params": params}]})


def rows(n: int, tag: str) -> list[dict[str, Any]]:
    return [{"prompt": QUESTION, "completion": f"{tag}: the answer is {i}."} for i in range(n)]


def bench_throughput(n: int, concurrency: int = 64, latency: float = 0.1) -> dict[str, Any]:
    with ScriptedOpenAIProcess(REPLY, delay=latency) as srv:
        params = {"base_url": srv.base_url, "model": "m", "concurrency": concurrency, "max_retries": 0}
        spec = spec_for(params)
        engine = spec.engine(cache=False, concurrency=concurrency * 2)
        engine.score(rows(concurrency, "warm"))  # connections open, code warm
        start = time.perf_counter()
        results = engine.score(rows(n, "run"))
        elapsed = time.perf_counter() - start
        spec.close()
        ok = sum(r.is_ok for r in results)
    limit = concurrency / latency
    achieved = n / elapsed
    return {"calls": n, "ok": ok, "seconds": elapsed, "calls_per_s": achieved, "limit": limit, "ratio": achieved / limit}


def _canned_transport() -> httpx.MockTransport:
    body = json.dumps(
        {"id": "x", "object": "chat.completion", "model": "m",
         "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
         "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}}
    ).encode()
    return httpx.MockTransport(lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"}))


def bench_overhead(n: int) -> dict[str, Any]:
    from rewardsmith.judges.kinds.score import judge_score

    params = {"base_url": "http://judge.invalid/v1", "model": "m", "max_retries": 0}
    reset_clients()
    client = client_for(judge_config(params))
    client.backends[0].transport = _canned_transport()  # type: ignore[attr-defined]

    async def full() -> float:
        await judge_score(QUESTION, "warm-up 72", **params)
        start = time.perf_counter()
        for i in range(n):
            r = await judge_score(QUESTION, f"The answer is {i}.", **params)
            assert r.is_ok, r.reason
        return (time.perf_counter() - start) / n

    async def bare() -> float:
        async with httpx.AsyncClient(base_url="http://judge.invalid/v1", transport=_canned_transport()) as c:
            payload = {"model": "m", "messages": [{"role": "user", "content": QUESTION}]}
            start = time.perf_counter()
            for _ in range(n):
                (await c.post("/chat/completions", json=payload)).json()
            return (time.perf_counter() - start) / n

    per_full = asyncio.run(full())
    per_bare = asyncio.run(bare())
    reset_clients()
    return {"calls": n, "full_ms": per_full * 1e3, "bare_httpx_ms": per_bare * 1e3, "overhead_ms": (per_full - per_bare) * 1e3}


def bench_cache(n: int) -> dict[str, Any]:
    params = {"base_url": "http://judge.invalid/v1", "model": "m", "max_retries": 0, "concurrency": 256}
    reset_clients()
    client_for(judge_config(params)).backends[0].transport = _canned_transport()  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        spec = spec_for(params)
        engine = spec.engine(cache=str(Path(tmp) / "cache.sqlite"), concurrency=256)
        batch = rows(n, "cached")
        first = engine.score(batch)
        assert all(r.is_ok for r in first), first[0].reason
        times = []
        for _ in range(3):
            start = time.perf_counter()
            again = engine.score(batch)
            times.append(time.perf_counter() - start)
        assert [r.value for r in again] == [r.value for r in first]
        calls = client_for(judge_config(params)).ledger.calls
        spec.close()
    reset_clients()
    best = min(times)
    return {"results": n, "judge_calls": calls, "seconds": best, "results_per_s": n / best}


def bench_embedded(n: int) -> dict[str, Any]:
    from rewardsmith.judges.backends.local import embedded_gguf, load_model
    from rewardsmith.judges.kinds.score import judge_score
    from rewardsmith.judges.kinds.yes_prob import judge_yes_prob

    reset_clients()
    folder, name = embedded_gguf()
    start = time.perf_counter()
    model, tokenizer, _ = load_model(str(folder), name)
    load_s = time.perf_counter() - start
    answers = [f"She sold {48 + 24 + i - 2} clips." for i in range(n)]

    async def run(fn: Any, **kw: Any) -> tuple[float, int]:
        start = time.perf_counter()
        ok = 0
        for a in answers:
            r = await fn(QUESTION, a, **kw)
            ok += r.is_ok
        return n / (time.perf_counter() - start), ok

    yes_rate, yes_ok = asyncio.run(run(judge_yes_prob))
    score_rate, score_ok = asyncio.run(run(judge_score, max_tokens=8))

    import torch

    ids = tokenizer.apply_chat_template([{"role": "user", "content": QUESTION + " " + answers[0] + " Is it correct? yes or no."}],
                                        add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    start = time.perf_counter()
    with torch.inference_mode():
        for _ in range(n):
            model.generate(ids, max_new_tokens=1, do_sample=False, attention_mask=torch.ones_like(ids), pad_token_id=tokenizer.pad_token_id)
    bare_rate = n / (time.perf_counter() - start)
    reset_clients()
    return {"calls": n, "load_s": load_s, "yes_prob_calls_per_s": yes_rate, "yes_prob_ok": yes_ok,
            "score_calls_per_s": score_rate, "score_ok": score_ok, "bare_generate_1tok_per_s": bare_rate}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller sizes (CI smoke run)")
    p.add_argument("--skip-embedded", action="store_true")
    args = p.parse_args()
    scale = 0.25 if args.quick else 1.0
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Judges benchmark\n\n{date} — {machine} (`uname -m` {platform.machine()}, nproc {os.cpu_count()})\n"]

    tp = bench_throughput(int(1280 * scale))
    print(f"throughput: {tp['calls_per_s']:.0f} calls/s vs limit {tp['limit']:.0f} (64 / 100 ms): ratio {tp['ratio']:.2f} (target >= 0.90)")
    ov = bench_overhead(int(2000 * scale))
    print(f"client overhead: {ov['overhead_ms']:.3f} ms/call (full {ov['full_ms']:.3f} ms, bare httpx {ov['bare_httpx_ms']:.3f} ms; target < 2 ms)")
    ca = bench_cache(int(20000 * scale))
    print(f"cache hits: {ca['results_per_s']:.0f} results/s (target >= 20,000: ratio {ca['results_per_s'] / 20000:.2f}); judge calls made: {ca['judge_calls']}")
    lines += [
        "| measure | value | anchor | ratio | target |",
        "|---|---|---|---|---|",
        f"| calls/s at concurrency 64, 100 ms latency ({tp['calls']} calls) | {tp['calls_per_s']:.0f} | limit {tp['limit']:.0f} | {tp['ratio']:.2f} | >= 0.90 |",
        f"| per-call client overhead (judge_score path minus bare httpx) | {ov['overhead_ms']:.3f} ms | bare httpx {ov['bare_httpx_ms']:.3f} ms | {ov['full_ms'] / ov['bare_httpx_ms']:.1f}x | < 2 ms |",
        f"| cache-hit path ({ca['results']} results) | {ca['results_per_s']:.0f} results/s | 20,000 | {ca['results_per_s'] / 20000:.2f} | >= 1.0 |",
    ]
    if not args.skip_embedded:
        em = bench_embedded(max(3, int(12 * scale)))
        print(
            f"embedded SmolLM2: load {em['load_s']:.1f} s; judge_yes_prob {em['yes_prob_calls_per_s']:.2f} calls/s "
            f"({em['yes_prob_ok']}/{em['calls']} ok), judge_score {em['score_calls_per_s']:.2f} calls/s ({em['score_ok']}/{em['calls']} ok); "
            f"bare 1-token generate {em['bare_generate_1tok_per_s']:.2f}/s (ratio {em['yes_prob_calls_per_s'] / em['bare_generate_1tok_per_s']:.2f})"
        )
        lines += [
            f"| embedded SmolLM2 judge_yes_prob calls/s ({em['yes_prob_ok']}/{em['calls']} ok) | {em['yes_prob_calls_per_s']:.2f} | bare 1-token generate {em['bare_generate_1tok_per_s']:.2f}/s | {em['yes_prob_calls_per_s'] / em['bare_generate_1tok_per_s']:.2f} | — |",
            f"| embedded SmolLM2 judge_score calls/s ({em['score_ok']}/{em['calls']} ok) | {em['score_calls_per_s']:.2f} | — | — | — |",
            f"| embedded SmolLM2 load time | {em['load_s']:.1f} s | — | — | — |",
        ]
    lines.append("\nThe machine was shared with other work while this ran: numbers are provisional.\n")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
