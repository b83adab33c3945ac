"""math_equiv: label agreement on the public equivalence set and on GSM8K model solutions, the engine
path, bad input, pathological input, thread and asyncio safety."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import Status
from rewardsmith.verifiers.math import extract_answer, is_equiv, math_equiv, reference_answer, verify

REPO = Path(__file__).resolve().parents[2]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def public_rows(shared_data: Path) -> list[dict]:
    return _jsonl(shared_data / "math_equiv" / "public.jsonl")


@pytest.fixture(scope="module")
def gsm8k_solutions(shared_data: Path) -> list[tuple[str, str, bool]]:
    out = []
    for row in _jsonl(shared_data / "gsm8k" / "model_solutions.jsonl"):
        for value in row.values():
            if isinstance(value, dict):
                out.append((value["solution"], row["ground_truth"], bool(value["is_correct"])))
    return out


def test_public_set_all_rows_agree(public_rows: list[dict]) -> None:
    assert len(public_rows) == 57
    wrong = [(r["id"], r["note"]) for r in public_rows if verify(r["completion"], r["reference"]) != r["label"]]
    assert wrong == []


def test_gsm8k_model_solutions_agree_with_human_labels(gsm8k_solutions: list[tuple[str, str, bool]]) -> None:
    assert len(gsm8k_solutions) == 5276
    wrong = [i for i, (sol, ref, label) in enumerate(gsm8k_solutions) if verify(sol, ref) is not label]
    assert wrong == []
    assert sum(label for _, _, label in gsm8k_solutions) > 1000  # both classes are really present


def test_gsm8k_test_answers_hash_style(shared_data: Path) -> None:
    rows = _jsonl(shared_data / "gsm8k" / "test.jsonl")
    for row in rows:
        number = row["answer"].rsplit("####", 1)[1].strip()
        assert reference_answer(row["answer"]) == number
        assert verify(row["answer"], number) is True
        assert verify(f"The answer is {number}.", row["answer"]) is True
        assert verify("#### 987654321", row["answer"]) is False


@pytest.mark.parametrize(
    "text, expected",
    [
        (r"We get $\boxed{\frac{1}{2}}$.", r"\frac{1}{2}"),
        (r"\fbox{42} is it", "42"),
        (r"At first $\boxed{11}$, but fixing it: $\boxed{-11}$.", "-11"),
        (r"It is $\boxed{8}$ or maybe $\boxed{9}$.", None),
        (r"$\boxed{8 \text{ or } 9}$", None),
        ("9 + 3 = 12\n#### 12", "12"),
        ("13 * 2 = 26\nA: 26", "26"),
        ("Final Answer: 130", "130"),
        ("Final Answer: The final answer is $5$. I hope it is correct.", "5"),
        ("The answer is 24.", "24"),
        ("So she has 26 left.", "26"),
        ("Thought process:", None),
        ("", None),
    ],
)
def test_extract_answer(text: str, expected: str | None) -> None:
    assert extract_answer(text) == expected


def test_extract_answer_options() -> None:
    assert extract_answer("So she has 26 left.", fallback="none") is None
    assert extract_answer(r"$\boxed{8}$ or maybe $\boxed{9}$", hedge="last") == "9"
    assert extract_answer("ANSWER<<7>> and 12", pattern=r"ANSWER<<(\d+)>>") == "7"


@pytest.mark.parametrize(
    "pred, ref, equal",
    [
        ("3/5", "0.6", True),
        ("0.67", r"\frac{2}{3}", False),
        (r"2\frac{1}{4}", "2.25", True),
        ("1,000,000", "1000000", True),
        (r"1.5\times 10^{3}", "1500", True),
        ("1.5e3", "1500", True),
        (r"0.1\overline{6}", r"\frac{1}{6}", True),
        (r"\$18.00", "18", True),
        ("18 dollars", "18", True),
        ("(B)", "B", True),
        ("(C)", "B", False),
        (r"x \ge 2", r"[2,\infty)", True),
        (r"x > 2", r"[2,\infty)", False),
        (r"\pi", "3.14", False),
        (r"e^{\ln 3}", "3", True),
        ("(1+i)^2", "2i", True),
        ("(1+i)^2", "-2i", False),
        (r"\{1, 2\}", r"\{2, 1\}", True),
        ("(1, 2)", "(2, 1)", False),
        (r"\begin{pmatrix}1 & 2\\3 & 4\end{pmatrix}", r"\begin{pmatrix}1 & 2\\3 & 5\end{pmatrix}", False),
        ("Monday", "monday", True),
        ("Monday", "Tuesday", False),
        ("1, 2, 3", "2", False),
    ],
)
def test_is_equiv(pred: str, ref: str, equal: bool) -> None:
    assert is_equiv(pred, ref) is equal


@pytest.mark.parametrize(
    "completion, reference, expected",
    [
        (r"$\boxed{x=2 \text{ or } x=3}$", "2, 3", True),  # both roots: a solution set, not a hedge
        (r"$\boxed{x=2 \text{ or } x=3}$", "2", False),  # single answer expected: a hedge
        ("The answer is 8 or 9.", "9", False),
        (r"$\boxed{x=2, x=-3}$", "-3, 2", True),
        (r"$\boxed{2 \text{ or } 3}$", r"\{2, 3\}", True),
        (r"$\boxed{12 \text{ cm}^2}$", "12", True),
        ("The answer is −3.", "-3", True),
    ],
)
def test_hedges_solution_sets_and_units(completion: str, reference: str, expected: bool) -> None:
    assert verify(completion, reference) is expected


def test_tolerance_is_relative_and_off_by_default() -> None:
    assert is_equiv("3.1416", r"\pi") is False
    assert is_equiv("3.1416", r"\pi", tolerance=1e-4) is True
    assert is_equiv("101", "100", tolerance=0.001) is False
    assert is_equiv("100.05", "100", tolerance=0.001) is True


def test_reward_statuses() -> None:
    ok = math_equiv(r"$\boxed{5\sqrt{3}}$", r"\sqrt{75}")
    assert ok.status is Status.OK and ok.value == 1.0 and ok.info["answer"] == r"5\sqrt{3}"
    garbage = math_equiv("Thought process:", "2")
    assert garbage.status is Status.OK and garbage.value == 0.0 and "no final answer" in (garbage.reason or "")
    hedge = math_equiv(r"$\boxed{8}$ or maybe $\boxed{9}$", "9")
    assert hedge.value == 0.0 and "hedged" in (hedge.reason or "")
    bad_ref = math_equiv(r"$\boxed{3}$", r"\frac{1}{")
    assert bad_ref.status is Status.ABSTAIN and "could not be parsed" in (bad_ref.reason or "")
    assert math_equiv(r"$\boxed{3}$", None).status is Status.ABSTAIN
    assert math_equiv(r"$\boxed{3}$", ["4", "3"]).value == 1.0  # several acceptable references


@pytest.mark.parametrize(
    "completion",
    [
        "x " * 5_000_000 + r"\boxed{5}",
        "1 + " * 2_500_000,
        "{" * 10_000_000,
        r"\boxed{" + r"\frac{1}{" * 400 + "2" + "}" * 400 + "}",
        r"\boxed{" + "+".join(rf"\frac{{1}}{{{i}}}" for i in range(1, 300)) + "}",
        r"\boxed{9^{9^{9^{9}}}}",
        r"\boxed{2^{1000000000}}",
        r"\boxed{100000!}",
        r"\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}",
    ],
    ids=["10MB", "10MB-no-box", "10MB-braces", "nested-frac", "frac-bomb", "tower", "huge-power", "factorial", "parens"],
)
def test_pathological_inputs_end_within_the_engine_timeout(completion: str) -> None:
    """Each runs through the engine's worker process with a 10 s hard timeout: ok (0 or 1) or error, never a hang."""
    spec = {"name": "t", "components": [{"name": "m", "reward": "math_equiv", "timeout": 10}]}
    with Engine(spec, workers=1, cache=False) as engine:
        result = engine.score([{"prompt": "q", "completion": completion, "reference": "5"}])[0]
    assert result.status in (Status.OK, Status.ERROR)
    if completion.startswith("x "):
        assert result.value == 1.0


_CASES = [
    (r"$\boxed{\frac{\sqrt{3}}{2}}$", r"\frac{3}{2\sqrt{3}}", True),
    (r"$\boxed{x^2-4}$", "(x-2)(x+2)", True),
    (r"$\boxed{x^2+4}$", "(x+2)^2", False),
    (r"$\boxed{(5,\infty)\cup(-\infty,-5)}$", r"(-\infty,-5)\cup(5,\infty)", True),
    ("A: 26", "18", False),
    ("#### 12", "12", True),
    (r"$\boxed{\tan^2 x + 1}$", r"\sec^2 x", True),
] * 3


def test_thread_safety_same_answers_from_threads() -> None:
    expected = [label for _, _, label in _CASES]
    with ThreadPoolExecutor(max_workers=6) as pool:
        got = list(pool.map(lambda c: verify(c[0], c[1]), _CASES))
    assert got == expected
    assert threading.current_thread() is threading.main_thread()
    assert [verify(c, r) for c, r, _ in _CASES] == expected


def test_inside_asyncio_loop_and_to_thread() -> None:
    expected = [label for _, _, label in _CASES]

    async def main() -> tuple[list[bool | None], list[bool | None]]:
        direct = [verify(c, r) for c, r, _ in _CASES]
        threaded = await asyncio.gather(*(asyncio.to_thread(verify, c, r) for c, r, _ in _CASES))
        return direct, list(threaded)

    direct, threaded = asyncio.run(main())
    assert direct == expected and threaded == expected


def test_demo_sample_scored_by_default_spec(tmp_path: Path) -> None:
    rows = _jsonl(REPO / "src" / "rewardsmith" / "data" / "gsm8k_sample.jsonl")
    with Engine(REPO / "src" / "rewardsmith" / "specs" / "default.yaml", workers=2, cache=False) as engine:
        results = engine.score(rows)
    assert len(results) == 300
    got = [r.components["correct"] for r in results]
    assert got == [1.0 if row["metadata"]["is_correct"] else 0.0 for row in rows]
