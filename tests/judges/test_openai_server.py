"""The scripted OpenAI-compatible server speaks the protocol over real HTTP and does what it is scripted to."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx
import openai
import pytest

from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI, always, yes_to_everything


def test_chat_with_the_official_openai_client(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = lambda req: "echo: " + req["messages"][-1]["content"]
    client = openai.OpenAI(base_url=judge_server.base_url, api_key="unused")
    out = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello there"}])
    assert out.choices[0].message.content == "echo: hello there"
    assert out.usage is not None and out.usage.prompt_tokens == 2 and out.usage.completion_tokens == 3
    assert judge_server.calls == 1
    assert judge_server.requests[0]["_path"] == "/v1/chat/completions"


def test_completions_with_logprobs_and_n(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = lambda req: Reply("yes", top_logprobs={"yes": math.log(0.7), "no": math.log(0.3)})
    body = httpx.post(judge_server.base_url + "/completions", json={"model": "m", "prompt": "ok?", "logprobs": 2, "n": 3}).json()
    assert [c["text"] for c in body["choices"]] == ["yes", "yes", "yes"]
    top = body["choices"][0]["logprobs"]["top_logprobs"][0]
    assert top == pytest.approx({"yes": math.log(0.7), "no": math.log(0.3)})
    assert judge_server.calls == 1


def test_chat_logprobs_shape(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = yes_to_everything
    body = httpx.post(
        judge_server.base_url + "/chat/completions",
        json={"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": True, "top_logprobs": 2},
    ).json()
    first = body["choices"][0]["logprobs"]["content"][0]
    assert [t["token"] for t in first["top_logprobs"]] == ["yes", "Yes"]


def test_scripted_status_headers_and_malformed_body(judge_server: ScriptedOpenAI) -> None:
    judge_server.handler = lambda req: Reply(status=429, headers={"Retry-After": "3"})
    r = httpx.post(judge_server.base_url + "/chat/completions", json={"messages": []})
    assert r.status_code == 429 and r.headers["retry-after"] == "3"
    assert r.json()["error"]["code"] == 429
    judge_server.handler = lambda req: Reply(body='{"choices": [')
    r = httpx.post(judge_server.base_url + "/chat/completions", json={"messages": []})
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    judge_server.handler = lambda req: {"custom": True}
    assert httpx.post(judge_server.base_url + "/chat/completions", json={}).json() == {"custom": True}
    assert judge_server.calls == 3


def test_api_key_required_when_configured() -> None:
    with ScriptedOpenAI(always("ok"), api_key="sekret") as srv:
        url = srv.base_url + "/chat/completions"
        assert httpx.post(url, json={"messages": []}).status_code == 401
        ok = httpx.post(url, json={"messages": []}, headers={"Authorization": "Bearer sekret"})
        assert ok.status_code == 200 and ok.json()["choices"][0]["message"]["content"] == "ok"


def test_async_handler_and_delay_do_not_block_other_requests() -> None:
    order: list[str] = []

    async def handler(req: dict[str, Any]) -> Reply:
        name = req["messages"][0]["content"]
        order.append("start " + name)
        return Reply(name, delay=0.5 if name == "slow" else 0.0)

    async def main(base: str) -> list[str]:
        async with httpx.AsyncClient(base_url=base) as client:
            slow = asyncio.create_task(client.post("/chat/completions", json={"messages": [{"role": "user", "content": "slow"}]}))
            await asyncio.sleep(0.05)
            fast = await client.post("/chat/completions", json={"messages": [{"role": "user", "content": "fast"}]})
            finished_first = "fast" if not slow.done() else "slow"
            await slow
            return [fast.json()["choices"][0]["message"]["content"], finished_first]

    with ScriptedOpenAI(handler) as srv:
        assert asyncio.run(main(srv.base_url)) == ["fast", "fast"]
        assert srv.calls == 2
