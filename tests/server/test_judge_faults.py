"""A judge backend that times out or answers 500 (the scripted OpenAI-compatible server): those samples'
judge component is an error, the other components are still scored, the server stays up."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.server.conftest import free_port

openai_server = pytest.importorskip("rewardsmith.testing.openai_server")


def judge(request: dict[str, Any]) -> Any:
    text = str(request["messages"][-1]["content"])
    if "SLOWLY" in text:
        return openai_server.Reply('{"explanation": "late", "score": 9}', delay=5.0)
    if "BROKEN" in text:
        return openai_server.Reply(status=500)
    return '{"explanation": "fine", "score": 8}'


def test_judge_timeouts_and_500s_are_component_errors(tmp_path: Path) -> None:
    from rewardsmith.engine import Engine
    from rewardsmith.server import RewardClient, ServerConfig, create_app

    with openai_server.ScriptedOpenAI(judge) as srv:
        spec = {
            "name": "judged",
            "components": [
                {"name": "judge", "reward": "judge_score",
                 "params": {"base_url": srv.base_url, "model": "m", "timeout_s": 1.0, "max_retries": 0, "backoff_s": 0.0}},
                {"name": "rep", "reward": "repetition", "weight": 0.1, "params": {"n": 2}},
            ],
        }
        engine = Engine(spec, workers=1, cache=False)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(engine, ServerConfig(token="t", port=port)), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            rows = [
                {"prompt": "Name a prime.", "completion": "Seven is a prime number, divisible only by one and itself."},
                {"prompt": "Name a prime.", "completion": "Eleven is prime; I answer SLOWLY and carefully here."},
                {"prompt": "Name a prime.", "completion": "Thirteen is prime, though my BROKEN pencil says otherwise."},
            ]
            with RewardClient(f"http://127.0.0.1:{port}", token="t") as client:
                out = client.score_rows(rows)
                assert client.ready()
                again = client.score_rows(rows[:1])
                metrics = client._http.get("/metrics").text
        finally:
            server.should_exit = True
            thread.join(30)
    assert out[0]["status"] == "ok" and out[0]["components"]["judge"] == pytest.approx(7 / 9)
    for bad in out[1:]:
        assert bad["status"] == "error" and bad["reward"] is None and bad["reason"].startswith("judge:")
        assert bad["components"]["judge"] is None
        assert bad["components"]["rep"] is not None  # the rest of the sample was scored
    assert "timeout" in out[1]["reason"].lower()
    assert "500" in out[2]["reason"]
    assert again[0]["status"] == "ok"
    from prometheus_client.parser import text_string_to_metric_families

    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(metrics) for s in f.samples}
    failures = [v for (name, labels), v in samples.items() if name == "rewardsmith_judge_calls_total" and ("outcome", "failures") in labels]
    assert failures and sum(failures) >= 2  # the timeout and the 500 are in the judges' ledger
    assert samples[("rewardsmith_component_results_total", (("component", "judge"), ("status", "error")))] == 2
