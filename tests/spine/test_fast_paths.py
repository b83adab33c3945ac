"""The engine's and the CLI's fast paths give what the plain code gives: chunked reading, the column-wise
weighted sum, the summary from results, the combine rules with failed rows."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from rewardsmith import RewardResult, Status, load_spec
from rewardsmith.compose.combine import weighted_sum
from rewardsmith.engine import Engine
from rewardsmith.engine.runner import _weighted_sum_columns
from rewardsmith.rows import output_row, read_chunks, read_rows
from rewardsmith.summary import RunSummary


def _reference_chunks(rows: Any, size: int) -> list[list[Any]]:
    """The CLI's former chunking: cut once ``size`` rows are in, before a row whose group is missing or new."""
    out: list[list[Any]] = []
    batch: list[Any] = []
    last: Any = object()
    for line, row in rows:
        group = row.get("group") if isinstance(row, dict) else None
        if len(batch) >= size and (group is None or group != last):
            out.append(batch)
            batch = []
        batch.append((line, row))
        last = group
    if batch:
        out.append(batch)
    return out


def _random_rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    rows = []
    group = None
    for i in range(n):
        if rng.random() < 0.3:
            group = rng.choice([None, "g1", "g2", "g3", 7])
        row: dict[str, Any] = {"id": f"r{i}", "prompt": "p", "completion": "x" * (i % 5)}
        if group is not None:
            row["group"] = group
        rows.append(row)
    return rows


def test_read_chunks_cuts_where_the_cli_always_cut(tmp_path: Path) -> None:
    rng = random.Random(0)
    for trial in range(30):
        rows = _random_rows(rng, rng.randint(1, 60))
        src = tmp_path / f"in{trial}.jsonl"
        with open(src, "w") as f:
            for i, row in enumerate(rows):
                f.write(json.dumps(row) + "\n")
                if i % 7 == 3:
                    f.write("{not json\n" if i % 2 else "\n")  # a malformed line (an error row) or a blank one
        for size in (1, 2, 3, 5, 8, 64):
            want = _reference_chunks(read_rows(src), size)
            got = [list(zip(lines, batch)) for lines, batch in read_chunks(src, size)]
            assert [[(n, r if isinstance(r, dict) else r.reason) for n, r in b] for b in got] == [
                [(n, r if isinstance(r, dict) else r.reason) for n, r in b] for b in want
            ]
        # Parquet: the same cuts, row numbers for lines
        pq_src = tmp_path / f"in{trial}.parquet"
        pq.write_table(pa.Table.from_pylist([{**r, "group": None if r.get("group") is None else str(r["group"])} for r in rows]), pq_src)
        for size in (1, 3, 8):
            want = _reference_chunks(read_rows(pq_src), size)
            got = [list(zip(lines, batch)) for lines, batch in read_chunks(pq_src, size)]
            assert got == want
            assert [n for b in got for n, _ in b] == list(range(1, len(rows) + 1))


def test_skip_counts_rows_not_blank_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"completion": "a"}\n\n\n{"completion": "b"}\n{oops\n{"completion": "c"}\n')
    # a partial output of 2 rows holds a and b: a resumed run goes on with the malformed line, then c
    rest = list(read_rows(src, skip=2))
    assert [n for n, _ in rest] == [5, 6]
    assert isinstance(rest[0][1], RewardResult) and rest[1][1] == {"completion": "c"}
    assert [n for lines, _ in read_chunks(src, 10, skip=2) for n in lines] == [5, 6]
    pq_src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{"completion": c} for c in "abcdefg"]), pq_src)
    assert [r["completion"] for _, r in read_rows(pq_src, skip=5)] == ["f", "g"]
    assert [(list(lines), [r["completion"] for r in rs]) for lines, rs in read_chunks(pq_src, 3, skip=2)] == [
        ([3, 4, 5], ["c", "d", "e"]), ([6, 7], ["f", "g"])
    ]


def test_weighted_sum_columns_is_weighted_sum() -> None:
    rng = random.Random(1)
    pool = [None, 0.0, -0.0, 1.0, -2.5, 0.1, 1e300, 3.0]
    for trial in range(200):
        names = [f"c{i}" for i in range(rng.randint(1, 4))]
        weights = {n: rng.choice([0.0, 1.0, 0.5, -1.0, 0.1]) for n in names}
        n = rng.randint(1, 12)
        cols = {name: [rng.choice(pool) for _ in range(n)] for name in names}
        statuses = [RewardResult.error("x") if rng.random() < 0.2 else None for _ in range(n)]
        rows = [{name: cols[name][k] for name in names} for k in range(n)]
        ok = [k for k in range(n) if statuses[k] is None]
        want: list[Any] = [None] * n
        for k, v in zip(ok, weighted_sum([rows[k] for k in ok], weights, ["g"] * len(ok))):
            want[k] = v
        got = _weighted_sum_columns([(weights[name], cols[name]) for name in names], statuses, n)
        assert [repr(v) for v in got] == [repr(v) for v in want]  # the same numbers, -0.0 and int 0 included


def test_combine_rules_with_failed_rows() -> None:
    data = [{"prompt": "p", "completion": c} for c in ("ab", "raise", "abc")]
    for combine, want in (("product", [4.0, None, 9.0]), ("min", [2.0, None, 3.0]), ("weighted_sum", [4.0, None, 6.0])):
        spec = load_spec({"components": [{"name": "a", "reward": "t_len"}, {"name": "b", "reward": "t_len"}], "combine": combine})
        with Engine(spec, workers=1, cache=False) as engine:
            res = engine.score(data)
        assert [r.value for r in res] == want, combine
        assert res[1].status is Status.ERROR and "boom" in res[1].reason


def test_summary_from_results_matches_summary_from_rows() -> None:
    results = [
        RewardResult.ok(1.0, {"a": 1.0, "b": 0}),
        RewardResult.error("judge HTTP 500", {"a": None}),
        RewardResult.abstain("no reference", {"a": 2.0}),
        RewardResult.ok(0.5, {"a": 0.25, "b": None}, info={"x": 1}, step_values=[0.1]),
    ]
    by_rows, by_results = RunSummary(), RunSummary()
    by_rows.add([output_row({"id": str(i)}, r, i) for i, r in enumerate(results)])
    by_results.add_results(results)
    for field in ("rows", "status", "reasons"):
        assert getattr(by_rows, field) == getattr(by_results, field)
    assert by_rows.reward == by_results.reward
    assert by_rows.components == by_results.components
