"""``rewardsmith rerank`` on the 1,319 GSM8K problems x 4 model solutions, checked against selections and
accuracies computed independently here (own answer reader, own vote count, the human is_correct labels)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from selfreward_helpers import MODELS, cli, plain_answer, read_jsonl, write_jsonl

VERIFY_SPEC = "name: gsm8k-verify\ncomponents:\n  - {name: correct, reward: math_equiv}\n"


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("spec") / "verify.yaml"
    p.write_text(VERIFY_SPEC)
    return p


def _groups(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["group"]].append(r)
    return out


def _vote_pick(rows: list[dict[str, Any]], weights: list[float]) -> dict[str, Any] | None:
    """Weighted vote, first-seen answer wins ties, the winning answer's first (best-weighted) row."""
    answers = [plain_answer(r["completion"]) for r in rows]
    totals: dict[Fraction, float] = {}
    for a, w in zip(answers, weights):
        if a is not None:
            totals[a] = totals.get(a, 0.0) + w
    if not totals:
        return None
    best = max(totals.values())
    winner = next(a for a in totals if abs(totals[a] - best) <= 1e-9)
    members = [i for i, a in enumerate(answers) if a == winner]
    return rows[max(members, key=lambda i: (weights[i], -i))]


def _run(spec: Path, inp: Path, out: Path, *extra: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    report = out.with_suffix(".report.json")
    proc = cli("rerank", str(spec), "--input", str(inp), "--output", str(out), "--report", str(report), "--no-cache", *extra)
    assert proc.returncode == 0, proc.stderr
    return read_jsonl(out), json.loads(report.read_text())


def test_majority_vote_selection_on_gsm8k(spec_file, gsm8k_file, gsm8k_rows, tmp_path):
    selected, report = _run(spec_file, gsm8k_file, tmp_path / "maj.jsonl", "--method", "majority")
    groups = _groups(gsm8k_rows)
    expected = {g: _vote_pick(rows, [1.0] * len(rows)) for g, rows in groups.items()}
    got = {r["group"]: r for r in selected}
    assert set(got) == {g for g, r in expected.items() if r is not None}
    mismatched = [g for g in got if got[g]["id"] != expected[g]["id"]]  # type: ignore[index]
    assert mismatched == []
    label_acc = sum(r["metadata"]["is_correct"] for r in expected.values() if r) / len(groups)
    assert report["label_accuracy"] == pytest.approx(label_acc)
    assert report["oracle"] == pytest.approx(sum(any(r["metadata"]["is_correct"] for r in g) for g in groups.values()) / len(groups))
    ties = 0
    for rows in groups.values():
        counts = sorted(Counter(a for a in (plain_answer(r["completion"]) for r in rows) if a is not None).values())
        ties += len(counts) > 1 and counts[-1] == counts[-2]
    assert report["ties"] == ties
    # the selected answer verifies against the reference exactly when the human label says correct
    agree = sum(r["selection"]["correct"] == r["metadata"]["is_correct"] for r in selected) / len(selected)
    assert agree > 0.99


def test_best_of_4_with_the_rule_verifier_reaches_the_oracle(spec_file, gsm8k_file, gsm8k_rows, tmp_path):
    selected, report = _run(spec_file, gsm8k_file, tmp_path / "bo4.jsonl", "--method", "best_of_n")
    groups = _groups(gsm8k_rows)
    # independent: the first solution whose final number equals the reference, else the first solution
    by_group = {r["group"]: r for r in selected}
    assert len(by_group) == len(groups)
    expect_correct = 0
    for g, rows in groups.items():
        ref = Fraction(rows[0]["reference"].replace(",", ""))
        hit = next((r for r in rows if plain_answer(r["completion"]) == ref), None)
        expect_correct += hit is not None
        assert by_group[g]["id"] == (hit or rows[0])["id"], g
    assert report["pass_at_1"] == pytest.approx(expect_correct / len(groups))
    # labels: best-of-4 with a correct verifier is right wherever any solution is (the oracle)
    assert report["label_accuracy"] == pytest.approx(report["oracle"], abs=0.005)


def test_weighted_vote_with_reliability_weights_beats_plain_majority(spec_file, gsm8k_rows, tmp_path):
    """Weights: each model's accuracy on problems 0-659 (labels), applied to problems 660-1318."""
    train = [r for r in gsm8k_rows if int(r["group"].split("-")[1]) < 660]
    test = [r for r in gsm8k_rows if int(r["group"].split("-")[1]) >= 660]
    acc = {m: sum(r["metadata"]["is_correct"] for r in train if r["metadata"]["model"] == m) /
           sum(1 for r in train if r["metadata"]["model"] == m) for m in MODELS}
    rows = [dict(r, metadata=dict(r["metadata"], reliability=acc[r["metadata"]["model"]])) for r in test]
    inp = write_jsonl(tmp_path / "half.jsonl", rows)
    selected, report = _run(spec_file, inp, tmp_path / "wv.jsonl", "--method", "weighted_vote", "--score", "metadata.reliability")
    _, plain = _run(spec_file, inp, tmp_path / "mv.jsonl", "--method", "majority")
    groups = _groups(rows)
    expected = {g: _vote_pick(rs, [r["metadata"]["reliability"] for r in rs]) for g, rs in groups.items()}
    assert {r["group"]: r["id"] for r in selected} == {g: r["id"] for g, r in expected.items() if r}
    assert report["label_accuracy"] == pytest.approx(sum(r["metadata"]["is_correct"] for r in expected.values() if r) / len(groups))
    assert report["label_accuracy"] > plain["label_accuracy"]


def test_self_certainty_borda_and_early_rejection(spec_file, tmp_path):
    # four candidates of one problem; certainty and step scores are given (as a PRM / the policy would)
    base = {"prompt": "What is 6 * 7?", "group": "p", "reference": "42"}
    cands = [
        ("6 * 7 = 41\nA: 41", 9.0, [0.9, 0.1, 0.1]),
        ("6 * 7 = 42\nA: 42", 7.0, [0.2, 0.9, 0.95]),
        ("six sevens are 42\nA: 42", 6.0, [0.8, 0.8, 0.7]),
        ("7 * 6 = 42\nA: 42", 5.0, [0.7, 0.6, 0.9]),
    ]
    rows = [dict(base, id=f"c{i}", completion=c, metadata={"self_certainty": sc}, step_values=steps,
                 reward=steps[-1], status="ok", components={}) for i, (c, sc, steps) in enumerate(cands)]
    inp = write_jsonl(tmp_path / "cands.jsonl", rows)
    sel, rep = _run(spec_file, inp, tmp_path / "sc.jsonl", "--method", "self_certainty")
    assert sel[0]["id"] == "c0" and rep["pass_at_1"] == 0.0  # the most certain is wrong
    sel, rep = _run(spec_file, inp, tmp_path / "borda.jsonl", "--method", "borda", "--borda-p", "1")
    # Borda votes by certainty rank: 41 gets 4, 42 gets 3 + 2 + 1 = 6 -> the most certain 42 (c1)
    assert sel[0]["id"] == "c1" and rep["pass_at_1"] == 1.0
    assert sel[0]["selection"]["votes"] == {"41": 4.0, "42": 6.0}
    sel, rep = _run(spec_file, inp, tmp_path / "er.jsonl", "--method", "early_rejection", "--prefix-steps", "1", "--keep", "0.5")
    # after step 1 the top half is c0 (0.9) and c2 (0.8); of those c2 has the best final score (0.7)
    assert sel[0]["id"] == "c2" and sel[0]["selection"]["rejected"] == 2
    assert rep["steps_saved"] == 4 and rep["steps_total"] == 12
    sel, rep = _run(spec_file, inp, tmp_path / "bon.jsonl", "--method", "best_of_n")
    assert sel[0]["id"] == "c1"  # the kept scores (status ok) are used, not rescored
