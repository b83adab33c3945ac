"""All 164 HumanEval canonical solutions score 1.0 in the sandbox; a broken variant of each scores < 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.execution.code_tests import code_tests
from rewardsmith.testing import unprivileged


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


_AS_NOBODY = """
import gzip, json, os, sys
from rewardsmith.execution.code_tests import code_tests
rows = [json.loads(x) for x in gzip.open(sys.argv[1], "rt")]
refs = [{"tests": r["test"], "entry_point": r["entry_point"], "prefix": r["prompt"]} for r in rows]
good = code_tests([r["canonical_solution"] for r in rows], refs, backend="bwrap")
bad = code_tests(["    return None\\n"] * len(rows), refs, backend="bwrap")
print(json.dumps({"uid": os.getuid(), "n": len(rows),
                  "failing": [(r["task_id"], g.reason) for r, g in zip(rows, good) if not (g.is_ok and g.value == 1.0)],
                  "modes": sorted({g.info.get("verdict_mode") for g in good}),
                  "broken_not_below_one": [r["task_id"] for r, b in zip(rows, bad) if not (b.is_ok and b.value < 1.0)]}))
"""


def test_canonical_solutions_all_pass_as_nobody(shared_data: Path, bwrap_path: str) -> None:
    """The same 164 as an unprivileged user (dropped with ``setpriv``): all pass, every broken variant < 1."""
    if not unprivileged.available():
        pytest.skip("needs root with setpriv and unshare to drop to nobody")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "HOME": "/tmp"}
    data = shared_data / "humaneval" / "HumanEval.jsonl.gz"
    argv = unprivileged.as_nobody([sys.executable, "-c", _AS_NOBODY, str(data)], env)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=900, cwd="/")
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["uid"] == unprivileged.NOBODY_UID and got["n"] == 164
    assert got["failing"] == [] and got["modes"] == ["trusted-calls"]
    assert got["broken_not_below_one"] == []
