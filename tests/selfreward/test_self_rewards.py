"""self_judge against a real scripted OpenAI-compatible server; consistency_filter and group_similarity
through the engine on GSM8K groups."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from selfreward_helpers import plain_answer

from rewardsmith.spec import load_spec
from rewardsmith.testing.openai_server import Reply, ScriptedOpenAI
from rewardsmith.types import Status


def _score(spec: dict[str, Any], rows: list[dict[str, Any]]) -> list[Any]:
    s = load_spec(spec)
    try:
        return s.score(rows, cache=False, workers=1)
    finally:
        s.close()


def _judge(request: dict[str, Any]) -> str | Reply:
    text = request["messages"][-1]["content"]
    if "OVERLOAD" in text:
        return Reply(status=500)
    return '{"explanation": "ok", "score": 90}' if "Le chat dort" in text else '{"explanation": "meh", "score": 20}'


@pytest.fixture(scope="module")
def judge_server():
    with ScriptedOpenAI(_judge) as srv:
        yield srv


def test_self_judge_reference_free_and_mixed_with_chrf(judge_server):
    rows = [
        {"prompt": "Translate to French: The cat sleeps.", "completion": "Le chat dort.", "reference": "Le chat dort."},
        {"prompt": "Translate to French: The cat sleeps.", "completion": "Der Hund bellt laut.", "reference": "Le chat dort."},
        {"prompt": "Translate to French: The cat sleeps.", "completion": "OVERLOAD please", "reference": "Le chat dort."},
    ]
    judge = {"base_url": judge_server.base_url, "model": "policy", "max_retries": 0}
    plain = _score({"components": [{"name": "sj", "reward": "self_judge", "params": judge}]}, rows)
    assert [r.value for r in plain[:2]] == [0.9, 0.2]
    assert plain[2].status is Status.ERROR and "500" in (plain[2].reason or "")  # an error, never a zero
    # reference-free: the judge never saw the reference text
    sent = [q["messages"][-1]["content"] for q in judge_server.requests]
    assert all("REFERENCE" not in s for s in sent)
    mixed = _score({"components": [{"name": "sj", "reward": "self_judge",
                                    "params": dict(judge, reference_metric="chrf", mix=0.5)}]}, rows[:2])
    # identical to the reference: chrF 1.0 -> 0.5 * 0.9 + 0.5 * 1.0; no shared character n-gram of order >= 2 with
    # the German sentence except a few, so its chrF is small but not zero: checked with sacrebleu's own number
    from sacrebleu.metrics import CHRF

    chrf_bad = CHRF().sentence_score("Der Hund bellt laut.", ["Le chat dort."]).score / 100
    assert mixed[0].value == pytest.approx(0.95)
    assert mixed[1].value == pytest.approx(0.5 * 0.2 + 0.5 * chrf_bad)
    assert mixed[0].components["sj.chrf"] == pytest.approx(1.0)
    no_ref = _score({"components": [{"name": "sj", "reward": "self_judge",
                                     "params": dict(judge, reference_metric="chrf", mix=0.5)}]},
                    [{"prompt": "p", "completion": "Le chat dort."}])
    assert no_ref[0].status is Status.ABSTAIN


def test_consistency_filter_between_verifier_and_majority(sample_rows):
    spec = {"components": [
        {"name": "correct", "reward": "math_equiv"},
        {"name": "majority", "reward": "majority_vote", "weight": 0.0},
        {"name": "consistent", "reward": "consistency_filter", "weight": 0.0,
         "params": {"sources": ["correct", "majority"]}},
    ]}
    res = _score(spec, sample_rows)
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(sample_rows):
        groups.setdefault(r["group"], []).append(i)
    checked = 0
    for idx in groups.values():
        answers = [plain_answer(sample_rows[i]["completion"]) for i in idx]
        counts = Counter(a for a in answers if a is not None).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            continue  # majority abstains on ties -> so does the filter
        label = counts[0][0]
        for i, a in zip(idx, answers):
            ref = plain_answer("A: " + sample_rows[i]["reference"])
            assert res[i].components["consistent"] == float((a == ref) == (a == label)), sample_rows[i]["id"]
            checked += 1
    assert checked > 100
    rate = res[4].info["consistent"]["agreement_rate"]  # group 0001: majority 3 = reference 3 -> all agree
    assert rate == 1.0


def test_consistency_filter_rank_mode_cream():
    rows = [{"prompt": "q", "group": "g", "completion": f"c{i}", "metadata": {"prev": p, "now": n}}
            for i, (p, n) in enumerate([(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.3)])]
    res = _score({"components": [{"name": "c", "reward": "consistency_filter",
                                  "params": {"sources": ["metadata.prev", "metadata.now"], "mode": "rank"}}]}, rows)
    # 5 concordant, 1 discordant pair: tau = 4/6, rate = (tau + 1) / 2
    assert [r.value for r in res] == pytest.approx([(4 / 6 + 1) / 2] * 4)


def test_group_similarity_answer_agreement_across_paraphrases(sample_rows):
    rows = []
    for r in sample_rows:  # the 175B solutions answer a reworded prompt: one paraphrase group per problem
        para = r["metadata"]["model"].startswith("175b")
        prompt = "Please solve: " + r["prompt"][0]["content"] if para else r["prompt"]
        rows.append(dict(r, prompt=prompt, metadata=dict(r["metadata"], paraphrase_group=r["group"]),
                         group=r["group"] + ("-p" if para else "")))
    res = _score({"components": [{"name": "s", "reward": "group_similarity", "params": {"method": "answer"}}]}, rows)
    for i, r in enumerate(rows):
        others = [o for o in rows if o["metadata"]["paraphrase_group"] == r["metadata"]["paraphrase_group"]
                  and o["group"] != r["group"]]
        a = plain_answer(r["completion"])
        expect = sum(a is not None and a == plain_answer(o["completion"]) for o in others) / len(others)
        assert res[i].value == pytest.approx(expect), r["id"]


def test_group_similarity_text_methods():
    rows = [{"prompt": "p1", "completion": "the cat sat", "metadata": {"paraphrase_group": "x"}},
            {"prompt": "p2", "completion": "the cat ran", "metadata": {"paraphrase_group": "x"}},
            {"prompt": "p3", "completion": "alone", "metadata": {"paraphrase_group": "y"}}]
    res = _score({"components": [{"name": "s", "reward": "group_similarity", "params": {"method": "token_f1"}}]}, rows)
    assert res[0].value == pytest.approx(2 / 3) and res[1].value == pytest.approx(2 / 3)
    assert res[2].status is Status.ABSTAIN
    same = [dict(rows[0]), dict(rows[0], prompt="p2")]
    assert [r.value for r in _score({"components": [{"name": "s", "reward": "group_similarity"}]}, same)] == [1.0, 1.0]


def test_group_similarity_embeddings_rank_a_paraphrase_above_an_unrelated_text():
    from rewardsmith.selfreward.similarity import group_similarity
    from rewardsmith.types import Sample

    cat, para, other = "The cat is sleeping on the mat.", "A cat sleeps on the rug.", "Quarterly revenue rose five percent."
    rows = [Sample("p1", cat, metadata={"paraphrase_group": "a"}), Sample("p2", para, metadata={"paraphrase_group": "a"}),
            Sample("p1", cat, metadata={"paraphrase_group": "b"}), Sample("p2", other, metadata={"paraphrase_group": "b"}),
            Sample("p1", cat, metadata={"paraphrase_group": "c"}), Sample("p2", cat, metadata={"paraphrase_group": "c"})]
    res = group_similarity(rows, method="embedding")  # in-process: the bundled all-MiniLM-L6-v2 loads once
    assert res[0].value == pytest.approx(res[1].value) and res[2].value == pytest.approx(res[3].value)
    assert res[0].value > res[2].value + 0.3  # the paraphrase is far closer than the unrelated sentence
    assert res[4].value == pytest.approx(1.0, abs=1e-5)  # identical texts: cosine 1
