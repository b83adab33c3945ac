"""Each metric against values computed by hand (or by brute force, independently of the implementation)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rewardsmith.evaluate import batchstats, curves, distances, metrics, probes
from rewardsmith.evaluate.bootstrap import mean_ci, statistic_ci


def test_pairwise_accuracy_tie_rules() -> None:
    chosen = [3.0, 1.0, 2.0, 0.0]
    rejected = [1.0, 1.0, 5.0, 0.0]
    # wins: pair 0; ties: pairs 1 and 3; loss: pair 2
    assert metrics.pairwise_outcomes(chosen, rejected, "wrong").mean() == pytest.approx(1 / 4)
    assert metrics.pairwise_outcomes(chosen, rejected, "random").mean() == pytest.approx((1 + 0.5 + 0.5) / 4)
    assert metrics.pairwise_outcomes(chosen, rejected, "right").mean() == pytest.approx(3 / 4)
    with pytest.raises(ValueError):
        metrics.pairwise_outcomes(chosen, rejected, "coin")  # type: ignore[arg-type]


def test_best_of_n_accuracy_by_hand() -> None:
    assert metrics.best_of_n_outcome(0.7, [0.1, 0.2, 0.69]) == 1.0
    assert metrics.best_of_n_outcome(0.7, [0.1, 0.8, 0.2]) == 0.0
    # a three-way tie at the top: 1/3 under the random rule, 0 under RewardBench's rule
    assert metrics.best_of_n_outcome(0.5, [0.5, 0.5, 0.1], "random") == pytest.approx(1 / 3)
    assert metrics.best_of_n_outcome(0.5, [0.5, 0.5, 0.1], "wrong") == 0.0


def test_both_orders_table() -> None:
    f = metrics.both_orders_outcome
    # label A>B; second judgment is in swapped positions, so "B>A" there means A won
    assert f("A>B", "A>B", "B>A") == 1.0  # +1 +1
    assert f("A>B", "A>B", "A>B") == 0.0  # +1 -1 (position bias)
    assert f("A>B", "A=B", "B>A") == 1.0  # 0 +1
    assert f("A>B", "A=B", "A=B") == 0.0  # 0 0
    assert f("B>A", "B>A", "B>A") == 0.0  # +1 -1
    assert f("B>A", "B>A", "A>B") == 1.0
    assert f("B>A", "A>B", "A>B") == 0.0  # -1 +1


def test_label_agreement_by_hand() -> None:
    pred = np.array([1, 1, 1, 0, 0, 0, 1, 0], bool)
    gold = np.array([1, 1, 0, 0, 0, 1, 1, 0], bool)
    # tp = 3 (0,1,6), fp = 1 (2), fn = 1 (5), tn = 3 (3,4,7)
    assert metrics.confusion(pred, gold) == {"tp": 3, "fp": 1, "fn": 1, "tn": 3}
    assert metrics.precision(pred, gold) == pytest.approx(3 / 4)
    assert metrics.recall(pred, gold) == pytest.approx(3 / 4)
    assert metrics.accuracy(pred, gold) == pytest.approx(6 / 8)
    assert metrics.f1(pred, gold) == pytest.approx(3 / 4)
    # kappa: p_o = 0.75, p_e = 0.5*0.5 + 0.5*0.5 = 0.5 -> 0.5
    assert metrics.cohen_kappa(pred, gold) == pytest.approx(0.5)
    assert math.isnan(metrics.precision(np.zeros(3, bool), np.ones(3, bool)))


def test_bootstrap_interval_matches_normal_approximation() -> None:
    data = np.array([1.0] * 300 + [0.0] * 200)  # p = 0.6, n = 500
    e = mean_ci(data, resamples=2000, seed=1)
    half = 1.96 * math.sqrt(0.6 * 0.4 / 500)  # 0.0429
    assert e.value == pytest.approx(0.6)
    assert e.n == 500
    assert e.low == pytest.approx(0.6 - half, abs=0.01)
    assert e.high == pytest.approx(0.6 + half, abs=0.01)
    constant = mean_ci([1.0] * 20)
    assert (constant.low, constant.high) == (1.0, 1.0)
    paired = statistic_ci([np.array([1, 0, 1, 1]), np.array([1, 0, 0, 1])], metrics.accuracy, resamples=300)
    assert paired.value == pytest.approx(0.75)
    assert 0.0 <= paired.low <= 0.75 <= paired.high <= 1.0


def test_slices() -> None:
    out = metrics.slice_estimates([1, 0, 1, 1, 0], ["x", "x", "y", "y", "y"])
    assert out["x"].value == pytest.approx(0.5) and out["x"].n == 2
    assert out["y"].value == pytest.approx(2 / 3) and out["y"].n == 3


def _brute_best_of_n(proxy: list[float], gold: list[float], n: int) -> tuple[float, float]:
    """Enumerate every n-subset; ties broken uniformly among the subset's top proxy values."""
    ps, gs = [], []
    for subset in itertools.combinations(range(len(proxy)), n):
        top = max(proxy[i] for i in subset)
        winners = [i for i in subset if proxy[i] == top]
        ps.append(top)
        gs.append(sum(gold[i] for i in winners) / len(winners))
    return sum(ps) / len(ps), sum(gs) / len(gs)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_best_of_n_curve_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    proxy = [float(x) for x in rng.integers(0, 4, 7)]  # many ties
    gold = [float(x) for x in rng.integers(0, 2, 7)]
    for n in range(1, 8):
        exact = curves.best_of_n_expectation(proxy, gold, n)
        brute = _brute_best_of_n(proxy, gold, n)
        assert exact == pytest.approx(brute)


def test_starc_and_epic_distance_by_hand() -> None:
    groups = ["p", "p", "p", "q", "q", "q"]
    a = [0.0, 1.0, 2.0, 5.0, 5.0, 8.0]
    # an affine map within each prompt (positive scale, any offset) keeps the distance at 0
    b = [3.0 * x + (10 if g == "p" else -4) for x, g in zip(a, groups)]
    d = distances.reward_distance(a, b, groups)
    assert d.starc == pytest.approx(0.0, abs=1e-12)
    assert d.epic_pearson == pytest.approx(0.0, abs=1e-6)
    assert d.top1_agreement == 1.0
    # hand computation: canonical a = [-1, 0, 1, -1, -1, 2], canonical c = [1, 0, -1, 0, 0, 0]
    c = [2.0, 1.0, 0.0, 7.0, 7.0, 7.0]
    ca = np.array([-1, 0, 1, -1, -1, 2]) / math.sqrt(8)
    cc = np.array([1, 0, -1, 0, 0, 0]) / math.sqrt(2)
    expected = float(np.linalg.norm(ca - cc)) / 2
    d2 = distances.reward_distance(a, c, groups)
    assert d2.starc == pytest.approx(expected)
    rho = float(ca @ cc)  # both are centred with unit norm: Pearson = dot product = -0.5
    assert rho == pytest.approx(-0.5)
    assert d2.canonical_pearson == pytest.approx(rho)
    assert d2.epic_pearson == pytest.approx(math.sqrt((1 - rho) / 2))
    assert d2.starc == pytest.approx(d2.epic_pearson)  # equal on canonical, normalised vectors
    assert d2.kendall_within_prompt == pytest.approx(-1.0)  # p: fully reversed; q: c is constant (nan, skipped)
    assert d2.top1_agreement == 0.0  # p: a picks index 2, c picks index 0; q: c is constant (left out)
    assert d2.n == 6 and d2.prompts == 2


def test_judge_verifier_agreement_by_hand() -> None:
    judge = [0.9, 0.7, 0.2, 0.6, None, 0.1]
    verifier = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    r = distances.judge_verifier_agreement(judge, verifier)
    # rows 0..3 and 5: judge pass = [T, T, F, T, F], verifier pass = [T, F, F, T, T]
    assert r["n"] == 5
    assert r["agreement"] == pytest.approx(3 / 5)
    assert r["confusion"] == {"tp": 2, "fp": 1, "fn": 1, "tn": 1}
    # kappa: p_o = 0.6; p_e = 0.6*0.6 + 0.4*0.4 = 0.52 -> (0.6 - 0.52) / 0.48
    assert r["kappa"] == pytest.approx(0.08 / 0.48)


def test_batch_statistics_by_hand() -> None:
    rows = [
        {"group": "a", "reward": 1.0, "status": "ok", "completion": "one two", "components": {"x": 1.0, "y": 0.0}},
        {"group": "a", "reward": 1.0, "status": "ok", "completion": "one", "components": {"x": 1.0, "y": 0.0}},
        {"group": "b", "reward": 0.0, "status": "ok", "completion": "a b c d", "components": {"x": 0.0, "y": 0.0}},
        {"group": "b", "reward": 2.0, "status": "ok", "completion": "", "components": {"x": 1.0, "y": 1.0}},
        {"group": "b", "reward": None, "status": "error", "completion": "z", "components": {"x": None, "y": None}},
    ]
    reward = batchstats.reward_column(rows)
    assert reward == [1.0, 1.0, 0.0, 2.0, None]
    assert batchstats.group_stds(rows, reward) == {"a": 0.0, "b": 1.0}
    assert batchstats.zero_variance_share(rows, reward) == 0.5
    assert batchstats.status_shares(rows) == {"ok": 0.8, "abstain": 0.0, "error": 0.2}
    assert [batchstats.completion_length(r) for r in rows] == [2, 1, 4, 0, 1]
    # dominance: total = x + y over the 4 complete rows: x = [1,1,0,1], y = [0,0,0,1], total = [1,1,0,2]
    # var(total) = 0.5; cov(x, total) = 0.25; cov(y, total) = 0.25 -> 0.5 / 0.5
    dom = batchstats.dominance({"x": batchstats.component_column(rows, "x"), "y": batchstats.component_column(rows, "y")})
    assert dom == {"x": pytest.approx(0.5), "y": pytest.approx(0.5)}
    corr = batchstats.correlation_matrix({"x": [1.0, 2.0, 3.0, None], "y": [1.0, 3.0, 2.0, 9.0]})
    assert corr[0][1] == pytest.approx(0.5)  # by hand: centred [-1,0,1] . [-1,1,0] / (sqrt2 sqrt2)


def test_noise_robustness_and_dbg() -> None:
    assert probes.dbg_score([0.9, 0.8], [1.0, 0.0]) == pytest.approx(0.35)
    groups = [([1.0, 0.0, 0.0], [1.0, 0.0, 0.0]), ([0.0, 1.0], [0.0, 1.0])]
    table = probes.noise_robustness(groups, shares=(0.0, 1.0), seeds=3)
    clean, flipped = table
    assert clean["pair_order_kept"] == 1.0 and clean["top_pick_gold"] == 1.0
    # every reward flipped: every strict order reverses; the pick is among the former losers
    assert flipped["pair_order_kept"] == 0.0
    assert flipped["top_pick_gold"] == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    v = np.array([0.0, 1.0] * 50)
    half = probes.flip_rewards(v, 0.3, rng)
    assert int((half != v).sum()) == 30


def test_position_bias_by_hand() -> None:
    r = probes.position_bias(["A>B", "A>B", "B>A", "B>A"], ["B>A", "A>B", "B>A", "A>B"])
    # consistent: pairs 0 and 3; inconsistent: 1 (first slot twice), 2 (second slot twice)
    assert r == {"inconsistency": 0.5, "first_slot": 0.5}
