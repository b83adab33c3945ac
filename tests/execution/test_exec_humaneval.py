"""All 164 HumanEval canonical solutions score 1.0 in the sandbox; a broken variant of each scores < 1."""

from __future__ import annotations

from typing import Any

from rewardsmith.execution.code_tests import code_tests


def _refs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"tests": r["test"], "entry_point": r["entry_point"], "prefix": r["prompt"]} for r in rows]


def test_canonical_solutions_all_pass(humaneval: list[dict[str, Any]], bwrap_path: str) -> None:
    assert len(humaneval) == 164
    results = code_tests([r["canonical_solution"] for r in humaneval], _refs(humaneval), backend="bwrap")
    failing = [(r["task_id"], res.reason) for r, res in zip(humaneval, results) if not (res.is_ok and res.value == 1.0)]
    assert failing == []
    for res in results:
        assert res.components["all_pass"] == 1.0
        tests = [k for k in res.components if k.startswith("test_")]
        assert tests and all(res.components[k] == 1.0 for k in tests)
        assert res.info["backend"] == "bwrap"
        assert res.info["verdict_mode"] == "trusted-calls"  # judged in the worker, never by the program


def test_broken_variants_score_below_one(humaneval: list[dict[str, Any]], bwrap_path: str) -> None:
    broken = ["    return None\n"] * len(humaneval)
    results = code_tests(broken, _refs(humaneval), backend="bwrap")
    assert all(res.is_ok for res in results), [res.reason for res in results if not res.is_ok]
    above = [r["task_id"] for r, res in zip(humaneval, results) if res.value >= 1.0]
    assert above == []
    # per-test results are real: some problems keep partial credit (e.g. a test expecting None)
    assert any(0.0 < res.value < 1.0 for res in results)
    assert all(res.components["all_pass"] == 0.0 for res in results)


def test_off_by_one_variants_score_below_one(humaneval: list[dict[str, Any]], bwrap_path: str) -> None:
    """Wrap the canonical solution so every result is shifted (numbers +1, strings/lists extended)."""
    rows = humaneval[:40]
    wrapped = []
    for r in rows:
        entry = r["entry_point"]
        wrapped.append(
            r["canonical_solution"]
            + f"\n_orig_{entry} = {entry}\n"
            + f"def {entry}(*a, **k):\n"
            + f"    out = _orig_{entry}(*a, **k)\n"
            + "    if isinstance(out, bool):\n        return not out\n"
            + "    if isinstance(out, (int, float)):\n        return out + 1\n"
            + "    if isinstance(out, (str, list, tuple)):\n        return out + out[:1] if out else type(out)([0]) if not isinstance(out, str) else 'x'\n"
            + "    return (out,)\n"
        )
    results = code_tests(wrapped, _refs(rows), backend="bwrap")
    assert [r["task_id"] for r, res in zip(rows, results) if not res.is_ok or res.value >= 1.0] == []
