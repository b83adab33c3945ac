"""A spec cannot make a reward silently wrong: what used to load and then score nonsense (a typo in a weights
key, ``tolerance: true``, sizes of 0, negative limits, unknown keys in nested dicts) is an error naming the key
and its line, from ``load_spec`` and from ``rewardsmith check``; a malformed chat completion is a bad row."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardsmith import SpecError, load_spec
from rewardsmith.cli import main
from rewardsmith.engine.runner import Engine
from rewardsmith.types import Status


def _one(reward: str, params: str) -> str:
    return f"name: strict\ncomponents:\n  - name: c\n    reward: {reward}\n    params:\n{params}"


CASES = [
    # a typo in a weights key: every component 1.0, the value 0.0 (the typo's weight counted, the real ones not)
    (_one("sql_exec", "      mode: partial\n      weights:\n        exce: 1.0\n"), "params.weights.exce (line 8)", "unknown key 'exce'"),
    (_one("code_security", "      weights: {semantic: 0.5, syntactc: 0.5}\n"), "params.weights.syntactc (line 6)", "unknown key 'syntactc'"),
    (_one("structured_output", "      weights:\n        structur: 1.0\n"), "params.weights.structur (line 7)", "unknown key 'structur'"),
    (_one("structured_output", "      weights: {content: 0}\n"), "params.weights (line 6)", "every weight is 0"),
    # a bool or a string where a number is meant
    (_one("math_equiv", "      tolerance: true\n"), "params.tolerance (line 6)", "valid number"),
    (_one("overlong_penalty", "      max_length: '4096'\n"), "params.max_length (line 6)", "valid integer"),
    # sizes and limits that cannot work
    (_one("repetition", "      n: 0\n"), "params.n (line 6)", "greater than 0"),
    (_one("code_tests", "      wall_s: 0\n"), "params.wall_s (line 6)", "greater than 0"),
    (_one("overlong_penalty", "      max_length: -5\n"), "params.max_length (line 6)", "greater than 0"),
    (_one("reward_model", "      model: /m\n      max_length: -5\n"), "params.max_length (line 7)", "greater than 0"),
    (_one("iou", "      threshold: 1.5\n"), "params.threshold (line 6)", "less than or equal to 1"),
    (_one("search_cost", "      price: -0.1\n"), "params.price (line 6)", "greater than or equal to 0"),
    # unknown keys in nested dicts
    (_one("milestones_rule", "      milestones:\n        - {kind: tool, tool: search}\n        - kind: text\n          patern: order\n"),
     "params.milestones[1].patern (line 9)", "unknown key"),
    # spec-level numbers are strict too
    ("components:\n  - name: c\n    reward: repetition\n    weight: true\n", "components[0].weight (line 4)", "valid number"),
]


@pytest.mark.parametrize("text, where, message", CASES)
def test_spec_mistakes_are_errors_with_key_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, message: str
) -> None:
    """Both ways in: ``load_spec`` raises, ``rewardsmith check`` fails; each names the key, its line, the rule."""
    path = tmp_path / "spec.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as e:
        load_spec(path)
    rc = main(["check", str(path)])
    out = capsys.readouterr()
    for shown in (str(e.value), out.out + out.err):
        assert where in shown and message in shown, shown
    assert rc != 0


def test_the_same_specs_written_right_load_and_score() -> None:
    """The fixed forms of the mistakes above load, and the weights table means what it says."""
    load_spec(_one("sql_exec", "      mode: partial\n      weights: {exec: 1.0, syntax: 0}\n"))
    load_spec(_one("math_equiv", "      tolerance: 0.001\n"))
    load_spec(_one("repetition", "      n: 2\n"))
    load_spec(_one("code_tests", "      wall_s: 0.5\n"))
    load_spec(_one("milestones_rule", "      milestones:\n        - {kind: text, pattern: order, weight: 2, name: ordered}\n"))
    spec = load_spec(_one("structured_output", "      required_keys: [answer]\n      weights: {structure: 1, content: 3}\n"))
    perfect, wrong = spec.score([
        {"prompt": "q", "completion": '{"answer": "18"}', "reference": {"answer": "18"}},
        {"prompt": "q", "completion": '{"answer": "17"}', "reference": {"answer": "18"}},
    ], cache=False)
    spec.close()
    assert perfect.value == 1.0
    assert wrong.value == pytest.approx(1 / 4)  # structure 1 (weight 1) + content 0 (weight 3)


def test_malformed_chat_completion_is_a_bad_row_not_a_zero() -> None:
    rows = [
        {"id": "ok", "prompt": "q", "completion": [{"role": "assistant", "content": "a a a a"}]},
        {"id": "bad", "prompt": "q", "completion": [{"content": 5}]},
        {"id": "bad-part", "prompt": "q", "completion": [{"role": "assistant", "content": [{"type": "text", "text": None}]}]},
    ]
    with Engine({"components": [{"name": "r", "reward": "repetition", "params": {"n": 2}}]}, cache=False) as engine:
        good, bad, bad_part = engine.score(rows)
    assert good.status is Status.OK and good.value == pytest.approx(-(1 - 1 / 3))
    assert bad.status is Status.ERROR and bad.value is None
    assert "id=bad" in (bad.reason or "") and "completion[0].content" in (bad.reason or "")
    assert bad_part.status is Status.ERROR and "completion[0].content[0].text" in (bad_part.reason or "")
