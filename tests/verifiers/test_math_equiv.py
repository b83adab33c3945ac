"""math_equiv: label agreement on the public equivalence set and on GSM8K model solutions, the issue's false
accepts and misses, hedges that must earn nothing, the engine path, bad input, pathological input, and time
limits in the main thread, threads, asyncio and worker processes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import RewardResult, Status
from rewardsmith.verifiers.math import cas, extract_answer, is_equiv, math_equiv, reference_answer, verify
from tests.verifiers import math_peer_suite
from tests.verifiers.math_hedges import HEDGES

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


def test_peer_suite_agreement_at_least_math_verify_with_no_false_accepts() -> None:
    """Math-Verify's own 270 test cases, both checkers in this run. Two (gold, pred) pairs appear twice with
    opposite labels (the label depends on a non-default option), so each checker can agree with only one of
    each; a false accept counts unless the same pair is also labelled equal."""
    cases = math_peer_suite.load_cases()
    assert len(cases) == 270
    rows = math_peer_suite.run(cases, cas_seconds=60.0)  # the verdicts, not the speed: no load-made timeouts
    ours, theirs = math_peer_suite.tally(rows)
    labels: dict[tuple[str, str], set[int]] = {}
    for c in cases:
        labels.setdefault((c["gold"], c["pred"]), set()).add(c["expected"])
    both_ways = {pair for pair, seen in labels.items() if seen == {0, 1}}
    assert len(both_ways) == 2
    false_accepts = [r.case["id"] for r in rows if r.ours and not r.case["expected"]
                     and (r.case["gold"], r.case["pred"]) not in both_ways]
    assert false_accepts == []
    assert ours.agree >= theirs.agree, (ours, theirs)
    assert ours.no_verdict == 0, [(r.case["id"], r.reason) for r in rows if r.ours is None]  # every gold parses


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
        (r"At first $\boxed{11}$, but fixing it: $\boxed{-11}$.", "-11"),  # a correction: the last box
        (r"It is $\boxed{8}$ or maybe $\boxed{9}$.", None),  # a hedge between boxes
        (r"It is $\boxed{8}$. Or perhaps $\boxed{9}$.", None),
        (r"$\boxed{8 \text{ or } 9}$", r"8 \text{ or } 9"),  # one box with a list: compared as a list
        (r"The roots are $\boxed{-2}$ and $\boxed{1}$.", "-2, 1"),  # boxes joined by "and": one list answer
        (r"$\boxed{1},\boxed{2},\boxed{3}$", "1, 2, 3"),
        (r"$y_1 = \boxed{2x}$ and $y_2 = \boxed{3x}$", "2x, 3x"),
        ("9 + 3 = 12\n#### 12", "12"),
        ("13 * 2 = 26\nA: 26", "26"),
        ("Final Answer: 130", "130"),
        ("Final Answer: The final answer is $5$. I hope it is correct.", "5"),
        ("Final Answer: The largest $n$ is 34.", "34"),
        (r"$\boxed{255}$ is the interest. Final Answer: The final answer is $10,455$.", "10,455"),
        (r"So $\boxed{5}$. I hope the answer is correct.", "5"),
        ("The answer is 24.", "24"),
        ("So she has 26 left.", "26"),
        ("So the probability is 2/3.", "2/3"),
        (r"Therefore $x = \frac{3}{4}$.", r"x = \frac{3}{4}"),
        (r"We get $\frac{1+\sqrt{5}}{2}$.", r"\frac{1+\sqrt{5}}{2}"),  # the whole expression, not its last digit
        (r"The area is $6\sqrt{3}$ square units.", r"6\sqrt{3}"),
        ("It costs $5 and then $3 more, so 8 in all.", "8"),
        ("Answer $ \n 9 \n $", None),  # an inline span across lines is broken math: no digit taken from it
        ("The code is AZYUK2A", None),  # a digit inside a word is not a number
        ("the number is not 10 which is 1,000.99€", "1,000.99"),
        ("7,425,000", "7,425,000"),  # a bare answer is taken whole
        (r"-\frac{10}{9}", r"-\frac{10}{9}"),
        (r"$\boxed{\boxed{5}}$", "5"),  # a box in a box is one answer
        (r"Thus $k = 3$. $\blacksquare$", "k = 3"),  # an end-of-proof mark is not an answer
        ("It is 10^3", "10^3"),
        ("So 5", "5"),  # a word, then the answer: not a bare answer "So 5"
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
        ("0.0833333333333333", r"\frac{1}{12}", True),  # a decimal to 6+ places, right to its last place
        ("0.083334", r"\frac{1}{12}", False),
        (r"2\frac{1}{4}", "2.25", True),
        ("1,000,000", "1000000", True),
        (r"10,\!000", "10000", True),
        (r"14{,}916", "14916", True),
        (r"11,\! 111,\! 111,\! 100", "11111111100", True),
        ("2\u2009500", "2500", True),
        ("1 000", "1000", True),
        ("(1,500)", "1500", False),  # a pair, not a thousands number
        ("1,22", "1.22", True),  # a lone number with a decimal comma
        (r"1.5\times 10^{3}", "1500", True),
        ("1.5e3", "1500", True),
        (r"0.1\overline{6}", r"\frac{1}{6}", True),
        (r"\$18.00", "18", True),
        ("18 dollars", "18", True),
        ("28 percent", r"28\%", True),
        (r"15\mbox{ cm}^2", "15", True),
        ("(B)", "B", True),
        ("(C)", "B", False),
        (r"x \ge 2", r"[2,\infty)", True),
        (r"x > 2", r"[2,\infty)", False),
        (r"5 \geq x", r"x \leq 5", True),  # inequalities both ways
        ("x >= 5", r"x \geq 5", True),
        (r"x \lt 3", "x < 3", True),
        ("-x >= -1", "x <= 1", True),
        (r"0 \le x < 100", "[0,100)", True),
        ("[0,100)", "[0,100]", False),
        (r"-793 < a < 10", "(-793, 10)", True),
        (r"y=-\frac{1}{2}x+\frac{3}{4}", "2x+4y-3=0", True),  # equations compared as relations
        (r"y=-\frac{1}{2}x+\frac{3}{5}", "2x+4y-3=0", False),
        (r"\pi", "3.14", False),
        (r"e^{\ln 3}", "3", True),
        ("(1+i)^2", "2i", True),
        ("(1+i)^2", "-2i", False),
        (r"\{1, 2\}", r"\{2, 1\}", True),
        ("(1, 2)", "(2, 1)", False),
        (r"-2, 1", "1,-2", True),  # a solution list is unordered
        (r"\{-2021, 2021\}", r"\pm 2021", True),
        (r"1 \pm \sqrt{19}", r"1\pm\sqrt{19}", True),
        ("k = 45, n = 2", "n = 2, k = 45", True),  # labelled values match by label
        ("k = 2, n = 45", "n = 2, k = 45", False),
        ("4, 5", "AB=4,CD=5", True),  # against labels: in order
        ("5, 4", "AB=4,CD=5", False),
        ("(5,2),(7,2)", "p=5,q=2;p=7,q=2", True),
        (r"\begin{pmatrix}1 & 2\\3 & 4\end{pmatrix}", r"\begin{pmatrix}1 & 2\\3 & 5\end{pmatrix}", False),
        (r"\left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right]", r"\begin{pmatrix}1 & 2 \\3 & 4\end{pmatrix}", True),
        (r"90^\circ", "90", True),
        (r"(1, +\infty)", r"(1,\infty)", True),
        (r"\varnothing", r"\emptyset", True),
        (r"\textbf{(B) } 12", "B", True),  # an option letter with its value
        ("(B) or (C)", "B", False),
        ("Monday", "monday", True),
        ("Monday", "Tuesday", False),
        ("1, 2, 3", "2", False),
        ("x = 5", "y = 5", False),
    ],
)
def test_is_equiv(pred: str, ref: str, equal: bool) -> None:
    assert is_equiv(pred, ref) is equal


@pytest.mark.parametrize(
    "completion, reference, expected",
    [
        # the issue's false accepts: each must score 0
        (r"We get $\frac{1+\sqrt{5}}{2}$.", "2", False),
        (r"The area is $6\sqrt{3}$.", "3", False),
        (r"$\boxed{1, 2, and 5}$", "3, 4, and 5", False),
        (r"$\boxed{(1,500)}$", "1500", False),
        (r"$\boxed{-2}$", r"\(\boxed{1}\) and \(\boxed{-2}\).", False),
        # more digits from inside an expression
        ("We get 5 - 3.", "3", False),
        ("The ratio is 3:4.", "4", False),
        ("So it is 3*4.", "4", False),
        (r"$\boxed{4 \boxed{5}}$", "5", False),
        # the issue's misses: each must score 1
        (r"$\boxed{10,\!000}$", "10000", True),
        (r"$\boxed{14{,}916}$", "14916", True),
        (r"Therefore $x = \frac{3}{4}$.", "3/4", True),
        ("Final Answer: The largest $n$ is 34.", "34", True),
        ("So the probability is 2/3.", "2/3", True),
        (r"$\boxed{5 \geq x}$", r"x \leq 5", True),
        (r"The set is $\boxed{[0,100)}$.", r"0 \le x < 100", True),
        (r"$\boxed{1, -2}$", r"\(\boxed{1}\) and \(\boxed{-2}\).", True),
        (r"The integers are $\boxed{-2}$ and $\boxed{1}$.", r"n = \boxed{1,-2}", True),
        (r"$\boxed{(98, 2)} \quad \text{and} \quad \boxed{(99, 503)}$", "(98, 2), (99, 503)", True),
        (r"$\boxed{\$16,\!386.20}$", "16386.20", True),
        # solution sets and units
        (r"$\boxed{x=2 \text{ or } x=3}$", "2, 3", True),
        (r"$\boxed{x < 2 \text{ or } x > 3}$", r"(-\infty,2)\cup(3,\infty)", True),  # inequalities joined by "or"
        (r"$\boxed{x \le -1 \text{ or } x \ge 1}$", r"(-\infty,-1)\cup(1,\infty)", False),
        (r"$\boxed{\frac{1}{2}}$ or equivalently $\boxed{0.5}$", "1/2", True),  # one value twice: no hedge
        ("It takes 2 1/2 hours.", "2.5", True),
        (r"She earns \$18 every day.", "18", True),
        (r"$\boxed{x=2, x=-3}$", "-3, 2", True),
        (r"$\boxed{2 \text{ or } 3}$", r"\{2, 3\}", True),
        (r"$\boxed{12 \text{ cm}^2}$", "12", True),
        ("The answer is −3.", "-3", True),
    ],
)
def test_issue_cases(completion: str, reference: str, expected: bool) -> None:
    assert verify(completion, reference) is expected




@pytest.mark.parametrize("completion, reference, what", HEDGES, ids=[h[2] for h in HEDGES])
def test_hedges_earn_nothing(completion: str, reference: str, what: str) -> None:
    result = math_equiv(completion, reference)
    assert result.status is Status.OK and result.value == 0.0, (what, result)


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
    listed = math_equiv(r"$\boxed{8 \text{ or } 9}$", "9")
    assert listed.value == 0.0 and "hedge" in (listed.reason or "")
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
        "$" * 10_000_000,
        "\\(" * 5_000_000,
        r"\boxed{" + r"\frac{1}{" * 400 + "2" + "}" * 400 + "}",
        r"\boxed{" + "+".join(rf"\frac{{1}}{{{i}}}" for i in range(1, 300)) + "}",
        r"\boxed{9^{9^{9^{9}}}}",
        r"\boxed{2^{1000000000}}",
        r"\boxed{100000!}",
        r"\boxed{" + "(" * 3000 + "1" + ")" * 3000 + "}",
    ],
    ids=[
        "10MB", "10MB-no-box", "10MB-braces", "10MB-dollars", "10MB-parens", "nested-frac", "frac-bomb", "tower",
        "huge-power", "factorial", "parens",
    ],
)
def test_pathological_inputs_end_within_the_engine_timeout(completion: str) -> None:
    """Each runs through the engine's worker process with a 10 s hard timeout: ok (0 or 1) or error, never a hang."""
    spec = {"name": "t", "components": [{"name": "m", "reward": "math_equiv", "timeout": 10}]}
    with Engine(spec, workers=1, cache=False) as engine:
        result = engine.score([{"prompt": "q", "completion": completion, "reference": "5"}])[0]
    assert result.status in (Status.OK, Status.ERROR)
    if completion.startswith("x "):
        assert result.value == 1.0


#: A correct answer whose symbolic comparison cannot finish: an error (timeout), never ok 0.0.
_SLOW = (r"$\boxed{\sum_{j=1}^{999} j^{999}}$", r"\sum_{k=1}^{999} k^{999}")


def _is_timeout(result: RewardResult) -> bool:
    return result.status is Status.ERROR and "timeout" in (result.reason or "")


def test_timeout_is_an_error_in_the_main_thread() -> None:
    assert threading.current_thread() is threading.main_thread()
    result = math_equiv(*_SLOW, cas_seconds=1.0)
    assert _is_timeout(result), result
    after = math_equiv(r"$\boxed{x^2-4}$", "(x-2)(x+2)")  # a fresh worker takes the killed one's place
    assert after.status is Status.OK and after.value == 1.0


def test_timeout_is_an_error_in_threads() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: math_equiv(*_SLOW, cas_seconds=1.0), range(2)))
    assert all(_is_timeout(r) for r in results), results


def test_timeout_is_an_error_in_asyncio() -> None:
    async def main() -> tuple[RewardResult, RewardResult]:
        direct = math_equiv(*_SLOW, cas_seconds=1.0)
        threaded = await asyncio.to_thread(math_equiv, *_SLOW, cas_seconds=1.0)
        return direct, threaded

    direct, threaded = asyncio.run(main())
    assert _is_timeout(direct) and _is_timeout(threaded), (direct, threaded)


def test_timeout_is_an_error_in_worker_processes() -> None:
    spec = {"name": "t", "components": [{"name": "m", "reward": "math_equiv", "params": {"cas_seconds": 1.0}}]}
    with Engine(spec, workers=2, cache=False) as engine:
        results = engine.score([{"prompt": "q", "completion": _SLOW[0], "reference": _SLOW[1]}] * 2
                               + [{"prompt": "q", "completion": r"$\boxed{\frac{3}{4}}$", "reference": "0.75"}])
    assert [r.status for r in results] == [Status.ERROR, Status.ERROR, Status.OK]
    assert all("timeout" in (r.reason or "") for r in results[:2]) and results[2].value == 1.0


def test_unevaluable_answer_for_a_number_is_a_zero_not_an_error() -> None:
    """A tower the policy writes for a plain-number reference is decided from the text (no load involved): a zero,
    so that an answer nobody can evaluate cannot turn a wrong answer into a masked error."""
    tower = math_equiv(r"$\boxed{9^{9^{9^{9}}}}$", "5")
    assert tower.status is Status.OK and tower.value == 0.0 and "too large" in (tower.reason or "")
    same = math_equiv(r"$\boxed{10^{10^{10}}}$", r"10^{10^{10}}")
    assert same.status is Status.OK and same.value == 1.0


def test_worker_start_up_is_not_taken_from_the_budget() -> None:
    """A fresh CAS worker imports sympy and warms up (well over a second); the comparison still gets its own
    ``cas_seconds``."""
    cas.shutdown()
    before = cas.worker_starts()
    result = math_equiv(r"$\boxed{\frac{\sqrt{3}}{2}}$", r"\frac{3}{2\sqrt{3}}", cas_seconds=1.0)
    assert cas.worker_starts() == before + 1
    assert result.status is Status.OK and result.value == 1.0, result


def test_cas_worker_is_killed_at_its_deadline() -> None:
    assert cas.equal("2", "2", deadline=time.monotonic() + 60) == (True, "symbolic")  # a live worker
    before = cas.worker_starts()
    with pytest.raises(cas.CasTimeout):
        cas.equal(r"\sum_{j=1}^{999} j^{999}", r"\sum_{k=1}^{999} k^{999}", deadline=time.monotonic() + 1)
    assert cas.worker_starts() == before
    assert cas.equal(r"\frac{1}{2}", "0.5", deadline=time.monotonic() + 60) == (True, "symbolic")
    assert cas.worker_starts() == before + 1  # the killed worker was replaced once


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
