"""Helpers shared by the judge tests."""

from __future__ import annotations

import re
from typing import Any

from rewardsmith.spec import load_spec
from rewardsmith.testing.openai_server import ScriptedOpenAI


def judge_params(srv: ScriptedOpenAI, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"base_url": srv.base_url, "model": "scripted-judge", "backoff_s": 0.0}
    params.update(extra)
    return params


def user_text(request: dict[str, Any]) -> str:
    """The user message text of a chat request (the judge prompt)."""
    content = request["messages"][-1]["content"]
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if p.get("type") == "text")
    return content


def response_block(request: dict[str, Any], label: str = "RESPONSE") -> str:
    """The text inside the fenced <<<RESPONSE id>>> block of a judge prompt."""
    m = re.search(rf"<<<{label} (\w+)>>>\n(.*?)\n<<<END {label} \1>>>", user_text(request), re.S)
    assert m, f"no {label} block in the judge prompt"
    return m.group(2)


def score_spec(spec: dict[str, Any], rows: list[dict[str, Any]]) -> list[Any]:
    """Score rows with a spec (no cache), closing its engine."""
    loaded = load_spec(spec)
    try:
        return loaded.score(rows, cache=False)
    finally:
        loaded.close()
