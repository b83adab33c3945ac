"""Rows without a ``group`` are grouped by their prompt's text *and images* (content hashes): one question
asked about two images makes two GRPO groups, and the group builders outside the engine agree."""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest

from rewardsmith.compose.normalize import group_normalize
from rewardsmith.evaluate.batchstats import group_of
from rewardsmith.selfreward.scored import group_of as scored_group_of
from rewardsmith.spec import load_spec
from rewardsmith.types import Sample, prompt_group_key

from .pngs import BLUE, RED, image_prompt, png

Q = "What colour is the square?"
ROWS: list[dict[str, Any]] = [
    {"prompt": image_prompt(Q, RED), "completion": "red", "reference": "red"},
    {"prompt": image_prompt(Q, RED), "completion": "blue", "reference": "red"},
    {"prompt": image_prompt(Q, BLUE), "completion": "blue", "reference": "blue"},
    {"prompt": image_prompt(Q, BLUE), "completion": "blue", "reference": "blue"},
]


def grpo(rows: list[dict[str, Any]]) -> list[float | None]:
    spec = load_spec({"components": [{"name": "em", "reward": "qa_em"}], "normalize": {"kind": "grpo"}})
    try:
        return [r.value for r in spec.score(rows, cache=False)]
    finally:
        spec.close()


def test_grpo_normalises_within_each_image_not_across_the_shared_question() -> None:
    values = grpo(ROWS)
    s = 1 / math.sqrt(2)  # [1, 0] with the sample std (ddof 1): +-0.7071; [1, 1] has no variance
    assert values == pytest.approx([s, -s, 0.0, 0.0], abs=1e-5)
    assert values == pytest.approx(grpo([dict(r, group=f"img{i // 2}") for i, r in enumerate(ROWS)]))
    merged, _ = group_normalize([1.0, 0.0, 1.0, 1.0], ["q"] * 4)  # what grouping by the text alone gave
    assert merged == pytest.approx([0.5, -1.5, 0.5, 0.5], abs=1e-5) and values != pytest.approx(merged, abs=1e-3)


def test_an_explicit_group_still_wins_over_the_images() -> None:
    values = grpo([dict(r, group="all") for r in ROWS])
    assert values == pytest.approx([0.5, -1.5, 0.5, 0.5], abs=1e-5)


def test_the_key_names_image_content_not_its_spelling() -> None:
    same = "data:image/png;base64," + base64.encodebytes(png(8, 8, (255, 0, 0))).decode()  # line-wrapped
    assert same != RED and prompt_group_key(image_prompt(Q, same)) == prompt_group_key(image_prompt(Q, RED))
    url_a, url_b = image_prompt(Q, "https://x/a.png"), image_prompt(Q, "https://x/b.png")
    assert prompt_group_key(url_a) != prompt_group_key(url_b)
    hf_shape = [{"role": "user", "content": [{"type": "image", "image": RED}, {"type": "text", "text": Q}]}]
    assert prompt_group_key(hf_shape) == prompt_group_key(image_prompt(Q, RED))
    assert prompt_group_key(Q) == prompt_group_key([{"role": "user", "content": Q}]) == "prompt:" + Q


def test_scored_row_tools_group_like_the_engine() -> None:
    keys = {Sample.from_row(r).group_key for r in ROWS}
    assert len(keys) == 2
    assert [group_of(r) for r in ROWS] == [scored_group_of(r) for r in ROWS] == [Sample.from_row(r).group_key for r in ROWS]
