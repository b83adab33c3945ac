"""The benchmark harness on the shared data: JudgeBench reproduction, readers, pairwise / best-of-N / labels."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ev_cli import cli
from rewardsmith.evaluate import harness, readers

REPO = Path(__file__).resolve().parents[2]
PUBLISHED = {
    "Skywork-Reward-Gemma-2-27B.jsonl": "64.29",
    "Skywork-Reward-Llama-3.1-8B.jsonl": "62.29",
    "GRM-Gemma-2B-rewardmodel-ft.jsonl": "59.43",
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_judgebench_published_figures(shared_data: Path, name: str) -> None:
    pairs = readers.read_judgebench_scored(shared_data / "judgebench" / "rm_outputs" / name)
    assert len(pairs) == 350
    report = harness.eval_judgebench_scored(pairs)
    acc = report.metrics["both_orders_accuracy"]
    assert f"{100 * acc.value:.2f}" == PUBLISHED[name]
    assert acc.low < acc.value < acc.high
    # slices partition the pairs
    assert sum(e.n for e in report.slices["category"].values()) == 350


def test_judgebench_cli_prints_published_figures(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "jb.json"
    proc = cli("eval", "--data", str(shared_data / "judgebench" / "rm_outputs"), "--format", "judgebench-scored", "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    for figure in PUBLISHED.values():
        assert f"both_orders_accuracy = {figure}" in proc.stdout
    saved = json.loads(out.read_text())
    assert sorted(f"{100 * r['metrics']['both_orders_accuracy']['value']:.2f}" for r in saved) == sorted(PUBLISHED.values())


def test_scored_reader_reads_ties_from_scores(tmp_path: Path) -> None:
    rows = [
        {"pair_id": "1", "label": "A>B", "judgments": [{"judgment": {"scores": [2.0, 1.0]}}, {"judgment": {"scores": [1.0, 2.0]}}]},
        {"pair_id": "2", "label": "A>B", "judgments": [{"judgment": {"scores": [3.0, 3.0]}}, {"judgment": {"scores": [3.0, 3.0]}}]},
        {"pair_id": "3", "label": "B>A", "judgments": [{"judgment": {"scores": [5.0, 1.0]}}, {"judgment": {"scores": [1.0, 5.0]}}]},
        {"pair_id": "4", "label": "B>A", "judgments": [{"judgment": {"scores": [5.0, 5.0]}}, {"judgment": {"scores": [9.0, 1.0]}}]},
    ]
    path = tmp_path / "scored.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    report = harness.eval_judgebench_scored(readers.read_judgebench_scored(path))
    # pair 1: +1 +1 -> right; pair 2: 0 0 -> wrong; pair 3: -1 -1 -> wrong; pair 4: 0 then B won (+1) -> right
    assert report.metrics["both_orders_accuracy"].value == pytest.approx(0.5)


def test_hh_rlhf_reader(shared_data: Path) -> None:
    pairs = readers.read_pairs(shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz", limit=200)
    with gzip.open(shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz", "rt") as f:
        raw = [json.loads(next(f)) for _ in range(200)]
    assert len(pairs) == 200
    for p, r in zip(pairs, raw):
        assert p.chosen == r["chosen"].rsplit("\n\nAssistant:", 1)[1].strip()
        assert p.rejected == r["rejected"].rsplit("\n\nAssistant:", 1)[1].strip()
        assert isinstance(p.prompt, list) and p.prompt[-1]["role"] == "user"
        assert r["chosen"].count("\n\nHuman:") == sum(m["role"] == "user" for m in p.prompt)


def test_eval_pairs_hh_rlhf_length_reward(shared_data: Path) -> None:
    """A length reward's pairwise accuracy equals the share of pairs whose chosen reply is longer (computed
    here straight from the raw dialogues), with ties counted wrong."""
    path = shared_data / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    pairs = readers.read_pairs(path, limit=300)
    spec = {"name": "len", "components": [{"name": "len", "reward": "ev_toy_rewards:length_words"}]}
    report = harness.eval_pairs(spec, pairs, tie="wrong", cache=False, workers=1)
    with gzip.open(path, "rt") as f:
        raw = [json.loads(next(f)) for _ in range(300)]
    n_words = [(len(r["chosen"].rsplit("\n\nAssistant:", 1)[1].split()), len(r["rejected"].rsplit("\n\nAssistant:", 1)[1].split())) for r in raw]
    expected = sum(c > rj for c, rj in n_words) / 300
    ties = sum(c == rj for c, rj in n_words)
    assert report.metrics["pairwise_accuracy"].value == pytest.approx(expected)
    assert report.metrics["pairwise_accuracy[len]"].value == pytest.approx(expected)
    random_rule = harness.eval_pairs(spec, pairs, tie="random", cache=False, workers=1)
    assert random_rule.metrics["pairwise_accuracy"].value == pytest.approx(expected + 0.5 * ties / 300)
    assert report.unscored == 0


def test_eval_judgebench_pairs_slices(shared_data: Path) -> None:
    pairs = readers.read_pairs(shared_data / "judgebench" / "gpt-4o-2024-05-13.jsonl")
    assert len(pairs) == 350
    raw = [json.loads(line) for line in open(shared_data / "judgebench" / "gpt-4o-2024-05-13.jsonl")]
    first = raw[0]
    winner = first["response_A"] if first["label"] == "A>B" else first["response_B"]
    assert pairs[0].chosen == winner
    spec = {"name": "len", "components": [{"name": "len", "reward": "ev_toy_rewards:length_words"}]}
    report = harness.eval_pairs(spec, pairs, cache=False, workers=1)
    assert set(report.slices) >= {"source", "category"}
    by_cat = report.slices["category"]
    assert sum(e.n for e in by_cat.values()) == 350
    overall = report.metrics["pairwise_accuracy"].value
    weighted = sum(e.value * e.n for e in by_cat.values()) / 350
    assert weighted == pytest.approx(overall)


def test_eval_labels_math_equiv(shared_data: Path) -> None:
    """Label agreement of math_equiv on the hand-written equivalence cases, against a direct call per row."""
    pytest.importorskip("rewardsmith.verifiers.math.reward")
    from rewardsmith.verifiers.math.reward import math_equiv

    path = shared_data / "math_equiv" / "public.jsonl"
    rows = readers.read_labeled(path)
    spec = {"name": "m", "components": [{"name": "correct", "reward": "math_equiv"}]}
    report = harness.eval_labels(spec, rows, cache=False, workers=1)
    tp = fp = fn = tn = unscored = 0
    for r in rows:
        res = math_equiv(r.row["completion"], r.row["reference"])
        value = getattr(res, "value", res)
        ok = getattr(res, "is_ok", value is not None)
        if not ok:
            unscored += 1
            continue
        p = value >= 0.5
        tp += p and r.label
        fp += p and not r.label
        fn += (not p) and r.label
        tn += (not p) and not r.label
    assert report.confusion == {"tp": tp, "fp": fp, "fn": fn, "tn": tn}
    assert report.unscored == unscored
    assert report.metrics["accuracy"].value == pytest.approx((tp + tn) / (tp + fp + fn + tn))
    assert len([d for d in report.disagreements if d.get("correct") is not None]) == fp + fn


def test_eval_bon_from_labelled_groups(shared_data: Path) -> None:
    """Best-of-N from GSM8K's four model solutions with human labels, using the gullible substring verifier:
    expected credit computed here per group from the rule."""
    path = REPO / "src" / "rewardsmith" / "data" / "gsm8k_sample.jsonl"
    items = readers.read_bon(path)
    raw = [json.loads(line) for line in open(path)]
    groups: dict[str, list[dict]] = {}
    for r in raw:
        groups.setdefault(r["group"], []).append(r)
    mixed = [g for g in groups.values() if any(r["metadata"]["is_correct"] for r in g) and not all(r["metadata"]["is_correct"] for r in g)]
    assert len(items) == len(mixed)
    spec = {"name": "sub", "components": [{"name": "sub", "reward": "ev_toy_rewards:contains_reference"}]}
    report = harness.eval_bon(spec, items, tie="wrong", cache=False, workers=1)
    expected = []
    for g in mixed:
        score = [1.0 if str(r["reference"]) in r["completion"] else 0.0 for r in g]
        good = [s for s, r in zip(score, g) if r["metadata"]["is_correct"]]
        bad = [s for s, r in zip(score, g) if not r["metadata"]["is_correct"]]
        expected.append(sum(1.0 if s > max(bad) else 0.0 for s in good) / len(good))
    assert report.metrics["best_of_n_accuracy"].value == pytest.approx(sum(expected) / len(expected))


def test_eval_cli_pairs_rewardbench_layout(tmp_path: Path) -> None:
    rows = [
        {"prompt": "q1", "chosen": "a long good answer", "rejected": "short", "subset": "x"},
        {"prompt": "q2", "chosen": "ok", "rejected": "a much longer answer", "subset": "x"},
        {"prompt": "q3", "chosen": "one two", "rejected": "three four", "subset": "y"},
    ]
    data = tmp_path / "rb.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: len\ncomponents:\n  - {name: len, reward: 'ev_toy_rewards:length_words'}\n")
    out = tmp_path / "res.json"
    proc = cli("eval", str(spec), "--data", str(data), "--format", "pairs", "--ties", "random", "--no-cache", "--output", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    res = json.loads(out.read_text())[0]
    # pair 1 right, pair 2 wrong, pair 3 tie (2 words each) -> (1 + 0 + 0.5) / 3
    assert res["metrics"]["pairwise_accuracy"]["value"] == pytest.approx(0.5)
    assert res["slices"]["subset"]["x"]["value"] == pytest.approx(0.5)
    assert res["slices"]["subset"]["y"]["value"] == pytest.approx(0.5)
    assert res["tie_rule"] == "random"


def test_eval_cli_rows_compare_and_agree(tmp_path: Path) -> None:
    """Distance of a spec to a rescaled copy of itself is 0 (STARC is invariant to positive scaling); to the
    gullible substring verifier it is computed by hand here; agreement of two components by hand."""
    rows = [
        {"prompt": "q1", "completion": "it is 18", "reference": "18", "group": "a"},
        {"prompt": "q1", "completion": "it is 19 or so", "reference": "18", "group": "a"},
        {"prompt": "q2", "completion": "maybe 7", "reference": "7", "group": "b"},
        {"prompt": "q2", "completion": "7", "reference": "7", "group": "b"},
    ]
    data = tmp_path / "rows.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    a = tmp_path / "a.yaml"
    a.write_text("name: a\ncomponents:\n  - {name: len, reward: 'ev_toy_rewards:length_words'}\n"
                 "  - {name: sub, reward: 'ev_toy_rewards:contains_reference', weight: 0}\n")
    b = tmp_path / "b.yaml"
    b.write_text("name: b\ncomponents:\n  - {name: len, reward: 'ev_toy_rewards:length_words', weight: 3}\n")
    out = tmp_path / "d.json"
    proc = cli("eval", str(a), "--data", str(data), "--format", "rows", "--compare", str(b), "--agree", "sub,len", "--no-cache", "--output", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout
    res = json.loads(out.read_text())
    assert res["distance"]["starc"] == pytest.approx(0.0, abs=1e-9)
    assert res["distance"]["top1_agreement"] == 1.0
    # sub = [1, 0, 1, 1]; len = [3, 4, 2, 1] -> len >= 0.5 always passes: agreement 3/4
    assert res["agreement"]["n"] == 4 and res["agreement"]["agreement"] == pytest.approx(0.75)
