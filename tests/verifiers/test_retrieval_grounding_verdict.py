"""Retrieval metrics, box IoU, and the preference-verdict reward on hand-computed values."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.types import Status
from rewardsmith.verifiers.grounding import box_iou, iou, parse_boxes
from rewardsmith.verifiers.retrieval import mrr, ndcg, nugget_recall, ranking_from, recall_at_k
from rewardsmith.verifiers.verdict import final_verdict, verdict_match


def test_ranking_parsing() -> None:
    assert ranking_from("<answer>[4] > [2] > [4] > [1]</answer>", {}) == ["4", "2", "1"]
    assert ranking_from("doc7\ndoc2\ndoc9", {}) == ["doc7", "doc2", "doc9"]
    assert ranking_from("1. d3\n2. d1", {}) == ["d3", "d1"]
    assert ranking_from("ignored", {"hits": ["a", "b"]}, key="hits") == ["a", "b"]


def test_recall_mrr_ndcg_hand_computed() -> None:
    ranking = "[d5] > [d1] > [d7] > [d2]"
    assert recall_at_k(ranking, ["d1", "d2", "d9"], {}, k=2) == pytest.approx(1 / 3)
    assert recall_at_k(ranking, ["d1", "d2", "d9"], {}, k=4) == pytest.approx(2 / 3)
    assert mrr(ranking, ["d7", "d2"], {}) == pytest.approx(1 / 3)
    assert mrr(ranking, ["d7"], {}, k=2) == 0.0
    # graded: d1 -> 2, d2 -> 1; ranking positions 2 and 4
    dcg = (2**2 - 1) / math.log2(3) + (2**1 - 1) / math.log2(5)
    idcg = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert ndcg(ranking, {"d1": 2, "d2": 1}, {}, k=10) == pytest.approx(dcg / idcg)
    assert ndcg("[d1] > [d2]", {"d1": 2, "d2": 1}, {}) == pytest.approx(1.0)


def test_retrieval_abstains_without_relevant_ids() -> None:
    with Engine({"components": [{"name": "r", "reward": "recall_at_k"}]}, cache=False) as engine:
        r = engine.score([{"prompt": "q", "completion": "[1]", "reference": []}])[0]
    assert r.status is Status.ABSTAIN


def test_nugget_recall() -> None:
    answer = "Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911."
    nuggets = ["Nobel Prize in Physics 1903", "Chemistry 1911", "born in Warsaw"]
    r = nugget_recall(answer, nuggets, allowance=None)
    assert r.value == pytest.approx(2 / 3) and r.info["matched"] == nuggets[:2]
    assert nugget_recall(answer, nuggets, min_overlap=0.34, allowance=None).value == pytest.approx(2 / 3)  # "born in warsaw" shares 1/3 ("in")
    assert nugget_recall(answer, nuggets, min_overlap=0.33, allowance=None).value == pytest.approx(1.0)
    # default: nugget F (beta 1) with the length allowance; 67 characters are under 2 x 100, so precision is 1
    r = nugget_recall(answer, nuggets)
    assert r.components == {"recall": pytest.approx(2 / 3), "precision": 1.0}
    assert r.value == pytest.approx(2 * (2 / 3) / (1 + 2 / 3))


def test_nugget_recall_word_salad_and_padding_earn_less_than_the_honest_answer() -> None:
    answer = "Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911."
    nuggets = ["Nobel Prize in Physics 1903", "Chemistry 1911", "born in Warsaw"]
    honest = nugget_recall(answer, nuggets).value
    # every nugget word once, in alphabetical order: plain bag-of-words matching gave it every nugget (1.0)
    salad = "1903 1911 born chemistry in nobel physics prize warsaw"
    assert nugget_recall(salad, nuggets, allowance=None, min_overlap=1.0).info["matched"] == ["Chemistry 1911"]
    assert nugget_recall(salad, nuggets).value == pytest.approx(0.5) and honest == pytest.approx(0.8)
    # the honest answer padded with 60 more "facts": same nuggets, 10x the allowed length
    padded = answer + " " + " ".join(f"Curie also did thing number {i} in year {1900 + i}." for i in range(60))
    r = nugget_recall(padded, nuggets)
    assert r.components["recall"] == pytest.approx(2 / 3) and r.components["precision"] < 0.1
    assert r.value < 0.2 and r.reason is not None and "200 allowed" in r.reason


def test_box_iou_hand_computed() -> None:
    assert box_iou((0, 0, 10, 10), (5, 5, 15, 15)) == pytest.approx(25 / 175)
    assert box_iou((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    assert box_iou((0, 0, 4, 4), (0, 0, 4, 4)) == 1.0
    assert parse_boxes("<box>(10,20),(30,40)</box>") == [(10.0, 20.0, 30.0, 40.0)]
    assert parse_boxes({"bbox_2d": [30, 40, 10, 20]}) == [(10.0, 20.0, 30.0, 40.0)]  # corners reordered


def test_iou_reward_modes() -> None:
    one = iou('```json\n[{"bbox_2d": [0, 0, 10, 10], "label": "cat"}]\n```', {"bbox_2d": [5, 5, 15, 15]})
    assert one.value == pytest.approx(25 / 175)
    preds = "[[0,0,10,10],[100,100,110,110]]"
    gold = [[0, 0, 10, 8], [50, 50, 60, 60]]
    # match 1: IoU 0.8 (>= 0.5); the other pair has no overlap. P = 0.8/2, R = 0.8/2
    r = iou(preds, gold, mode="f1")
    assert r.components["precision"] == pytest.approx(0.4) and r.components["recall"] == pytest.approx(0.4)
    assert r.value == pytest.approx(0.4)
    assert iou(preds, gold, mode="iou").value == pytest.approx(0.4)  # mean best IoU over gold: (0.8 + 0) / 2
    assert iou(preds, gold, mode="f1", threshold=0.9).value == 0.0
    assert iou("I see no cat", gold).value == 0.0
    with Engine({"components": [{"name": "g", "reward": "iou"}]}, cache=False) as engine:
        assert engine.score([{"prompt": "q", "completion": "[1,1,2,2]", "reference": "none"}])[0].status is Status.ABSTAIN


def test_iou_box_spray_earns_nothing() -> None:
    """1,200 grid boxes against one reference box: each unmatched prediction counts 0, so the spray earns
    about 1/1200 of its best box, far below one honest guess."""
    gold = [[100, 100, 110, 110]]
    grid = [[x, y, x + 10, y + 10] for x in range(0, 300, 10) for y in range(0, 400, 10)]
    assert len(grid) == 1200 and gold[0] in grid  # the spray even contains the exact box
    spray = iou(json.dumps(grid), gold)
    assert spray.value == pytest.approx(1.0 / 1200) and spray.reason
    honest = iou("[102, 102, 112, 112]", gold)
    assert honest.value == pytest.approx(64 / 136)  # 8 x 8 overlap, 100 + 100 - 64 union
    assert spray.value < honest.value / 100
    for mode in ("f1", "precision"):
        assert iou(json.dumps(grid), gold, mode=mode).value == pytest.approx(
            {"f1": 2 * (1 / 1200) / (1 + 1 / 1200), "precision": 1 / 1200}[mode])
    two = iou("[[100, 100, 110, 110], [100, 100, 110, 110]]", gold)  # the same box twice is matched once
    assert two.value == pytest.approx(0.5)


def test_iou_matching_is_one_to_one_and_optimal() -> None:
    """Hungarian matching finds the best one-to-one assignment where greedy (highest IoU first) does not:
    greedy pairs pred 0 with gold 1 (IoU 7/13) and leaves pred 1 with nothing it overlaps."""
    from itertools import permutations

    from rewardsmith.verifiers.grounding import match_boxes

    pred = [(5, 0, 15, 10), (14, 0, 24, 10)]
    gold = [(2, 0, 12, 10), (8, 0, 18, 10)]
    assert box_iou(pred[0], gold[1]) == pytest.approx(7 / 13) and box_iou(pred[1], gold[0]) == 0.0
    pairs = match_boxes(pred, gold)
    best = max(sum(box_iou(pred[i], gold[j]) for i, j in enumerate(perm)) for perm in permutations(range(2)))
    assert best == pytest.approx(7 / 13 + 4 / 16)  # pred 0 - gold 0 (7/13, a tie with gold 1), pred 1 - gold 1 (4/16)
    assert sum(p[2] for p in pairs) == pytest.approx(best)  # brute force over every one-to-one assignment
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 0), (1, 1)]
    assert iou(json.dumps(pred), [list(g) for g in gold]).value == pytest.approx(best / 2)


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("Reasoning... Assistant A is more accurate.\n\n[[A]]", "A"),
        ("<rubric>...</rubric><eval>B wins</eval><answer>[[B]]</answer>", "B"),
        ("Overall Judgment: Therefore, the better response is 2.", "B"),
        ("Final verdict: Response A", "A"),
        ("Score A: 4\nScore B: 9", "B"),
        ("Score A: 5\nScore B: 5", "tie"),
        ("It is a tie. [[C]]", "tie"),
        (r"The preferred answer is $\boxed{1}$", "A"),
        ("I am not sure.", None),
    ],
)
def test_final_verdict_formats(text: str, verdict: str | None) -> None:
    assert final_verdict(text)[0] == verdict


def test_verdict_match_r1_reward_formula(shared_data: Path) -> None:
    pair = json.loads((shared_data / "judgebench" / "gpt-4o-2024-05-13.jsonl").read_text().splitlines()[0])
    label = pair["label"]
    winner, loser = ("A", "B") if label == "A>B" else ("B", "A")
    right = verdict_match(f"Response {winner} is more accurate on the key point. [[{winner}]]", label, {})
    assert right.components == {"correct": 1.0, "format": 1.0, "consistency": 1.0}
    assert right.value == pytest.approx(1.0 * (1 + 0.5) + 0.5)
    wrong = verdict_match(f"Response {loser} is better. [[{loser}]]", label, {})
    assert wrong.value == pytest.approx(0.5) and wrong.components["correct"] == 0.0
    flip = verdict_match(f"Response {loser} is better. [[{winner}]]", label, {})
    assert flip.components["consistency"] == 0.0 and flip.value == pytest.approx(1.5)
    assert verdict_match(f"Response {loser} is better. [[{winner}]]", label, {}, require_consistency=True).value == pytest.approx(0.5)
    bare = verdict_match(f"[[{winner}]]", label, {})
    assert bare.components == {"correct": 1.0, "format": 0.0, "consistency": None} and bare.value == 1.0
    none = verdict_match("no idea", label, {})
    assert none.value == 0.0 and none.components["format"] == 0.0
    assert verdict_match("[[A]]", None, {"label": "B>A"}).components["correct"] == 0.0
    with Engine({"components": [{"name": "v", "reward": "verdict_match"}]}, cache=False) as engine:
        assert engine.score([{"prompt": "q", "completion": "[[A]]", "reference": "maybe"}])[0].status is Status.ABSTAIN


def test_listing_every_id_earns_no_more_than_the_cut_off() -> None:
    """A ranking that lists every id of a 500-document corpus with the relevant one at 200: the uncut MRR
    paid it; MRR@10 (default), recall@10 and nDCG@10 give 0, as for an honest ranking that misses."""
    spray = "\n".join(f"d{i}" for i in range(500))
    relevant = ["d199"]
    assert mrr(spray, relevant, {}, k=None) == pytest.approx(1 / 200)
    assert mrr(spray, relevant, {}) == 0.0
    assert recall_at_k(spray, relevant, {}) == 0.0 and ndcg(spray, relevant, {}) == 0.0
    assert mrr("d199\nd3", relevant, {}) == 1.0
