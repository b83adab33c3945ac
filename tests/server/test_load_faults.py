"""Load and fault tests on loopback: many clients, a full queue, a killed worker, restart with the cache,
graceful shutdown. Bounded in count; no timed assertions (figures are printed, not asserted)."""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import psutil
import pytest

from tests.server.conftest import ServeProcess, gsm8k_rows
from rewardsmith.server import AsyncRewardClient, RewardClient
from rewardsmith.types import Status

SLOW_SPEC = """
name: slow
components:
  - {{name: words, reward: "server_rewards:slow_words", params: {{delay: {delay}}}}}
  - {{name: rep, reward: repetition, weight: 0.1, params: {{n: 2}}}}
"""


def slow_spec(tmp_path: Path, delay: float) -> Path:
    path = tmp_path / f"slow_{delay}.yaml"
    path.write_text(SLOW_SPEC.format(delay=delay))
    return path


def wait_until(predicate: Any, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)


def in_background(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except Exception as exc:  # surfaced by the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


@pytest.fixture()
def slow_server(tmp_path: Path) -> Iterator[ServeProcess]:
    srv = ServeProcess(slow_spec(tmp_path, 0.3), "--workers", "2", "--no-cache", "--max-batch", "8", "--max-pending", "8")
    yield srv
    srv.stop()


def test_many_concurrent_clients(math_server: ServeProcess, local_engine: Any, shared_data: Path) -> None:
    rows = gsm8k_rows(shared_data, 64, start=200)  # 256 real rows
    batches = [rows[i : i + 8] for i in range(0, len(rows), 8)]  # 32 requests from 16 clients
    want = [r.to_fields() for r in local_engine.score(rows)]
    latencies: list[float] = []

    async def client_task(mine: list[list[dict[str, Any]]]) -> list[Any]:
        out = []
        async with AsyncRewardClient(math_server.url, token=math_server.token) as client:
            for batch in mine:
                t0 = time.perf_counter()
                out.append(await client.score(batch))
                latencies.append(time.perf_counter() - t0)
        return out

    async def main() -> list[list[Any]]:
        return await asyncio.gather(*(client_task(batches[c::16]) for c in range(16)))

    started = time.perf_counter()
    per_client = asyncio.run(main())
    elapsed = time.perf_counter() - started
    got: dict[int, Any] = {}
    for c, results in enumerate(per_client):
        for j, res in enumerate(results):
            got[c + 16 * j] = res
    flat = [r.to_fields() for b in range(len(batches)) for r in got[b]]
    assert flat == want
    q = statistics.quantiles(latencies, n=100)
    print(f"\n16 clients, {len(batches)} requests x 8 rows: {len(rows) / elapsed:.0f} rows/s, "
          f"p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, p99 {q[98] * 1000:.0f} ms")


def test_queue_full_answers_429_and_memory_stays_bounded(tmp_path: Path) -> None:
    slow_server = ServeProcess(slow_spec(tmp_path, 1.0), "--workers", "1", "--no-cache", "--max-batch", "8", "--max-pending", "8")
    try:
        _queue_full(slow_server)
    finally:
        slow_server.stop()


def _queue_full(slow_server: ServeProcess) -> None:
    url, h = slow_server.url, slow_server.headers
    eight = [{"completion": f"w{i} " * (i + 1)} for i in range(8)]
    # warm-up: workers forked, routes compiled
    assert httpx.post(url + "/v1/score", json={"samples": [{"completion": "warm"}]}, headers=h, timeout=60).status_code == 200
    t, box = in_background(lambda: httpx.post(url + "/v1/score", json={"samples": eight}, headers=h, timeout=120))
    wait_until(lambda: slow_server.metric("rewardsmith_queue_depth") == 8)
    codes: list[int] = []
    retry_after: set[str] = set()
    rss: list[int] = []
    with httpx.Client(base_url=url, headers=h, timeout=30) as c:
        for round_ in range(3):
            for _ in range(100):
                r = c.post("/v1/score", json={"samples": eight})
                codes.append(r.status_code)
                retry_after.add(r.headers.get("retry-after", "missing"))
            rss.append(slow_server.rss_bytes())
    assert slow_server.metric("rewardsmith_queue_depth") == 8  # the first batch was still running throughout
    assert set(codes) == {429}
    assert all(v.isdigit() and 1 <= int(v) <= 60 for v in retry_after)
    growth = rss[-1] - rss[0]
    print(f"\nRSS after 100 / 300 rejected requests: {rss[0] / 2**20:.1f} / {rss[-1] / 2**20:.1f} MiB")
    assert growth < 16 * 2**20
    t.join(60)
    first = box["value"]
    assert first.status_code == 200
    assert [r["components"]["words"] for r in first.json()["results"]] == [float(i + 1) for i in range(8)]
    assert slow_server.metric("rewardsmith_rejected_total") == 300
    # a client with retries waits out the 429s and gets through
    t2, box2 = in_background(lambda: httpx.post(url + "/v1/score", json={"samples": eight[:2] + eight[2:]}, headers=h, timeout=120))
    wait_until(lambda: slow_server.metric("rewardsmith_queue_depth") == 8)
    client = RewardClient(url, token=slow_server.token, retries=20, backoff=0.05)
    results = client.score(eight[:2])
    assert client.attempts >= 2 and [r.components["words"] for r in results] == [1.0, 2.0]
    t2.join(60)
    assert box2["value"].status_code == 200


def test_worker_killed_mid_batch(slow_server: ServeProcess) -> None:
    url, h = slow_server.url, slow_server.headers
    rows = [{"id": str(i), "completion": "x " * (i + 1)} for i in range(8)]
    assert httpx.post(url + "/v1/score", json={"samples": rows[:1]}, headers=h, timeout=60).status_code == 200
    workers = [p for p in psutil.Process(slow_server.pid).children() if p.is_running()]
    assert len(workers) == 2  # the forked scoring workers
    t, box = in_background(lambda: httpx.post(url + "/v1/score", json={"samples": rows[1:]}, headers=h, timeout=120))
    wait_until(lambda: slow_server.metric("rewardsmith_queue_depth") == 7)
    time.sleep(0.45)  # both workers are in the middle of an item (0.3 s each)
    os.kill(workers[0].pid, signal.SIGKILL)
    t.join(60)
    response = box["value"]
    assert response.status_code == 200
    out = response.json()["results"]
    errors = [r for r in out if r["status"] == "error"]
    assert len(errors) == 1 and "worker crashed" in errors[0]["reason"] and errors[0]["reward"] is None
    for r in out:
        if r["status"] == "ok":
            assert r["components"]["words"] == float(int(r["id"]) + 1)
    # the server is up and the pool replaced the worker
    assert httpx.get(url + "/readyz").status_code == 200
    again = httpx.post(url + "/v1/score", json={"samples": rows}, headers=h, timeout=60).json()["results"]
    assert [r["status"] for r in again] == ["ok"] * 8
    assert [r["components"]["words"] for r in again] == [float(i + 1) for i in range(8)]
    assert slow_server.metric("rewardsmith_component_results_total", component="words", status="error") == 1


def test_graceful_shutdown_drains_in_flight(tmp_path: Path) -> None:
    srv = ServeProcess(slow_spec(tmp_path, 0.25), "--workers", "2", "--no-cache")
    rows = [{"completion": "a " * (i + 1)} for i in range(8)]
    t, box = in_background(lambda: httpx.post(srv.url + "/v1/score", json={"samples": rows}, headers=srv.headers, timeout=120))
    wait_until(lambda: srv.metric("rewardsmith_queue_depth") == 8)
    srv.proc.send_signal(signal.SIGTERM)
    t.join(60)
    assert box["value"].status_code == 200
    assert [r["components"]["words"] for r in box["value"].json()["results"]] == [float(i + 1) for i in range(8)]
    assert srv.proc.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean drain
    with pytest.raises(httpx.ConnectError):
        httpx.get(srv.url + "/healthz")
    srv.stop()


def test_restart_with_same_cache_answers_from_cache(math_spec: Path, tmp_path: Path, shared_data: Path) -> None:
    rows = gsm8k_rows(shared_data, 5, start=300)
    cache_dir = tmp_path / "cache"
    first = ServeProcess(math_spec, "--workers", "2", cache_dir=cache_dir)
    try:
        a = RewardClient(first.url, token=first.token).score_rows(rows)
        assert first.metric("rewardsmith_component_cached_total", component="correct") == 0
    finally:
        first.stop()
    assert (cache_dir / "cache.sqlite").exists()
    second = ServeProcess(math_spec, "--workers", "2", cache_dir=cache_dir)
    try:
        b = RewardClient(second.url, token=second.token).score_rows(rows)
        assert second.metric("rewardsmith_component_cached_total", component="correct") == len(rows)
        assert second.metric("rewardsmith_component_cached_total", component="words") == len(rows)
        assert second.metric("rewardsmith_cache_misses_total") == 0
    finally:
        second.stop()
    assert a == b
    assert all(r["status"] == Status.OK.value for r in b)
