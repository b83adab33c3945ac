"""Fixtures for the judge tests: one scripted OpenAI server per session (its handler swapped per test),
clean judge clients per test, and the embedded SmolLM2 model loaded once per session."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

from rewardsmith.judges.operations import reset_clients
from rewardsmith.testing.openai_server import ScriptedOpenAI, always


@pytest.fixture(scope="session")
def server() -> Iterator[ScriptedOpenAI]:
    with ScriptedOpenAI(always("")) as srv:
        yield srv


@pytest.fixture()
def judge_server(server: ScriptedOpenAI) -> Iterator[ScriptedOpenAI]:
    """The session server, reset: no calls counted, handler to be set by the test."""
    server.reset()
    server.handler = always("")
    yield server
    server.handler = always("")


@pytest.fixture(autouse=True)
def _fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    reset_clients()
    yield
    reset_clients()


@pytest.fixture(scope="session")
def embedded_model() -> Any:
    """The embedded SmolLM2-135M-Instruct, loaded once for the whole session (about 30-70 s on 2 cores)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from rewardsmith.judges.backends.local import embedded_gguf, load_model

    folder, name = embedded_gguf()
    return load_model(str(folder), name)
