"""Verdict parsing tolerates markdown and chatter, and reports (never guesses) what it cannot read."""

from __future__ import annotations

import pytest

from rewardsmith.judges.parsing import (
    VerdictParseError,
    parse_checklist,
    parse_choice,
    parse_ranking,
    parse_score,
    parse_yes_no,
)


@pytest.mark.parametrize(
    "text,expected",
    [
        ('{"score": 7}', 7.0),
        ('Here you go:\n```json\n{"explanation": "fine", "score": "8"}\n```\nHope it helps', 8.0),
        ("Reasoning... <score>3</score>", 3.0),
        ("**Score:** 9", 9.0),
        ("Rating: [[6]]", 6.0),
        ("I'd give it 4/10 overall.", 4.0),
        ("5", 5.0),
        ('First {"score": 2} then on reflection {"score": 6}', 6.0),
    ],
)
def test_scores(text: str, expected: float) -> None:
    assert parse_score(text, 1, 10) == expected


@pytest.mark.parametrize("text", ["no idea", '{"score": 11}', "Score: 0", ""])
def test_score_failures_are_reported(text: str) -> None:
    with pytest.raises(VerdictParseError):
        parse_score(text, 1, 10)


@pytest.mark.parametrize(
    "text,expected",
    [
        ('{"verdict": "yes"}', True),
        ('```json\n{"correct": false}\n```', False),
        ("Yes, the answer matches.", True),
        ("The final verdict: NO", False),
        ("<answer>correct</answer>", True),
        ("**Judgment:** incorrect.", False),
    ],
)
def test_yes_no(text: str, expected: bool) -> None:
    assert parse_yes_no(text) is expected


def test_yes_no_failure() -> None:
    with pytest.raises(VerdictParseError):
        parse_yes_no("It depends on the interpretation.")


@pytest.mark.parametrize(
    "text,expected",
    [('{"winner": "B"}', "B"), ("[[A]]", "A"), ("Response B is better because...", "B"), ("winner: tie", "tie"), ('{"winner": "Response A"}', "A")],
)
def test_choice(text: str, expected: str) -> None:
    assert parse_choice(text) == expected


def test_ranking_and_checklist() -> None:
    assert parse_ranking('{"ranking": [3, 1, 2]}', 3) == [2, 0, 1]
    assert parse_ranking("Best to worst: 2 > 3 > 1", 3) == [1, 2, 0]
    with pytest.raises(VerdictParseError):
        parse_ranking('{"ranking": [1, 1, 2]}', 3)
    assert parse_checklist('{"1": true, "2": "no", "3": "yes"}', 3) == [True, False, True]
    assert parse_checklist("1. yes\n2. no", 2) == [True, False]
    with pytest.raises(VerdictParseError):
        parse_checklist('{"1": true}', 2)
