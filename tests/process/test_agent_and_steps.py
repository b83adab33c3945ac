"""Agent trajectory rewards through the engine, with hand-computed values."""

from __future__ import annotations

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.process.steps import split_steps


def test_search_cost_and_tool_success_in_engine() -> None:
    spec = {
        "name": "agent",
        "components": [
            {"name": "ms", "reward": "milestones_rule", "weight": 0.0,
             "params": {"milestones": [{"name": "s", "kind": "tool", "tool": "search"},
                                       {"name": "u", "kind": "url", "pattern": "example\\.org/cart", "weight": 3}]}},
            {"name": "tools", "reward": "tool_success", "weight": 1.0,
             "params": {"outcome": "ms", "gate": 0.5, "success_reward": 0.2, "failure_penalty": -0.1}},
        ],
    }
    rows = [
        {"prompt": "buy", "completion": "done", "steps": [
            {"content": "search", "tool_calls": [{"name": "search", "arguments": {"q": "x"}}], "observation": "ok"},
            {"content": "open", "tool_calls": [{"name": "open", "arguments": {"url": "https://example.org/cart"}}],
             "observation": "Error: timeout"},
        ]},
        {"prompt": "buy", "completion": "gave up", "steps": [
            {"content": "search", "tool_calls": [{"name": "search", "arguments": {}}], "observation": "ok"}]},
    ]
    with Engine(spec, cache=False) as eng:
        a, b = eng.score(rows)
    assert a.components["ms"] == pytest.approx(1.0)
    assert a.value == pytest.approx(1.0 + (0.2 - 0.1) / 2)  # outcome 1.0 passes the gate: mean of the step rewards
    assert b.components["ms"] == pytest.approx(0.25)
    assert b.value == pytest.approx(0.25)  # gate not reached: step rewards dropped (G-RA)


def test_search_cost_abstention() -> None:
    from rewardsmith.process.agent import search_cost
    from rewardsmith.types import ToolCall

    calls = [ToolCall("search", {})] * 3
    assert search_cost("Paris", calls, None, {"correct": 1.0}, price=0.05, free_calls=1).value == pytest.approx(0.9)
    r = search_cost("I don't know", calls, None, {"correct": 0.0}, price=0.05, abstain_reward=0.3)
    assert r.value == pytest.approx(0.3 - 0.15) and r.components["abstained"] == 1.0


def test_search_cost_defaults_rank_correct_over_abstain_over_wrong() -> None:
    """MASH with defaults: an abstention must pay more than a wrong answer and less than a right one, or
    there is no reason to abstain (before: both 0.0)."""
    from rewardsmith.process.agent import search_cost

    correct = search_cost("Paris", [], None, {"correct": 1.0}).value
    wrong = search_cost("Lyon", [], None, {"correct": 0.0}).value
    for says in ("I don't know", "I don\u2019t know.", "I can't answer", "I cannot answer that question.",
                 "Sorry, I do not know.", "<think>no idea</think><answer>I don\u2019t know</answer>",
                 "Searched twice, found nothing useful.\nI don't know."):
        r = search_cost(says, [], None, {"correct": 0.0})
        assert r.components["abstained"] == 1.0, says
        assert correct > r.value > wrong, (says, r.value)
    # searches are charged to an abstention too: searching and then giving up never beats giving up at once
    from rewardsmith.types import ToolCall

    assert search_cost("I don't know", [ToolCall("search", {})] * 2, None, {"correct": 0.0}).value == pytest.approx(0.5 - 0.2)


@pytest.mark.parametrize(
    "answer",
    [
        "I don't know for sure, but Paris",
        "I don\u2019t know the exact year, but it is Paris.",
        "I can't answer with certainty; the capital is Paris.",
        "At first I did not know. Paris",
    ],
)
def test_search_cost_an_answer_after_a_doubt_is_not_an_abstention(answer: str) -> None:
    from rewardsmith.process.agent import search_cost

    r = search_cost(answer, [], None, {"correct": 1.0})
    assert r.components["abstained"] == 0.0 and r.value == 1.0


def test_split_modes_spans() -> None:
    text = "Step 1: a\nb\nStep 2: c"
    spans = split_steps(text, "step_marker")
    assert [text[s.start:s.end] for s in spans] == ["Step 1: a\nb", "Step 2: c"]
    assert [s.text for s in split_steps("x;y;z", "regex", pattern=";")] == ["x", ";y", ";z"]


def test_text_milestone_is_reached_by_the_environment_not_by_saying_so() -> None:
    """The cheapest way to reach every text milestone is to write them all; only what the environment
    returned counts by default (``source: policy`` opts in to the policy's own words)."""
    from rewardsmith.process.agent import milestones_rule
    from rewardsmith.types import Step, ToolCall

    ms = [{"name": "cart", "kind": "text", "pattern": "added to cart"}, {"name": "paid", "kind": "text", "pattern": "(?i)payment accepted"}]
    claim = "Item added to cart. Payment accepted. Order #1 placed."
    said = milestones_rule(claim, [Step("thinking", observation=None)], [], {}, ms)
    assert said.value == 0.0 and said.components == {"cart": 0.0, "paid": 0.0}
    did = [Step("add", tool_calls=[ToolCall("add_to_cart")], observation="Item added to cart"),
           Step("pay", tool_calls=[ToolCall("pay")], observation="Error: card declined")]
    r = milestones_rule("done, payment accepted", did, [], {}, ms)
    assert r.components == {"cart": 1.0, "paid": 0.0} and r.value == 0.5
    policy_ms = [{**m, "source": "policy"} for m in ms]
    assert milestones_rule(claim, None, [], {}, policy_ms).value == 1.0


def test_tool_success_pays_no_call_spray() -> None:
    """100 calls that cannot fail used to add +10 to a correct outcome; the mean keeps it within one step reward."""
    from rewardsmith.process.agent import tool_success
    from rewardsmith.types import Step, ToolCall

    one = [Step("look", tool_calls=[ToolCall("search", {"q": "x"})], observation="ok"), Step("answer")]
    spray = [Step(f"look {i}", tool_calls=[ToolCall("search", {"q": str(i)})], observation="ok") for i in range(100)]
    assert tool_success(spray, {"correct": 1.0}, outcome="correct", accumulate="sum").value == pytest.approx(11.0)
    assert tool_success(spray, {"correct": 1.0}, outcome="correct").value == pytest.approx(1.1)
    assert tool_success(one, {"correct": 1.0}, outcome="correct").value == pytest.approx(1.1)
