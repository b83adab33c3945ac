"""The guard blocks content-free completions (master keys, punctuation, restated questions) and passes real ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardsmith.judges.guard import MASTER_KEYS, check_content, master_key_variants


@pytest.mark.parametrize("text", master_key_variants())
def test_every_master_key_variant_is_blocked(text: str) -> None:
    verdict = check_content(text, prompt="Natalia sold clips to 48 of her friends. How many clips did she sell?")
    assert verdict.blocked, text
    assert verdict.kind in {"empty", "punctuation", "master_key"}


def test_paper_keys_are_in_the_public_list() -> None:
    for key in (":", ".", "Thought process:", "Let's solve this problem step by step.", "Solution", "解", "かいせつ"):
        assert key in MASTER_KEYS


@pytest.mark.parametrize(
    "text,kind",
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("?!...", "punctuation"),
        ("—— :) ——", "punctuation"),
        ("Solution:\nThought process:", "master_key"),
        ("SOLUTION", "master_key"),
        ("Let’s solve this problem step-by-step!", "master_key"),
    ],
)
def test_content_free_kinds(text: str, kind: str) -> None:
    assert check_content(text).kind == kind


def test_restatement_is_blocked_but_answers_pass() -> None:
    q = "How many legs do three spiders have in total?"
    assert check_content("How many legs do three spiders have in total", prompt=q).kind == "restatement"
    assert check_content("three spiders have how many legs in total?", prompt=q).kind == "restatement"
    assert not check_content("Three spiders have 24 legs in total.", prompt=q).blocked
    assert not check_content("24", prompt=q).blocked
    assert not check_content("Solution: 24", prompt=q).blocked


def test_real_gsm8k_solutions_are_never_blocked(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (shared_data / "gsm8k" / "model_solutions.jsonl").read_text().splitlines()[:300]]
    checked = 0
    for row in rows:
        for key, value in row.items():
            if isinstance(value, dict) and isinstance(value.get("solution"), str) and value["solution"].strip():
                checked += 1
                assert not check_content(value["solution"], prompt=row["question"]).blocked, value["solution"][:80]
    assert checked >= 1000
