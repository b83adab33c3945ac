"""majority_vote and co_reward through the engine, on the GSM8K model solutions."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from rewardsmith.spec import load_spec
from rewardsmith.types import Status

from selfreward_helpers import plain_answer


def _score(spec: dict[str, Any], rows: list[dict[str, Any]]) -> list[Any]:
    s = load_spec(spec)
    try:
        return s.score(rows, cache=False, workers=1)
    finally:
        s.close()


def _spec(reward: str, **params: Any) -> dict[str, Any]:
    return {"name": "t", "components": [{"name": "c", "reward": reward, "params": params}]}


def _by_group(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        out.setdefault(r["group"], []).append(i)
    return out


def test_majority_vote_on_gsm8k_sample_matches_an_independent_count(sample_rows):
    results = _score(_spec("majority_vote"), sample_rows)
    abstained_groups = 0
    for gid, idx in _by_group(sample_rows).items():
        answers = [plain_answer(sample_rows[i]["completion"]) for i in idx]
        counts = Counter(a for a in answers if a is not None)
        top = counts.most_common()
        if not top or (len(top) > 1 and top[0][1] == top[1][1]):
            assert all(results[i].status is Status.ABSTAIN for i in idx), gid
            abstained_groups += 1
            continue
        label = top[0][0]
        got = [results[i].value for i in idx]
        assert got == [1.0 if a == label else 0.0 for a in answers], gid
        assert results[idx[0]].components == {"c": got[0]}
    # hand-checked groups: 0000 (26, 224, 4, 18) is a four-way tie, 0001 (3, 3, 250, 3), 0003 (60, 540 x3)
    by_id = {r["id"]: res for r, res in zip(sample_rows, results)}
    assert by_id["gsm8k-0000-175b_verification"].status is Status.ABSTAIN
    assert "tie" in (by_id["gsm8k-0000-6b_finetuning"].reason or "")
    assert [by_id[f"gsm8k-0001-{m}"].value for m in ("6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification")] == [1.0, 1.0, 0.0, 1.0]
    assert [by_id[f"gsm8k-0003-{m}"].value for m in ("6b_finetuning", "6b_verification")] == [0.0, 1.0]
    assert 10 < abstained_groups < 60


def test_majority_vote_reports_the_vote_and_pseudo_label_accuracy(sample_rows):
    rows = [r for r in sample_rows if r["group"] == "gsm8k-0001"]
    res = _score(_spec("majority_vote"), rows)
    s = load_spec(_spec("majority_vote"))
    engine = s.engine(cache=False, workers=1)
    out = engine.score(rows)
    s.close()
    assert [r.value for r in res] == [r.value for r in out]
    info = out[0].info["c"]
    assert info["label"] == "3" and info["share"] == 0.75 and info["tie"] is False and info["abstained"] == 0
    assert info["label_correct"] is True and info["votes"] == {"3": 3.0, "250": 1.0}


def test_equivalent_answers_vote_together_and_ties_abstentions_policies():
    rows = [{"prompt": "q", "completion": c, "group": "g"} for c in ["A: 0.5", "A: 1/2", "so $\\boxed{\\frac{1}{2}}$", "A: 3", "no idea"]]
    res = _score(_spec("majority_vote"), rows)
    assert [r.value for r in res] == [1.0, 1.0, 1.0, 0.0, 0.0]
    assert res[4].reason == "c: no answer extracted"
    assert [r.status.value for r in _score(_spec("majority_vote", no_answer="abstain"), rows)][4] == "abstain"
    tie = [{"prompt": "q", "completion": c, "group": "g"} for c in ["A: 3", "A: 4", "A: 3.0", "A: 4"]]
    assert {r.status for r in _score(_spec("majority_vote"), tie)} == {Status.ABSTAIN}
    assert [r.value for r in _score(_spec("majority_vote", tie="all"), tie)] == [1.0, 1.0, 1.0, 1.0]
    assert [r.value for r in _score(_spec("majority_vote", tie="first"), tie)] == [1.0, 0.0, 1.0, 0.0]
    weak = [{"prompt": "q", "completion": c, "group": "g"} for c in ["A: 1", "A: 1", "A: 2", "A: 3", "A: 4"]]
    assert {r.status for r in _score(_spec("majority_vote", min_share=0.5), weak)} == {Status.ABSTAIN}
    assert [r.value for r in _score(_spec("majority_vote", min_share=0.4), weak)] == [1.0, 1.0, 0.0, 0.0, 0.0]


def test_co_reward_rewards_agreement_with_the_twin_groups_label(sample_rows):
    # each problem's solutions split into two views: the 6B models' and the 175B models', twinned
    rows = []
    for r in sample_rows:
        view = "small" if r["metadata"]["model"].startswith("6b") else "large"
        other = "large" if view == "small" else "small"
        rows.append(dict(r, group=f"{r['group']}-{view}", metadata=dict(r["metadata"], twin_group=f"{r['group']}-{other}")))
    results = _score(_spec("co_reward"), rows)
    idx_of = _by_group(rows)
    checked = 0
    for gid, idx in idx_of.items():
        twin = rows[idx[0]]["metadata"]["twin_group"]
        twin_answers = [plain_answer(rows[i]["completion"]) for i in idx_of[twin]]
        counts = Counter(a for a in twin_answers if a is not None).most_common()
        if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
            assert all(results[i].status is Status.ABSTAIN for i in idx), gid
            continue
        label = counts[0][0]
        for i in idx:
            assert results[i].value == (1.0 if plain_answer(rows[i]["completion"]) == label else 0.0), rows[i]["id"]
            checked += 1
    assert checked > 40
    # hand-checked: problem 0003: the 175B pair says 540/540, so the 6B side gets [0 (60), 1 (540)]
    by_id = {r["id"]: res for r, res in zip(rows, results)}
    assert by_id["gsm8k-0003-6b_finetuning"].value == 0.0 and by_id["gsm8k-0003-6b_verification"].value == 1.0


def test_co_reward_abstains_without_the_twin():
    rows = [{"prompt": "q", "completion": "A: 1", "group": "a", "metadata": {"twin_group": "zzz"}},
            {"prompt": "q", "completion": "A: 1", "group": "b"}]
    res = _score(_spec("co_reward"), rows)
    assert [r.status for r in res] == [Status.ABSTAIN, Status.ABSTAIN]
    assert "not in the batch" in (res[0].reason or "") and "twin_group" in (res[1].reason or "")


@pytest.mark.parametrize("bad", [{"tie": "coin"}, {"kind": "chemistry"}])
def test_bad_params_are_spec_errors(bad):
    from rewardsmith.spec import SpecError

    with pytest.raises(SpecError):
        load_spec(_spec("majority_vote", **bad))
