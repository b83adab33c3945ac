"""The HTTP API against a real `rewardsmith serve` process: same results as in-process, limits, auth, metrics."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.server.conftest import ServeProcess, gsm8k_rows
from rewardsmith.server import AsyncRewardClient, RewardClient, ServerError
from rewardsmith.spec import load_spec
from rewardsmith.types import Status

FIELDS = ("reward", "status", "components", "reason")


def same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in FIELDS)


def test_score_matches_in_process_engine(math_server: ServeProcess, local_engine: Any, shared_data: Path) -> None:
    rows = gsm8k_rows(shared_data, 8)
    with RewardClient(math_server.url, token=math_server.token) as client:
        got = client.score_rows(rows)
        results = client.score(rows)
    want = [r.to_fields() for r in local_engine.score(rows)]
    assert len(got) == len(rows) == 32
    assert all(same(g, w) for g, w in zip(got, want))
    for row, out, res in zip(rows, got, results):
        assert out["id"] == row["id"] and out["metadata"] == row["metadata"]  # the input row is echoed
        assert out["components"]["words"] == float(len(row["completion"].split()))  # computed independently
        assert res.status is Status(out["status"]) and res.value == out["reward"]
    # problem 0: the 6b fine-tuned model answered 26, the gold answer is 18
    assert got[0]["components"]["correct"] == 0.0 and rows[0]["reference"] == "18"
    # the verifier agrees with the human labels on most of these real solutions
    agree = sum((o["components"]["correct"] == 1.0) == r["metadata"]["is_correct"] for o, r in zip(got, rows))
    assert agree >= 28


def test_async_client_and_groups(math_server: ServeProcess, local_engine: Any, shared_data: Path) -> None:
    rows = gsm8k_rows(shared_data, 3, start=20)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(f"G-{r['group']}", []).append({k: v for k, v in r.items() if k != "group"})

    async def go() -> tuple[list[Any], dict[str, list[Any]]]:
        async with AsyncRewardClient(math_server.url, token=math_server.token) as client:
            return await client.score(rows), await client.score_groups(groups)

    flat, grouped = asyncio.run(go())
    want = local_engine.score(rows)
    assert [r.to_fields() for r in flat] == [r.to_fields() for r in want]
    assert list(grouped) == list(groups)
    regrouped = [{**s, "group": g} for g, ss in groups.items() for s in ss]
    want_g = local_engine.score(regrouped)
    assert [r.to_fields() for ss in grouped.values() for r in ss] == [r.to_fields() for r in want_g]
    raw = httpx.post(
        math_server.url + "/v1/score/groups", headers=math_server.headers,
        json={"groups": [{"id": "only", "samples": [{"prompt": "2+2?", "completion": "4", "reference": "4"}]}]},
    ).json()
    assert raw["groups"][0]["results"][0]["group"] == "only" and raw["groups"][0]["results"][0]["reward"] == 1.01


def test_ndjson_stream_matches_batch(math_server: ServeProcess, shared_data: Path) -> None:
    rows = gsm8k_rows(shared_data, 50, start=100)  # 200 rows, streamed in chunks of 64
    with RewardClient(math_server.url, token=math_server.token) as client:
        streamed = list(client.stream(rows))
        batch = client.score_rows(rows)
    assert [r["id"] for r in streamed] == [r["id"] for r in rows]
    assert all(same(s, b) for s, b in zip(streamed, batch))
    # a JSON body works too, and the spec hash comes in a header
    response = httpx.post(math_server.url + "/v1/score/stream", headers=math_server.headers, json={"samples": rows[:5]})
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [orjson.loads(x) for x in response.content.splitlines()]
    assert [x["id"] for x in lines] == [r["id"] for r in rows[:5]]
    assert response.headers["x-spec-hash"] == load_spec(str(math_server_spec(math_server))).spec_hash()


def math_server_spec(server: ServeProcess) -> Path:
    return Path(server.proc.args[4])  # type: ignore[index]


def test_openrlhf_get_reward(math_server: ServeProcess, local_engine: Any, shared_data: Path) -> None:
    rows = gsm8k_rows(shared_data, 2, start=40)
    queries = [r["prompt"] + "\n" + r["completion"] for r in rows]
    labels: list[Any] = [r["reference"] for r in rows]
    labels[1] = None  # no reference: math_equiv cannot score it
    body = {"query": queries, "prompts": [r["prompt"] for r in rows], "labels": labels}
    out = httpx.post(math_server.url + "/get_reward", json=body, headers=math_server.headers).json()
    expected_rows = [
        {"prompt": r["prompt"], "completion": "\n" + r["completion"], **({"reference": lab} if lab is not None else {})}
        for r, lab in zip(rows, labels)
    ]
    want = local_engine.score(expected_rows)
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert len(out["rewards"]) == len(out["scores"]) == len(rows)
    for i, w in enumerate(want):
        assert out["rewards"][i] == (w.value if w.value is not None else 0.0)
        assert out["extra_logs"]["rewardsmith_error"][i] == (1.0 if w.status is Status.ERROR else 0.0)
        assert out["extra_logs"]["rewardsmith_abstain"][i] == (1.0 if w.status is Status.ABSTAIN else 0.0)
        assert len(out["extra_logs"]["words"]) == len(rows)
    assert want[1].status is not Status.OK and out["rewards"][1] == 0.0  # filled, and flagged
    assert want[0].status is Status.OK
    mismatch = httpx.post(math_server.url + "/get_reward", json={"query": ["a", "b"], "prompts": ["a"]}, headers=math_server.headers)
    assert mismatch.status_code == 422 and "prompts" in mismatch.json()["detail"]


def test_spec_health_and_openapi(math_server: ServeProcess, math_spec: Path) -> None:
    with RewardClient(math_server.url, token=math_server.token) as client:
        spec = client.spec()
        assert client.ready()
    assert spec["spec_hash"] == load_spec(str(math_spec)).spec_hash()
    assert [c["name"] for c in spec["components"]] == ["correct", "words", "rep"]
    assert spec["components"][0]["reward"] == "math_equiv"
    assert httpx.get(math_server.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(math_server.url + "/readyz").json() == {"status": "ready"}  # nothing about the spec or load
    schema = httpx.get(math_server.url + "/openapi.json").json()  # this server runs with --docs
    for path in ("/v1/score", "/v1/score/groups", "/v1/score/stream", "/v1/spec", "/get_reward", "/metrics"):
        assert path in schema["paths"]
    methods = {m for p in schema["paths"].values() for m in p}
    assert methods <= {"get", "post"}  # nothing uploads or changes the spec


def test_auth_required(math_server: ServeProcess) -> None:
    body = {"samples": [{"prompt": "q", "completion": "4", "reference": "4"}]}
    missing = httpx.post(math_server.url + "/v1/score", json=body)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "token" in missing.json()["detail"]
    wrong = httpx.post(math_server.url + "/v1/score", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    for path in ("/v1/spec", "/metrics"):
        assert httpx.get(math_server.url + path).status_code == 401
    assert httpx.post(math_server.url + "/get_reward", json={"query": ["x"]}).status_code == 401
    with pytest.raises(ServerError) as err:
        RewardClient(math_server.url, token="nope").score(body["samples"])
    assert err.value.status == 401


def test_bad_requests_are_4xx_with_a_message(math_server: ServeProcess) -> None:
    url, h = math_server.url + "/v1/score", {**math_server.headers, "content-type": "application/json"}
    bad_json = httpx.post(url, content=b'{"samples": [', headers=h)
    assert bad_json.status_code == 422 and "JSON" in str(bad_json.json()["detail"])
    not_list = httpx.post(url, json={"samples": "abc"}, headers=h)
    assert not_list.status_code == 422 and "samples" in str(not_list.json()["detail"])
    wrong_type = httpx.post(url, json={"samples": [{"prompt": "q", "completion": 5}]}, headers=h)
    assert wrong_type.status_code == 422 and "completion" in str(wrong_type.json()["detail"])
    bad_steps = httpx.post(url, json={"samples": [{"completion": "a"}, {"completion": "b", "steps": [7]}]}, headers=h)
    assert bad_steps.status_code == 422
    assert bad_steps.json()["detail"] == ["row #1: field 'steps': a step must be a string or an object, got int"]
    unknown = httpx.post(url, json={"samples": [], "spec": {"components": []}}, headers=h)
    assert unknown.status_code == 422  # no spec upload, not even smuggled in a body
    too_many = httpx.post(url, json={"samples": [{"completion": "x"}] * 257}, headers=h)
    assert too_many.status_code == 413 and "limit of 256" in too_many.json()["detail"]
    huge = httpx.post(url, content=b'{"samples": [{"completion": "' + b"x" * (1024 * 1024) + b'"}]}', headers=h)
    assert huge.status_code == 413 and "larger than" in huge.json()["detail"]
    big_int = httpx.post(url, json={"samples": [{"completion": "a", "metadata": {"n": 2**70}}]}, headers=h)
    assert big_int.status_code == 422 and "64-bit" in str(big_int.json()["detail"])
    stream_bad = httpx.post(math_server.url + "/v1/score/stream", content=b'{"completion": 1}\n',
                            headers={**math_server.headers, "content-type": "application/x-ndjson"})
    assert stream_bad.status_code == 422
    assert httpx.get(math_server.url + "/v1/score", headers=h).status_code == 405
    assert httpx.post(math_server.url + "/v1/score", json={"samples": []}, headers=h).json()["results"] == []


def test_metrics_count_requests_and_component_statuses(math_server: ServeProcess) -> None:
    before_ok = math_server.metric("rewardsmith_component_results_total", component="words", status="ok")
    before_abstain = math_server.metric("rewardsmith_component_results_total", component="words", status="abstain")
    before_req = math_server.metric("rewardsmith_requests_total", endpoint="/v1/score", code="200")
    before_hist = math_server.metric("rewardsmith_request_seconds_count", endpoint="/v1/score")
    rows = [{"completion": f"{i} words here"} for i in range(5)] + [{"completion": "please ABSTAIN"}] * 2
    with RewardClient(math_server.url, token=math_server.token) as client:
        client.score(rows)
    # the engine dedupes identical work but counts every sample
    assert math_server.metric("rewardsmith_component_results_total", component="words", status="ok") - before_ok == 5
    assert math_server.metric("rewardsmith_component_results_total", component="words", status="abstain") - before_abstain == 2
    assert math_server.metric("rewardsmith_requests_total", endpoint="/v1/score", code="200") - before_req == 1
    assert math_server.metric("rewardsmith_request_seconds_count", endpoint="/v1/score") - before_hist == 1
    assert math_server.metric("rewardsmith_queue_depth") == 0.0
    assert math_server.metric("rewardsmith_spec_info", name="server-test") == 1.0


def test_serve_refuses_unsafe_configurations(math_spec: Path) -> None:
    base = [sys.executable, "-m", "rewardsmith", "serve", str(math_spec)]
    open_bind = subprocess.run(base + ["--host", "0.0.0.0", "--insecure-local"], capture_output=True, text=True, timeout=60)
    assert open_bind.returncode == 2 and "loopback" in (open_bind.stdout + open_bind.stderr)
    env = {k: v for k, v in __import__("os").environ.items() if k != "REWARDSMITH_TOKEN"}
    no_token = subprocess.run(base, capture_output=True, text=True, timeout=60, env=env)
    assert no_token.returncode == 2 and "token" in (no_token.stdout + no_token.stderr)
