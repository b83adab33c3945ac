"""QA (SQuAD normalisation, several golds) and multiple-choice rewards on hand-checked values."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import Status
from rewardsmith.verifiers.choice import choice
from rewardsmith.verifiers.qa import qa_contains, qa_em, qa_f1, squad_normalize


def test_squad_normalisation() -> None:
    assert squad_normalize("  The Eiffel-Tower!! ") == "eiffeltower"
    assert squad_normalize("An apple, a pear and THE plum.") == "apple pear and plum"


def test_qa_em_best_of_golds_and_answer_tag() -> None:
    assert qa_em("<think>It is in Paris.</think><answer>The Eiffel Tower</answer>", ["Tour Eiffel", "eiffel tower"]) == 1.0
    assert qa_em("Eiffel Tower in Paris", ["eiffel tower"]) == 0.0
    assert qa_em("Answer: Denver Broncos", {"text": ["Denver Broncos"]}, pattern=r"Answer:\s*(.+)") == 1.0


def test_qa_f1_hand_computed() -> None:
    # pred tokens: denver broncos won ; gold: denver broncos -> P=2/3, R=1, F1=0.8
    assert qa_f1("Denver Broncos won", ["Denver Broncos"]).value == pytest.approx(0.8)
    # best gold wins: "carolina panthers" shares nothing, "broncos" gives P=1/3 R=1 -> 0.5
    assert qa_f1("Denver Broncos won", ["Carolina Panthers", "Broncos"]).value == pytest.approx(0.5)
    assert qa_f1("nothing here", ["Broncos"]).value == 0.0


def test_qa_contains_whole_words() -> None:
    assert qa_contains("The winner was the Denver Broncos in 2016.", ["Denver Broncos"]).value == 1.0
    assert qa_contains("Broncosaurus", ["Broncos"]).value == 0.0


# The cheapest way to collect a containment or overlap reward without knowing the answer: list candidates.
SPRAYS = [
    ("Paris London Berlin Rome Madrid", "Berlin"),
    ("Paris, London, Berlin, Rome, Madrid", "Berlin"),
    ("Berlin or Paris", "Berlin"),
    ("Berlin / Paris", "Berlin"),
    ("It is Paris, Berlin, or Rome.", "Berlin"),
    ("Paris\nLondon\nBerlin", "Berlin"),
    ("- Paris\n- London\n- Berlin", "Berlin"),
    ("1. Paris 2. London 3. Berlin", "Berlin"),
    ("Paris. London. Berlin.", "Berlin"),
    ("Berlin, maybe Paris", "Berlin"),
    ("41 42 43 44", "42"),
    ("42, 43", "42"),
    ("between 40 and 45", "45"),
    ("It is 42 (or 43).", "42"),
    ("blue, green, red or yellow", "green"),
    ("<answer>Paris London Berlin Rome</answer>", "Rome"),
]
HONEST = [
    ("The capital of Germany is Berlin, a city of 3.7M people.", "Berlin"),
    ("I think it was Barack Obama, in 2009.", "Obama"),
    ("The winner was the Denver Broncos in 2016.", "Denver Broncos"),
    ("Berlin, Germany", "Berlin"),
    ("Washington, D.C.", "Washington"),
    ("The 2016 Super Bowl was won by the Denver Broncos, who beat the Carolina Panthers 24-10.", "Denver Broncos"),
    ("The answer is 42, since 6 times 7 is 42.", "42"),
    ("16 - 3 - 4 = 9 eggs, so 9 * 2 = 18 dollars", "18"),
    ("The sky is blue and the grass is green", "green"),
    ("Obama, that is Barack Obama", "Obama"),
]


@pytest.mark.parametrize("completion, gold", SPRAYS)
def test_qa_contains_pays_no_spray(completion: str, gold: str) -> None:
    assert qa_contains(completion, [gold], hedges="allow").value == 1.0  # the classic metric pays it
    r = qa_contains(completion, [gold])
    assert r.value == 0.0 and r.reason is not None and "a hedge scores 0" in r.reason


@pytest.mark.parametrize("completion, gold", HONEST)
def test_qa_contains_pays_honest_statements(completion: str, gold: str) -> None:
    assert qa_contains(completion, [gold]).value == 1.0


@pytest.mark.parametrize("completion, gold", SPRAYS)
def test_qa_f1_pays_no_spray(completion: str, gold: str) -> None:
    assert qa_f1(completion, [gold], hedges="allow").value > 0.0
    assert qa_f1(completion, [gold]).value == 0.0


def test_qa_f1_spray_of_partial_matches() -> None:
    # the spray need not hold the whole gold: any of its words listed with other candidates is a hedge
    assert qa_f1("Broncos, Panthers, Patriots", ["Denver Broncos"], hedges="allow").value == pytest.approx(0.4)
    assert qa_f1("Broncos, Panthers, Patriots", ["Denver Broncos"]).value == 0.0
    assert qa_f1("the Broncos", ["Denver Broncos"]).value == pytest.approx(2 / 3)


def test_qa_contains_keeps_correct_gsm8k_solutions(shared_data: Path) -> None:
    """Every human-checked correct GSM8K model solution contains its answer; the hedge check must not take
    that away from reasoning full of other numbers (16 - 3 - 4 = 9, 5:00, 84/12, $4.00 ...)."""
    total = kept = 0
    for line in (shared_data / "gsm8k" / "model_solutions.jsonl").read_text().splitlines():
        row = json.loads(line)
        gold = row["ground_truth"].split("A:")[-1].strip()
        for value in row.values():
            if isinstance(value, dict) and value.get("is_correct"):
                total += 1
                assert qa_contains(value["solution"], [gold], hedges="allow").value == 1.0
                kept += qa_contains(value["solution"], [gold]).value == 1.0
    assert total == 2001
    assert kept >= 1995  # 1998 measured: three solutions juxtapose numbers ("6 5 dollar bills", "5 8 point bucks")


def test_qa_abstains_without_gold() -> None:
    with Engine({"components": [{"name": "em", "reward": "qa_em"}]}, cache=False) as engine:
        r = engine.score([{"prompt": "q", "completion": "x", "reference": []}, {"prompt": "q", "completion": "x"}])
    assert [x.status for x in r] == [Status.ABSTAIN, Status.ABSTAIN]


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("The answer is (B).", 1.0),
        (r"Thus $\boxed{\text{(B)}}$", 1.0),
        (r"\boxed{B}", 1.0),
        ("Answer: B", 1.0),
        ("answer: b", 1.0),
        ("After checking each option, (A) fails and (B) works.\nB", 1.0),
        ("B. Because the mitochondria produces ATP", 1.0),
        ("The answer is (C).", 0.0),
        ("I cannot decide.", 0.0),
        ("<answer>Mitochondria</answer>", 1.0),
    ],
)
def test_choice_formats(completion: str, expected: float) -> None:
    options = ["Nucleus", "Mitochondria", "Ribosome", "Golgi apparatus"]
    assert choice(completion, "B", {"options": options}).value == expected


def test_choice_reference_as_index_or_text() -> None:
    meta = {"choices": ["red", "blue", "green"]}
    assert choice("Answer: C", 2, meta).value == 1.0
    assert choice("Answer: C", "green", meta).value == 1.0
    assert choice("I pick blue", "blue", meta).value == 1.0
    with Engine({"components": [{"name": "c", "reward": "choice"}]}, cache=False) as engine:
        bad = engine.score([{"prompt": "q", "completion": "A", "reference": "purple", "metadata": meta}])[0]
    assert bad.status is Status.ABSTAIN


OPTIONS = {"options": ["Nucleus", "Mitochondria", "Ribosome", "Golgi apparatus"]}


@pytest.mark.parametrize(
    "hedge",
    [
        "The answer is A or B",
        "Answer: A, B, C, D",
        "The answer is (A), (B), (C) or (D).",
        "answer: a/b",
        r"\boxed{A} or \boxed{B}",
        r"So $\boxed{\text{(A)}}$ ... $\boxed{B}$",
        r"\boxed{A, B}",
        "<answer>(A) or (B)</answer>",
        "<answer>A and B</answer>",
        "After checking each option:\nA or B",
        "It is Mitochondria or Nucleus.",
        "I pick both A and B.",
    ],
)
def test_choice_hedge_scores_zero_whatever_the_gold(hedge: str) -> None:
    """Several letters in the place the answer is stated: 0 for every gold letter, with the reason."""
    results = [choice(hedge, gold, OPTIONS) for gold in "ABCD"]
    assert [r.value for r in results] == [0.0] * 4, hedge
    assert all(r.reason for r in results)


@pytest.mark.parametrize(
    "honest, gold",
    [
        ("A. Nucleus\nB. Mitochondria\nC. Ribosome\nD. Golgi apparatus\n\nThe nucleus stores DNA, so the answer is A.", "A"),
        ("(A) Nucleus is wrong, (B) Mitochondria makes ATP, (C) and (D) do not.\nAnswer: B", "B"),
        ("A. Nucleus", "A"),
        ("The answer is B, the mitochondria.", "B"),
        ("The answer is B and C is a distractor.", "B"),
        ("The answer is a bit subtle: option (C) fits.", "C"),
        ("Answer: **(D)**", "D"),
        ("Options A and C are wrong. The answer is (B).", "B"),
        ("The answer is I think B.", "B"),
        ("The answer is clearly (B), not (A).", "B"),
    ],
)
def test_choice_quoted_options_are_not_a_hedge(honest: str, gold: str) -> None:
    """Options quoted or discussed while reasoning do not count as choices: the stated answer scores 1."""
    assert choice(honest, gold, OPTIONS).value == 1.0, honest


def test_choice_reads_real_model_answers(shared_data: Path) -> None:
    """Real MMLU-Pro responses from JudgeBench (GPT-4o and Claude pairs) end with their answer letter written
    five times ("FFFFF"); with that line cut off, choice must read the same letter from the reasoning's own
    statement. Measured: 430 of 447 (the reader before the hedge rule: 414); the rest state no letter at
    all or name two answers ("the correct answers are (H) and (J)")."""
    five = re.compile(r"([A-J])\1{4}\s*$")
    agree = total = 0
    for name in ("gpt-4o-2024-05-13.jsonl", "claude-3-5-sonnet-20240620.jsonl"):
        for line in (shared_data / "judgebench" / name).read_text().splitlines():
            row = json.loads(line)
            if not row["source"].startswith("mmlu-pro"):
                continue
            for side in ("A", "B"):
                text = row[f"response_{side}"].strip()
                m = five.search(text)
                if m:
                    total += 1
                    agree += choice(text[: m.start()], m.group(1), {}).value == 1.0
    assert total == 447
    assert agree / total >= 0.95, (agree, total)
