"""Math-Verify's own test cases as a peer suite: math_equiv and math-verify scored on the same cases in one run.

The cases (``data/math_verify_cases.json``, see its header for source commit and licence) are (gold, pred,
expected) triples. math_equiv is called as a user calls it, ``math_equiv(pred, gold)``; math-verify with its
defaults, ``verify(parse(gold), parse(pred))``. A case agrees when the verdict equals ``expected``; a false
accept is a verdict of "equal" where ``expected`` is 0. About 30% of the cases are marked ``holdout`` (by a
hash of the case, not by hand) and are reported apart.

    PYTHONPATH=src python -m tests.verifiers.math_peer_suite [--all] [--show]
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardsmith.types import Status
from rewardsmith.verifiers.math import math_equiv
from rewardsmith.verifiers.math.equiv import DEFAULT_CAS_SECONDS

CASES = Path(__file__).with_name("data") / "math_verify_cases.json"


def load_cases() -> list[dict[str, Any]]:
    return list(json.loads(CASES.read_text())["cases"])


def ours(case: dict[str, Any], cas_seconds: float = DEFAULT_CAS_SECONDS) -> tuple[bool | None, str]:
    """math_equiv's verdict (None when it abstains or errs) and its reason."""
    result = math_equiv(case["pred"], case["gold"], cas_seconds=cas_seconds)
    if result.status is not Status.OK:
        return None, f"{result.status.value}: {result.reason}"
    return result.value == 1.0, result.reason or ""


def theirs(case: dict[str, Any]) -> bool:
    """math-verify's default verdict (its own timeouts need the main thread)."""
    from math_verify import parse, verify

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)
    return bool(verify(parse(case["gold"]), parse(case["pred"])))


@dataclass
class Tally:
    cases: int = 0
    agree: int = 0
    false_accepts: int = 0
    misses: int = 0
    no_verdict: int = 0

    def add(self, verdict: bool | None, expected: bool) -> None:
        self.cases += 1
        if verdict is None:
            self.no_verdict += 1
        elif verdict == expected:
            self.agree += 1
        elif verdict:
            self.false_accepts += 1
        else:
            self.misses += 1


@dataclass
class Row:
    case: dict[str, Any]
    ours: bool | None
    reason: str
    theirs: bool


def run(cases: list[dict[str, Any]], cas_seconds: float = DEFAULT_CAS_SECONDS) -> list[Row]:
    """Both checkers on each case. A loaded machine may need a larger ``cas_seconds`` than the default."""
    out = []
    for case in cases:
        verdict, reason = ours(case, cas_seconds)
        out.append(Row(case, verdict, reason, theirs(case)))
    return out


def tally(rows: list[Row]) -> tuple[Tally, Tally]:
    a, b = Tally(), Tally()
    for row in rows:
        expected = bool(row.case["expected"])
        a.add(row.ours, expected)
        b.add(row.theirs, expected)
    return a, b


def main(argv: list[str]) -> None:
    rows = run(load_cases())
    for name, part in (("all", rows), ("development", [r for r in rows if not r.case["holdout"]]),
                       ("holdout", [r for r in rows if r.case["holdout"]])):
        a, b = tally(part)
        print(f"{name:12s} cases={a.cases:3d}  math_equiv agree={a.agree} FA={a.false_accepts} miss={a.misses} "
              f"none={a.no_verdict}  |  math-verify agree={b.agree} FA={b.false_accepts} miss={b.misses}")
    if "--show" in argv:
        for r in rows:
            if r.ours != bool(r.case["expected"]) and (r.case["holdout"] is False or "--all" in argv):
                print(f"{r.case['id']} exp={r.case['expected']} ours={r.ours} mv={r.theirs} "
                      f"gold={r.case['gold']!r} pred={r.case['pred'][-300:]!r}\n    {r.reason}")


if __name__ == "__main__":
    main(sys.argv[1:])
