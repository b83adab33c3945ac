"""Preference pairs from the real hh-rlhf file, and the Bradley-Terry loss by hand."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest


def test_hh_pairs_split_back_into_dialogues(shared_data: Path) -> None:
    from rewardsmith.models.preferences import read_pairs

    path = shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    pairs = list(read_pairs(path, 300))
    with gzip.open(path, "rt") as fh:
        rows = [json.loads(next(fh)) for _ in range(300)]
    assert len(pairs) == 300
    for p, row in zip(pairs, rows):
        assert p.prompt + p.chosen == row["chosen"] and p.prompt + p.rejected == row["rejected"]
    assert sum(p.prompt.endswith("\n\nAssistant:") for p in pairs) >= 290


def test_bt_loss_by_hand() -> None:
    torch = pytest.importorskip("torch")
    from rewardsmith.models.bradley_terry import bt_loss

    c, r = torch.tensor([2.0, 0.0]), torch.tensor([1.0, 1.0])
    want = (-math.log(1 / (1 + math.exp(-1.0))) - math.log(1 / (1 + math.exp(1.5)))) / 2
    assert float(bt_loss(c, r, torch.tensor([0.0, 0.5]))) == pytest.approx(want, abs=1e-6)
