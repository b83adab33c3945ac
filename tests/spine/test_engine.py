"""Engine: hard timeouts, crashes, exceptions, pool recovery, dedupe, cache, async, groups."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rewardsmith import Status, load_spec
from rewardsmith.engine import Engine
from rewardsmith.engine.cache import Cache


def rows(*completions: str, prompt: str = "p") -> list[dict]:
    return [{"prompt": prompt, "completion": c} for c in completions]


def test_timeout_crash_raise_and_pool_recovers() -> None:
    spec = load_spec({"components": [{"name": "len", "reward": "t_len", "timeout": 1.0}]})
    with Engine(spec, workers=2, cache=False) as engine:
        res = engine.score(rows("ab", "hang", "die", "raise", "str", "nan", "abcd", "hang", "x"))
        status = [r.status for r in res]
        assert status == [Status.OK, Status.ERROR, Status.ERROR, Status.ERROR, Status.ERROR, Status.ERROR, Status.OK, Status.ERROR, Status.OK]
        assert [r.value for r in res if r.status is Status.OK] == [2.0, 4.0, 1.0]
        assert "timeout" in res[1].reason and "killed" in res[1].reason
        assert "worker crashed (exit code 7)" in res[2].reason
        assert "ValueError: boom" in res[3].reason
        assert "expected a number" in res[4].reason
        assert "non-finite" in res[5].reason
        assert all(r.value is None for r in res if r.status is Status.ERROR)  # an error is never a zero
        # the pool still works afterwards, with fresh workers
        again = engine.score(rows("abc", "a"))
        assert [r.value for r in again] == [3.0, 1.0]
        assert engine._pool is not None and engine._pool.timeouts == 1 and engine._pool.crashes == 1  # the two "hang" rows are one task (dedupe)


def test_bad_rows_do_not_stop_the_batch() -> None:
    spec = load_spec({"components": [{"name": "len", "reward": "t_len"}]})
    with Engine(spec, workers=1, cache=False) as engine:
        res = engine.score([{"prompt": "p", "completion": "ab"}, {"id": "x9", "prompt": "p"}, {"prompt": "p", "completion": 5}])
    assert res[0].value == 2.0
    assert res[1].status is Status.ERROR and "id=x9" in res[1].reason and "'completion'" in res[1].reason
    assert res[2].status is Status.ERROR and "'completion'" in res[2].reason


def test_dedupe_and_cache(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    spec = load_spec({"components": [{"name": "n", "reward": "t_counted", "params": {"log": str(log)}}]})
    cache_path = tmp_path / "cache.sqlite"
    with Engine(spec, workers=2, cache=str(cache_path)) as engine:
        res = engine.score(rows("aa", "b", "aa", "aa", "ccc"))
        assert [r.value for r in res] == [2.0, 1.0, 2.0, 2.0, 3.0]
        assert sorted(log.read_text().split()) == ["aa", "b", "ccc"]  # identical work done once
        assert engine.cache is not None and engine.cache.misses == 3 and engine.cache.hits == 0
    # a new engine (restart) with the same cache answers from it: no new calls
    with Engine(spec, workers=1, cache=str(cache_path)) as engine:
        res = engine.score(rows("ccc", "aa", "dddd"))
        assert [r.value for r in res] == [3.0, 2.0, 4.0]
        assert engine.cache.hits == 2 and engine.cache.misses == 1
    assert sorted(log.read_text().split()) == ["aa", "b", "ccc", "dddd"]
    # different params -> different key
    spec2 = load_spec({"components": [{"name": "n", "reward": "t_counted", "params": {"log": str(log) + "2"}}]})
    with Engine(spec2, workers=1, cache=str(cache_path)) as engine:
        engine.score(rows("aa"))
        assert engine.cache.hits == 0
    assert len(Cache(cache_path)) == 5


def test_errors_are_not_cached(tmp_path: Path) -> None:
    spec = load_spec({"components": [{"name": "len", "reward": "t_len", "timeout": 1.0}]})
    with Engine(spec, workers=1, cache=str(tmp_path / "c.sqlite")) as engine:
        engine.score(rows("raise", "ok"))
        assert len(engine.cache) == 1


def test_async_rewards_run_concurrently_with_timeout() -> None:
    spec = load_spec({"components": [{"name": "a", "reward": "t_async", "params": {"delay": 0.3}, "timeout": 1.5}]})
    with Engine(spec, cache=False, concurrency=16) as engine:
        import time

        start = time.perf_counter()
        res = engine.score(rows(*[f"a{'a' * i}" for i in range(12)], "hang"))
        took = time.perf_counter() - start
    assert [r.value for r in res[:12]] == [float(i + 1) for i in range(12)]
    assert res[12].status is Status.ERROR and "timeout" in res[12].reason
    assert took < 12 * 0.3  # concurrent, not sequential (a sanity bound, not a benchmark)


def test_ascore_inside_running_loop_matches_sync() -> None:
    spec = load_spec({"components": [{"name": "a", "reward": "t_async"}, {"name": "len", "reward": "t_len"}]})
    data = rows("aab", "b", "aaaa")
    with Engine(spec, cache=False, workers=1) as engine:
        sync = [r.value for r in engine.score(data)]

        async def main() -> list[float | None]:
            return [r.value for r in await engine.ascore(data)]

        assert asyncio.run(main()) == sync == [5.0, 1.0, 8.0]


def test_group_reward_and_class_reward() -> None:
    spec = load_spec(
        {
            "components": [
                {"name": "rank", "reward": "t_group_rank"},
                {"name": "scaled", "reward": "t_class", "params": {"factor": 0.5}, "weight": 0.0},
            ]
        }
    )
    data = [
        {"prompt": "p", "completion": "aaa", "group": "1"},
        {"prompt": "p", "completion": "a", "group": "1"},
        {"prompt": "q", "completion": "aa", "group": "2"},
        {"prompt": "p", "completion": "aa", "group": "1"},
    ]
    res = spec.score(data, cache=False)
    assert [r.value for r in res] == [2.0, 0.0, 0.0, 1.0]
    assert [r.components["scaled"] for r in res] == [1.5, 0.5, 1.0, 1.0]
    spec.close()


def test_sub_components_and_abstain() -> None:
    spec = load_spec({"components": [{"name": "ex", "reward": "t_abstain_no_ref"}]})
    res = spec.score([{"prompt": "p", "completion": "a", "reference": "a"}, {"prompt": "p", "completion": "a"}], cache=False)
    assert res[0].value == 1.0 and res[0].components == {"ex": 1.0, "ex.exact": 1.0}
    assert res[1].status is Status.ABSTAIN and res[1].value is None and "ex:" in res[1].reason
    spec.close()


def test_user_function_by_module_path() -> None:
    spec = load_spec({"components": [{"name": "s", "reward": "user_rewards:slow_len"}]})
    assert [r.value for r in spec.score(rows("abc", "de"), cache=False, workers=2)] == [3.0, 2.0]
    spec.close()


def test_several_cpu_components_share_one_pool_run() -> None:
    spec = load_spec(
        {
            "components": [
                {"name": "a", "reward": "t_len", "timeout": 1.0},
                {"name": "b", "reward": "t_len", "params": {"scale": 2}, "timeout": 1.0},
                {"name": "c", "reward": "user_rewards:slow_len"},
            ]
        }
    )
    with Engine(spec, workers=2, cache=False) as engine:
        res = engine.score(rows("ab", "hang", "abc"))
        assert [r.components for r in (res[0], res[2])] == [{"a": 2.0, "b": 4.0, "c": 2.0}, {"a": 3.0, "b": 6.0, "c": 3.0}]
        assert res[1].status is Status.ERROR and res[1].components["c"] == 4.0 and res[1].components["a"] is None
        # everything cached-free again, pool alive
        assert [r.value for r in engine.score(rows("a"))] == [4.0]
