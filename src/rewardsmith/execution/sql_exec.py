"""``sql_exec``: execution accuracy of predicted SQL against gold SQL, plus Reasoning-SQL partial rewards.

Both queries run in a one-shot sandbox (the database file bound read-only, no network, rlimits, wall
timeout) through a read-only connection with a per-query deadline. SQL from the model is untrusted code:
it never runs in this process. Executor "thread": the sandbox enforces the limits, the engine only waits.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from rewardsmith.execution.fences import extract_code
from rewardsmith.execution.sql_compare import gold_is_ordered, results_match
from rewardsmith.execution.sql_partial import ngram_similarity, schema_linking, syntax_ok
from rewardsmith.params import AfterValidator, NonNegativeFloat, NonNegativeInt, PositiveFloat, some_weight
from rewardsmith.registry import reward
from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.oneshot import python_command, run_oneshot
from rewardsmith.types import Abstain, RewardResult

RUNNER = Path(os.path.realpath(__file__)).with_name("sql_runner.py")
DEFAULT_WEIGHTS = {"exec": 0.7, "syntax": 0.1, "schema": 0.1, "ngram": 0.1}
#: ``weights`` of mode partial: only the four component names (a typo is a spec error, never a silent 0).
SqlWeights = Annotated[dict[Literal["exec", "syntax", "schema", "ngram"], NonNegativeFloat], AfterValidator(some_weight)]


def predicted_sql(completion: str) -> str:
    """The SQL in a completion: the last ```sql block (or any fence), else the text; no trailing ';'.

    >>> predicted_sql("The query:\\n```sql\\nSELECT 1;\\n```")
    'SELECT 1'
    """
    return extract_code(completion, "sql").strip().rstrip(";").strip()


def detect_engine(path: str) -> Literal["sqlite", "duckdb"]:
    if path.endswith((".duckdb", ".ddb")):
        return "duckdb"
    try:
        with open(path, "rb") as f:
            if f.read(16).startswith(b"SQLite format 3"):
                return "sqlite"
    except OSError:
        pass
    return "duckdb" if not path.endswith((".sqlite", ".sqlite3", ".db")) else "sqlite"


def execute_queries(
    db: str,
    engine: Literal["sqlite", "duckdb"],
    queries: list[str],
    timeout_s: float,
    max_rows: int = 100_000,
    backend: str = "auto",
) -> list[dict[str, Any]]:
    """Run queries read-only in a one-shot sandbox; one dict per query (``rows``, ``columns``, ``error``, ``timeout``).

    Raises RuntimeError when the sandbox or the database itself failed (an infrastructure error).
    """
    db = os.path.realpath(db)
    request = json.dumps({"db": db, "engine": engine, "queries": queries, "timeout_s": timeout_s, "max_rows": max_rows})
    limits = Limits(cpu_s=timeout_s * len(queries) + 5, wall_s=timeout_s * len(queries) + 15, memory_mb=2048, output_bytes=64 << 20)
    run = run_oneshot(python_command(RUNNER), stdin=request, ro_files=[db, str(RUNNER)], limits=limits, backend=backend)
    if run.infrastructure_error:
        raise RuntimeError(f"sandbox failure: {run.detail}")
    if not run.stdout.strip():
        raise RuntimeError(f"SQL runner ended with {run.reason}: {run.stderr[-300:]}")
    answer = json.loads(run.stdout)
    if "open_error" in answer:
        raise RuntimeError(f"could not open {db}: {answer['open_error']}")
    return answer["results"]


@reward(
    "sql_exec",
    source="Spider/BIRD execution accuracy; Reasoning-SQL partial rewards (Pourreza et al., 2025)",
    executor="thread",
    timeout=120.0,
)
def sql_exec(
    completion: str,
    reference: Any,
    mode: Literal["exec", "partial"] = "exec",
    weights: SqlWeights | None = None,
    engine: Literal["auto", "sqlite", "duckdb"] = "auto",
    db_root: str | None = None,
    timeout_s: PositiveFloat = 5.0,
    digits: NonNegativeInt = 6,
    column_order: Literal["strict", "any"] = "strict",
    backend: Literal["auto", "bwrap", "unsafe-subprocess"] = "auto",
) -> RewardResult:
    """Execution accuracy by result-set comparison, with syntax / schema-linking / n-gram components (Reasoning-SQL, Pourreza et al. 2025).

    ``mode="exec"``: the value is execution accuracy (0/1). ``mode="partial"``: a weighted sum of the
    components (default weights exec 0.7, syntax/schema/ngram 0.1 each).

    >>> import sqlite3, tempfile, os
    >>> db = os.path.join(tempfile.mkdtemp(), "t.sqlite")
    >>> with sqlite3.connect(db) as c:
    ...     _ = c.execute("CREATE TABLE t (a INT)"); _ = c.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    >>> sql_exec("```sql\\nSELECT a FROM t WHERE a > 1\\n```", {"sql": "SELECT 2", "db": db}).value
    1.0
    """
    if not isinstance(reference, dict) or not isinstance(reference.get("sql"), str) or not reference.get("db"):
        raise Abstain("sql_exec: reference needs 'sql' and 'db'")
    db = str(reference["db"])
    if db_root and not os.path.isabs(db):
        db = os.path.join(db_root, db)
    if not os.path.isfile(db):
        raise Abstain(f"sql_exec: database not found: {db}")
    eng = reference.get("engine") or (engine if engine != "auto" else detect_engine(db))
    dialect = "duckdb" if eng == "duckdb" else "sqlite"
    gold = reference["sql"].strip().rstrip(";")
    pred = predicted_sql(completion)
    components: dict[str, float | None] = {
        "syntax": 1.0 if pred and syntax_ok(pred, dialect) else 0.0,
        "schema": schema_linking(pred, gold, dialect) if pred else 0.0,
        "ngram": ngram_similarity(pred, gold) if pred else 0.0,
    }
    if not pred:
        components["exec"] = 0.0
        return _value(components, mode, weights, "no SQL in the completion")
    gold_res, pred_res = execute_queries(db, eng, [gold, pred], timeout_s, backend=backend)  # type: ignore[arg-type]
    if gold_res["error"]:
        raise Abstain(f"sql_exec: the gold query fails: {gold_res['error']}")
    if pred_res["error"]:
        components["exec"] = 0.0
        why = "timeout" if pred_res.get("timeout") else pred_res["error"]
        return _value(components, mode, weights, f"predicted SQL failed: {why}", {"sql_error": why})
    ordered = gold_is_ordered(gold, dialect)
    same = results_match(pred_res["rows"], gold_res["rows"], ordered, digits, column_order)
    components["exec"] = 1.0 if same else 0.0
    reason = "result sets match" if same else f"result sets differ ({len(pred_res['rows'])} vs {len(gold_res['rows'])} rows)"
    return _value(components, mode, weights, reason + (" (ordered)" if ordered else ""))


def _value(
    components: dict[str, float | None], mode: str, weights: dict[str, float] | None, reason: str, info: dict[str, Any] | None = None
) -> RewardResult:
    if mode == "exec":
        value = components["exec"] or 0.0
    else:
        w = weights or DEFAULT_WEIGHTS
        total = sum(w.values()) or 1.0
        value = sum(w.get(k, 0.0) * (components.get(k) or 0.0) for k in w) / total
    return RewardResult.ok(value, components, reason, info=info)
