"""Every parser that reads a completion finishes on 1 MB of adversarial text (unterminated fences, a
million openers without a closer, long runs of spaces / newlines / digits, keywords followed by a
whitespace run ...) far inside a hard deadline.

Not a timing assertion: linear parsers take well under a second on 1 MB even on a loaded 2-core box,
while the quadratic ones this guards against take minutes to hours (the old fence regex: 8.8 s on 40 KB,
so about an hour on 1 MB). Each parser runs in a forked child that is killed at the deadline, so a
regression fails the test, naming the parser and the input, instead of hanging the suite. Speed itself
is measured in ``bench/bench_extraction.py``.
"""

from __future__ import annotations

import pytest

from rewardsmith.testing.adversarial_text import ADVERSARIAL, parsers, time_parser

SIZE = 1 << 20
#: 20x to 100x what a linear parser needs here on a busy CI box, and far below quadratic time.
DEADLINE_S = 20.0


@pytest.mark.parametrize("name", sorted(parsers()))
def test_parser_finishes_on_adversarial_megabyte(name: str) -> None:
    results = time_parser(name, list(ADVERSARIAL), SIZE, DEADLINE_S)
    assert set(results) == set(ADVERSARIAL)
    stuck = sorted(key for key, (seconds, _) in results.items() if seconds is None)
    assert not stuck, f"{name} did not finish within {DEADLINE_S:g} s on 1 MB of: {stuck} ({[results[k][1] for k in stuck]})"


def _never_returns_on_backticks(text: str) -> int:
    """A stand-in for a runaway parser: spins forever when the input is the backtick shape."""
    while text.startswith("`"):
        pass
    return len(text)


def test_the_deadline_catches_a_runaway_parser() -> None:
    """The harness itself: a parser that never returns is stopped at the deadline, named, and a fresh child
    goes on with the next input (deterministic: no reliance on how slow a quadratic regex is here)."""
    results = time_parser("runaway", ["backticks", "spaces"], 1 << 16, 2.0, fn=_never_returns_on_backticks)
    assert results["backticks"] == (None, "deadline")
    assert results["spaces"][0] is not None  # the child was replaced and went on with the next input
