"""Fixtures of the self-reward tests: GSM8K model solutions in contract form, hh-rlhf pairs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).parent))
from selfreward_helpers import MODELS, SAMPLE, read_jsonl, split_dialogue, write_jsonl


@pytest.fixture(scope="session")
def gsm8k_rows(shared_data: Path) -> list[dict[str, Any]]:
    """All 1,319 GSM8K test problems x 4 model solutions as contract rows (group = problem)."""
    rows = []
    for i, rec in enumerate(read_jsonl(shared_data / "gsm8k" / "model_solutions.jsonl")):
        answer = re.search(r"A:\s*(.+?)\s*$", rec["ground_truth"]).group(1)  # type: ignore[union-attr]
        for m in MODELS:
            rows.append({
                "id": f"gsm8k-{i:04d}-{m}",
                "prompt": [{"role": "user", "content": rec["question"]}],
                "completion": rec[m]["solution"],
                "reference": answer,
                "group": f"gsm8k-{i:04d}",
                "metadata": {"model": m, "is_correct": rec[m]["is_correct"]},
            })
    return rows


@pytest.fixture(scope="session")
def gsm8k_file(gsm8k_rows: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("gsm8k") / "gsm8k.jsonl", gsm8k_rows)


@pytest.fixture(scope="session")
def sample_rows() -> list[dict[str, Any]]:
    """The bundled 75-problem GSM8K sample (the same rows in contract form)."""
    return read_jsonl(SAMPLE)


@pytest.fixture(scope="session")
def hh_pairs(shared_data: Path) -> list[dict[str, str]]:
    """The first 300 hh-rlhf harmless-base test pairs as prompt / chosen / rejected final turns."""
    out = []
    for rec in read_jsonl(shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz")[:300]:
        p1, chosen = split_dialogue(rec["chosen"])
        p2, rejected = split_dialogue(rec["rejected"])
        if p1 != p2:  # pairs whose histories differ before the last turn are not one prompt
            continue
        out.append({"prompt": p1, "chosen": chosen, "rejected": rejected})
    return out
