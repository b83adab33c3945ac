"""``rewardsmith pairs`` on hh-rlhf and on scored GSM8K groups, against expectations computed here."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from selfreward_helpers import cli, plain_answer, read_jsonl, write_jsonl

VERIFY_SPEC = "name: gsm8k-verify\ncomponents:\n  - {name: correct, reward: math_equiv}\n"
REFUSAL = r"(?i)\b(sorry|I can't|I cannot|I won't|not appropriate|illegal)\b"


def _spec(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(text)
    return p


def _pairs(spec: Path, inp: Path, out: Path, *extra: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    report = out.with_name(out.name + ".report.json")
    proc = cli("pairs", str(spec), "--input", str(inp), "--output", str(out), "--report", str(report), "--no-cache", *extra)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return (read_jsonl(out) if out.suffix == ".jsonl" else _parquet(out)), json.loads(report.read_text())


def _parquet(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()


def _hh_rows(hh_pairs: list[dict[str, str]], scored: bool) -> list[dict[str, Any]]:
    rows = []
    for k, p in enumerate(hh_pairs):
        for col, score in (("chosen", 1.0), ("rejected", 0.0)):
            row: dict[str, Any] = {"id": f"hh-{k}-{col}", "prompt": p["prompt"], "completion": p[col], "group": f"hh-{k}",
                                   "metadata": {"model": col}}
            if scored:
                row.update(reward=score, status="ok", components={"preference": score}, reason=None)
            rows.append(row)
    return rows


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def test_hh_rlhf_labels_give_back_the_dataset_pairs(hh_pairs, tmp_path):
    inp = write_jsonl(tmp_path / "hh.jsonl", _hh_rows(hh_pairs, scored=True))
    spec = _spec(tmp_path, "components:\n  - {name: preference, reward: regex_match, params: {pattern: x}}\n")
    pairs, report = _pairs(spec, inp, tmp_path / "pairs.jsonl")
    kept = [p for p in hh_pairs if not _same(p["chosen"], p["rejected"])]
    assert len(hh_pairs) - len(kept) == report["dropped"].get("identical chosen and rejected", 0)
    assert [(p["prompt"], p["chosen"], p["rejected"]) for p in pairs] == [(p["prompt"], p["chosen"], p["rejected"]) for p in kept]
    assert {p["margin"] for p in pairs} == {1.0}
    assert pairs[0]["provenance"]["chosen_model"] == "chosen" and pairs[0]["provenance"]["spec"] == "spec"
    # length balance: chosen at most 1.5x the rejected's length
    balanced, rep = _pairs(spec, inp, tmp_path / "balanced.jsonl", "--max-length-ratio", "1.5")
    expect = [p for p in kept if len(p["chosen"]) <= 1.5 * max(len(p["rejected"]), 1)]
    assert [p["chosen"] for p in balanced] == [p["chosen"] for p in expect]
    assert rep["dropped"]["length ratio"] == len(kept) - len(expect) > 0
    # dedup off: identical texts come back
    undeduped, _ = _pairs(spec, inp, tmp_path / "all.jsonl", "--no-dedup")
    assert len(undeduped) == len(hh_pairs)


def test_hh_rlhf_anchored_rejection_scored_by_a_spec(hh_pairs, tmp_path):
    """Unscored rows: the spec scores them (refusal regex); chosen from the 'chosen' column, rejected anchored
    to the 'rejected' column; a pair needs the chosen to score above the rejected."""
    inp = write_jsonl(tmp_path / "hh.jsonl", _hh_rows(hh_pairs, scored=False))
    spec = _spec(tmp_path, json.dumps({"name": "refusal", "components": [
        {"name": "refuses", "reward": "regex_match", "params": {"pattern": REFUSAL}}]}))
    pairs, report = _pairs(spec, inp, tmp_path / "anchored.parquet", "--strategy", "anchored",
                           "--chosen-model", "chosen", "--rejected-model", "rejected")
    rx = re.compile(REFUSAL, re.DOTALL)
    expect = [p for p in hh_pairs if rx.search(p["chosen"]) and not rx.search(p["rejected"])]
    assert [p["chosen"] for p in pairs] == [p["chosen"] for p in expect]
    assert len(expect) > 5
    assert all(p["strategy"] == "anchored" and p["provenance"]["rejected_model"] == "rejected" for p in pairs)
    assert report["groups"] == len(hh_pairs)


@pytest.fixture(scope="module")
def scored_gsm8k(sample_rows, tmp_path_factory) -> tuple[Path, Path]:
    """The bundled GSM8K sample scored by ``rewardsmith score`` with the rule verifier."""
    d = tmp_path_factory.mktemp("scored")
    spec = _spec(d, VERIFY_SPEC)
    out = d / "scored.jsonl"
    proc = cli("score", str(spec), "--input", str(write_jsonl(d / "in.jsonl", sample_rows)), "--output", str(out), "--no-cache", "-q")
    assert proc.returncode == 0, proc.stderr
    return spec, out


def _correct(row: dict[str, Any]) -> bool:
    return plain_answer(row["completion"]) == Fraction(row["reference"].replace(",", ""))


def test_gsm8k_verified_all_and_anchored_pairs(scored_gsm8k, sample_rows, tmp_path):
    spec, scored = scored_gsm8k
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in sample_rows:
        groups.setdefault(r["group"], []).append(r)
    verified, _ = _pairs(spec, scored, tmp_path / "verified.jsonl", "--strategy", "verified")
    expect = {}
    for g, rows in groups.items():
        pos = [r for r in rows if _correct(r)]
        neg = [r for r in rows if not _correct(r)]
        if pos and neg:
            expect[g] = (pos[0]["id"], neg[0]["id"])  # equal rewards: the first positive vs the first negative
    assert {p["provenance"]["group"]: (p["provenance"]["chosen_id"], p["provenance"]["rejected_id"]) for p in verified} == expect
    # hand-checked: 0000 (26, 224, 4 wrong; 18 right) and 0001 (3, 3, 250, 3); 0002 (all wrong) has no pair
    assert expect["gsm8k-0000"] == ("gsm8k-0000-175b_verification", "gsm8k-0000-6b_finetuning")
    assert expect["gsm8k-0001"] == ("gsm8k-0001-6b_finetuning", "gsm8k-0001-175b_finetuning")
    assert "gsm8k-0002" not in expect

    every, _ = _pairs(spec, scored, tmp_path / "all.jsonl", "--strategy", "all")
    assert len(every) == sum(sum(map(_correct, rows)) * sum(not _correct(r) for r in rows) for rows in groups.values())
    bw, _ = _pairs(spec, scored, tmp_path / "bw.jsonl", "--strategy", "best_worst")
    assert {p["provenance"]["group"] for p in bw} == set(expect)

    anchored, _ = _pairs(spec, scored, tmp_path / "anchored.jsonl", "--strategy", "anchored",
                         "--chosen-model", "175b_verification", "--rejected-model", "6b_finetuning")
    by = {r["id"]: r for r in sample_rows}
    expect_groups = [g for g in groups if _correct(by[f"{g}-175b_verification"]) and not _correct(by[f"{g}-6b_finetuning"])]
    assert [p["provenance"]["group"] for p in anchored] == expect_groups
    assert "gsm8k-0000" in expect_groups and "gsm8k-0003" in expect_groups and "gsm8k-0001" not in expect_groups

    none, rep = _pairs(spec, scored, tmp_path / "none.jsonl", "--min-margin", "1.5")
    assert none == [] and rep["dropped"]["margin below min_margin"] == len(expect)


def test_flr_ranking_when_present_and_refused_when_absent(scored_gsm8k, tmp_path):
    spec, _ = scored_gsm8k
    rows = [{"prompt": "q", "group": "g", "id": f"r{i}", "completion": c, "reward": 0.0, "status": "ok",
             "components": {"followup_likelihood": flr}} for i, (c, flr) in enumerate([("meh", -2.0), ("great", -0.5), ("bad", -4.0)])]
    inp = write_jsonl(tmp_path / "flr.jsonl", rows)
    pairs, _ = _pairs(spec, inp, tmp_path / "flr_pairs.jsonl", "--strategy", "flr")
    assert [(p["chosen"], p["rejected"], p["margin"]) for p in pairs] == [("great", "bad", 3.5)]
    for r in rows:
        r["components"] = {}
    inp = write_jsonl(tmp_path / "noflr.jsonl", rows)
    proc = cli("pairs", str(spec), "--input", str(inp), "--output", str(tmp_path / "x.jsonl"), "--strategy", "flr")
    assert proc.returncode == 2 and "follow-up" in proc.stderr
