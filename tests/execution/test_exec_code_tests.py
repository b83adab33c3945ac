"""code_tests: assert tests, stdin/stdout cases, fences, VeRPO through the engine, error vs abstain."""

from __future__ import annotations

import pytest

from rewardsmith.engine.runner import Engine
from rewardsmith.execution.code_tests import code_tests
from rewardsmith.sandbox import bwrap as bwrap_mod
from rewardsmith.types import Status

MBPP_TESTS = "assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add(10, 5) == 15"
ADD_OK = "Here you go:\n```python\ndef add(a, b):\n    return a + b\n```\nHope it helps."
ADD_HALF = "```python\ndef add(a, b):\n    return abs(a) + b\n```"  # fails add(-1, 1) only
CASES = {"cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12"}, {"input": "0.1 0.2", "output": "0.3"}]}
SUM_OK = "```python\na, b = map(float, input().split())\nr = a + b\nprint(int(r) if r == int(r) else r)\n```"


def test_mbpp_style_asserts_per_test(bwrap_path: str) -> None:
    ok, half, broken = code_tests([ADD_OK, ADD_HALF, "def add(a, b) return"], [{"tests": MBPP_TESTS}] * 3, backend="bwrap")
    assert ok.value == 1.0 and ok.components["all_pass"] == 1.0
    assert half.value == pytest.approx(2 / 3)
    assert (half.components["test_0"], half.components["test_1"], half.components["test_2"]) == (1.0, 0.0, 1.0)
    assert broken.status is Status.OK and broken.value == 0.0
    assert "SyntaxError" in broken.info["program_error"]


def test_all_pass_mode_and_extraction_of_the_last_block(bwrap_path: str) -> None:
    text = "First try:\n```python\ndef add(a, b):\n    return 0\n```\nFixed:\n```python\ndef add(a, b):\n    return a + b\n```"
    r = code_tests([text, ADD_HALF], [{"tests": MBPP_TESTS}] * 2, mode="all_pass", backend="bwrap")
    assert [x.value for x in r] == [1.0, 0.0]


def test_stdin_stdout_cases(bwrap_path: str) -> None:
    wrong = "```python\na, b = map(float, input().split())\nprint(a - b)\n```"
    good, bad = code_tests([SUM_OK, wrong], [CASES, CASES], backend="bwrap")
    assert good.value == 1.0, good.info
    assert bad.value == 0.0 and bad.components["test_0"] == 0.0


def test_a_test_that_hangs_costs_only_that_test(bwrap_path: str) -> None:
    tests = "def check(f):\n    assert f(1) == 1\n    assert f(0) == 0\n    assert f(2) == 2\n"
    code = "def ident(x):\n    while x == 0:\n        pass\n    return x\n"
    (r,) = code_tests([code], [{"tests": tests, "entry_point": "ident"}], test_timeout_s=0.5, backend="bwrap")
    assert r.value == pytest.approx(2 / 3)
    assert r.components["test_1"] == 0.0
    assert any("timeout" in f for f in r.info["failures"])


def test_forged_report_lines_are_ignored(bwrap_path: str) -> None:
    forger = (
        "import os\n"
        "for i in range(3):\n"
        "    os.write(3, ('{\"unit\": %d, \"ok\": true, \"n\": \"guess\"}\\n' % i).encode())\n"
        "os._exit(0)\n"
    )
    (r,) = code_tests([forger], [{"tests": MBPP_TESTS}], backend="bwrap")
    assert r.value == 0.0


def test_bad_reference_abstains_and_broken_sandbox_is_an_error(monkeypatch: pytest.MonkeyPatch, bwrap_path: str) -> None:
    (r,) = code_tests([ADD_OK], [{"nothing": 1}], backend="bwrap")
    assert r.status is Status.ABSTAIN
    (r,) = code_tests([ADD_OK], [{"tests": "def check(:"}], backend="bwrap")
    assert r.status is Status.ABSTAIN
    # no bubblewrap and backend=bwrap: an error result through the engine, never a zero
    monkeypatch.setenv("REWARDSMITH_BWRAP", "/nonexistent/bwrap")
    bwrap_mod.find_bwrap.cache_clear()
    try:
        import rewardsmith.sandbox.pool as pool

        monkeypatch.setattr(pool, "_shared", {})
        spec = {"name": "t", "components": [{"name": "tests", "reward": "code_tests", "params": {"backend": "bwrap"}}]}
        with Engine(spec, cache=False) as engine:
            (res,) = engine.score([{"prompt": "p", "completion": ADD_OK, "reference": {"tests": MBPP_TESTS}}])
        assert res.status is Status.ERROR and res.value is None
        assert "bubblewrap" in (res.reason or "")
    finally:
        monkeypatch.delenv("REWARDSMITH_BWRAP")
        bwrap_mod.find_bwrap.cache_clear()


def test_verpo_through_the_engine(bwrap_path: str) -> None:
    """Group of 3 on MBPP_TESTS: pass patterns [1,1,1], [1,0,1], [0,0,0] (sub always wrong).

    pass rates per test: (2/3, 1/3, 2/3); raw weights (1 - rate + 0.1): (0.4333, 0.7667, 0.4333), sum 1.6333
    -> normalised (0.2653, 0.4694, 0.2653). Partial sample: dense = 0.2653 + 0.2653 = 0.5306,
    reward = 0.5 * 0.5306 = 0.2653. Full sample: 1. Zero sample: 0.
    """
    spec = {"name": "v", "components": [{"name": "tests", "reward": "code_tests", "params": {"mode": "verpo", "backend": "bwrap"}}]}
    rows = [
        {"prompt": "add", "group": "g", "completion": c, "reference": {"tests": MBPP_TESTS}}
        for c in (ADD_OK, ADD_HALF, "def add(a, b):\n    return a - b - 1")
    ]
    with Engine(spec, cache=False) as engine:
        full, part, zero = engine.score(rows)
    w = [0.4333333 / 1.6333333, 0.7666667 / 1.6333333, 0.4333333 / 1.6333333]
    assert full.value == pytest.approx(1.0)
    assert part.components["tests.dense"] == pytest.approx(w[0] + w[2], abs=1e-6)
    assert part.value == pytest.approx(0.5 * (w[0] + w[2]), abs=1e-6)
    assert zero.value == 0.0
    assert part.components["tests.pass_rate"] == pytest.approx(2 / 3)


def test_a_group_with_hanging_and_crashing_candidates(bwrap_path: str) -> None:
    """One batch through the pipelined workers: the bad candidates cost only themselves."""
    candidates = [
        ADD_OK,
        "import time\ntime.sleep(60)\n",  # hangs at import: wall limit, no test ran
        "import os\nos._exit(0)\n",  # leaves before the tests
        "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
        ADD_HALF,
        "x = bytearray(8 << 30)\n",  # memory limit while the program loads
        "def add(a, b):\n    while True:\n        pass\n",  # every test times out
        ADD_OK,
    ]
    results = code_tests(candidates, [{"tests": MBPP_TESTS}] * len(candidates), wall_s=2, test_timeout_s=0.3, backend="bwrap")
    assert all(r.status is Status.OK for r in results), [r.reason for r in results]
    assert [r.value for r in results] == [1.0, 0.0, 0.0, 0.0, pytest.approx(2 / 3), 0.0, 0.0, 1.0]
    assert results[1].info["limit"] == "wall" and results[1].info["no_cache"] is True
    assert "MemoryError" in results[5].info["program_error"]
    assert results[6].info["failures"][0].endswith("timeout")


def test_tests_compiled_on_the_host_and_in_the_sandbox_agree(bwrap_path: str) -> None:
    from rewardsmith.execution.test_driver import assert_request, plan_tests, read_verdict
    from rewardsmith.sandbox import Limits, Sandbox

    tests = "def check(f):\n    assert f(1) == 2\n    x = f(2)\n    assert x == 4, f'got {x}'\n    assert f(None)\n"
    plan = plan_tests(tests, "inc")
    assert plan.compiled is not None
    program = "def inc(x):\n    return x + 1\n"
    host = assert_request(program, plan, 1.0, Limits())
    here = assert_request(program, plan, 1.0, Limits())
    here.args["magic"] = b"\0\0\0\0"  # another interpreter: the worker compiles the sources itself
    with Sandbox(workers=1, backend="bwrap") as sb:
        a, b = sb.run_many([host, here])
    outcome = read_verdict(a, plan)
    assert outcome == read_verdict(b, plan)
    assert outcome.passed == [True, False, False]
    assert outcome.errors[1] == "AssertionError: got 3" and outcome.errors[2].startswith("TypeError")
    assert outcome.mode == "trusted-calls" and outcome.calls == 3


JUDGE_TESTS = """
def check(candidate):
    assert candidate([3, 1, 2], key=lambda x: -x) == [3, 2, 1]
    data = [3, 1, 2]
    candidate(data)
    assert data == [1, 2, 3]
    assert COUNT == 2
    box = Box(5)
    box.add(2)
    assert box.total() == 7
    try:
        candidate(None)
        assert False, 'no exception'
    except TypeError:
        pass
"""
JUDGE_PROGRAM = """
COUNT = 0
def order(items, key=None):
    global COUNT
    COUNT += 1
    if items is None:
        raise TypeError('no items')
    items.sort(key=key)
    return items
class Box:
    def __init__(self, v):
        self.v = v
    def add(self, x):
        self.v += x
    def total(self):
        return self.v
"""


def test_the_judge_handles_callbacks_mutation_globals_objects_and_exceptions(bwrap_path: str) -> None:
    """Test shapes that go beyond one call with plain arguments, all judged in trusted code: a lambda
    argument (run by the judge when the program calls it), an argument sorted in place (written back), a
    program global read by the tests, an object of the program used through its methods, an exception
    the tests expect."""
    wrong = JUDGE_PROGRAM.replace("items.sort(key=key)", "items = sorted(items)").replace("self.v += x", "pass")
    ok, bad = code_tests([JUDGE_PROGRAM, wrong], [{"tests": JUDGE_TESTS, "entry_point": "order"}] * 2, fence_language="", backend="bwrap")
    assert ok.value == 1.0 and ok.info["verdict_mode"] == "trusted-calls", ok.info
    assert [bad.components[f"test_{i}"] for i in range(5)] == [0.0, 0.0, 1.0, 0.0, 1.0], bad.info


def test_a_value_that_is_not_plain_data_fails_its_test_with_the_reason(bwrap_path: str) -> None:
    program = "class Yes(int):\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Yes(a + b)\n"
    (r,) = code_tests([program], [{"tests": MBPP_TESTS}], fence_language="", backend="bwrap")
    assert r.status is Status.OK and r.value == 0.0
    assert "not plain data" in r.info["failures"][0] and "Yes" in r.info["failures"][0]


def test_timing_dependent_results_are_not_cached(bwrap_path: str) -> None:
    slow = "import time\ntime.sleep(60)\n"
    hang = "def add(a, b):\n    while True:\n        pass\n"
    wall, timeout, fine = code_tests([slow, hang, ADD_OK], [{"tests": MBPP_TESTS}] * 3, wall_s=1.5, test_timeout_s=0.2, backend="bwrap")
    assert wall.info.get("no_cache") is True and timeout.info.get("no_cache") is True
    assert "no_cache" not in fine.info
    from rewardsmith.engine.cache import Cache

    cache = Cache(":memory:")
    cache.put_many({"wall": wall, "timeout": timeout, "fine": fine})
    assert sorted(cache.get_many(["wall", "timeout", "fine"])) == ["fine"]
