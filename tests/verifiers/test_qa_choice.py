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
    assert qa_f1("Denver Broncos won", ["Denver Broncos"]) == pytest.approx(0.8)
    # best gold wins: "carolina panthers" shares nothing, "broncos" gives P=1/3 R=1 -> 0.5
    assert qa_f1("Denver Broncos won", ["Carolina Panthers", "Broncos"]) == pytest.approx(0.5)
    assert qa_f1("nothing here", ["Broncos"]) == 0.0


def test_qa_contains_whole_words() -> None:
    assert qa_contains("The winner was the Denver Broncos in 2016.", ["Denver Broncos"]) == 1.0
    assert qa_contains("Broncosaurus", ["Broncos"]) == 0.0


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
