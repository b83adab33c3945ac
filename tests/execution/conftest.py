"""Execution-reward fixtures. Rewards that run code are tested with ``backend="bwrap"``: without a usable
bubblewrap these tests FAIL (set REWARDSMITH_ALLOW_NO_BWRAP=1 to skip them instead, with the reason)."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.sandbox.bwrap import find_bwrap


@pytest.fixture(scope="session")
def bwrap_path() -> str:
    path, why = find_bwrap()
    if path is None:
        message = f"bubblewrap is not usable, sandboxed rewards cannot be tested with isolation: {why}"
        if os.environ.get("REWARDSMITH_ALLOW_NO_BWRAP") == "1":
            pytest.skip(message)
        pytest.fail(message + " (set REWARDSMITH_ALLOW_NO_BWRAP=1 to skip instead)")
    return path


@pytest.fixture(scope="session")
def humaneval(shared_data: Path) -> list[dict[str, Any]]:
    path = shared_data / "humaneval" / "HumanEval.jsonl.gz"
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def bfcl(shared_data: Path) -> dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]]:
    """category -> [(question, possible answer or None)]"""
    folder = shared_data / "bfcl"
    out: dict[str, list[tuple[dict[str, Any], dict[str, Any] | None]]] = {}
    for cat in ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"):
        questions = [json.loads(line) for line in (folder / f"BFCL_v4_{cat}.json").open()]
        answers: dict[str, dict[str, Any]] = {}
        answer_file = folder / f"possible_answer_BFCL_v4_{cat}.json"
        if answer_file.exists():
            answers = {a["id"]: a for a in (json.loads(line) for line in answer_file.open())}
        out[cat] = [(q, answers.get(q["id"])) for q in questions]
    return out
