"""The worker pool sends tasks in chunks and results once per chunk (or after ``FLUSH_S``), while the
timeout stays per item: a hang or crash costs only its own item, whatever else its chunk held."""

from __future__ import annotations

from pathlib import Path

from rewardsmith import Status, load_spec
from rewardsmith.engine import Engine
from rewardsmith.engine import pool as pool_module
from rewardsmith.engine.pool import Task, WorkerPool


def _pool_and_tasks(completions: list[str], log: Path, delay: float = 0.0, workers: int = 1) -> tuple[WorkerPool, list[Task]]:
    spec = load_spec({"components": [{"name": "c", "reward": "t_chunky"}]})
    kwargs = {"log": str(log), "delay": delay}
    tasks = [Task(tid=i, comp=0, kwargs={"completion": c, **kwargs}, timeout=1.0) for i, c in enumerate(completions)]
    return WorkerPool(spec.bound, workers), tasks


def _calls(log: Path) -> list[str]:
    return log.read_text().split()


def test_a_timeout_in_a_chunk_keeps_the_other_results(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    # one worker: the first chunk is [a, bb, hang] (chunks are about remaining / (2 * workers))
    pool, tasks = _pool_and_tasks(["a", "bb", "hang", "ccc", "dddd"], log, delay=pool_module.FLUSH_S + 0.03)
    seen: list[int] = []
    try:
        res = pool.run(tasks, on_result=lambda tid, _: seen.append(tid))
    finally:
        pool.close()
    assert [res[i].value for i in (0, 1, 3, 4)] == [1.0, 2.0, 3.0, 4.0]
    assert res[2].status is Status.ERROR and res[2].value is None
    assert "timeout" in res[2].reason and "killed" in res[2].reason
    assert pool.timeouts == 1 and pool.crashes == 0
    assert sorted(seen) == [0, 1, 2, 3, 4]
    # a and bb had been held past FLUSH_S when the hang started, so they were sent and not scored again
    assert sorted(_calls(log)) == ["a", "bb", "ccc", "dddd", "hang"]


def test_a_crash_in_a_chunk_blames_its_own_item(tmp_path: Path) -> None:
    log = tmp_path / "calls.log"
    pool, tasks = _pool_and_tasks(["a", "die", "bb", "ccc"], log)
    try:
        res = pool.run(tasks)
        again = pool.run(_pool_and_tasks(["xyz"], log)[1])  # the pool recovered
    finally:
        pool.close()
    assert res[1].status is Status.ERROR and "worker crashed (exit code 7)" in res[1].reason and "t_chunky" in res[1].reason
    assert [res[i].value for i in (0, 2, 3)] == [1.0, 2.0, 3.0]  # "a" ran before the crash: not blamed
    assert pool.crashes == 1 and pool.timeouts == 0
    assert again[0].value == 3.0
    # "a" may have been scored twice (its result was still held when the worker died), nothing else
    calls = _calls(log)
    assert calls.count("die") == 1 and calls.count("bb") == 1 and calls.count("ccc") == 1 and 1 <= calls.count("a") <= 2


def test_an_unpicklable_result_is_an_error_for_that_item_only(tmp_path: Path) -> None:
    pool, tasks = _pool_and_tasks(["a", "unpicklable", "bb"], tmp_path / "calls.log")
    try:
        res = pool.run(tasks)
    finally:
        pool.close()
    assert res[1].status is Status.ERROR and "could not be sent back" in res[1].reason
    assert [res[0].value, res[2].value] == [1.0, 2.0]
    assert pool.crashes == 0


def test_many_small_items_over_two_workers_in_order(tmp_path: Path) -> None:
    spec = load_spec({"components": [{"name": "c", "reward": "t_len"}]})
    data = [{"prompt": "p", "completion": f"{i:04d}" + "x" * (i % 23)} for i in range(700)]  # all distinct
    with Engine(spec, workers=2, cache=False) as engine:
        res = engine.score(data)
        assert [r.value for r in res] == [float(4 + i % 23) for i in range(700)]
        assert engine._pool is not None and engine._pool.crashes == 0 and engine._pool.timeouts == 0
