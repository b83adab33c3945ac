"""``sql_exec``: execution accuracy of predicted SQL against gold SQL, plus Reasoning-SQL partial rewards.

Both queries run in a one-shot sandbox (the database file bound read-only, no network, rlimits, wall
timeout) through a read-only connection with a per-query deadline. SQL from the model is untrusted code:
it never runs in this process. Executor "thread": the sandbox enforces the limits, the engine only waits.

Trust boundaries. The row's ``reference.db`` must resolve under the configured database root
(``sql_db``): a row cannot make the server open, probe or read any other host file. The policy's SQL is
the policy's: everything it causes (a failing query, a timeout, a result over the row or size cap, a
crash of the SQL engine while it runs, SQL nested too deep for the host parser) is ``ok 0.0`` with a
reason, and no reason quotes the engine's message (only its category), so no cell value or file content
reaches the caller through an error. Faults of the row (bad ``reference.db``, a database that does not
open) and of the sandbox are ``error``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

from rewardsmith.execution.fences import extract_code
from rewardsmith.execution.sql_compare import gold_is_ordered, results_match
from rewardsmith.execution.sql_db import DatabaseRefError, database_root, engine_of, resolve_database
from rewardsmith.execution.sql_partial import ngram_similarity, schema_linking, syntax_ok
from rewardsmith.params import AfterValidator, NonNegativeFloat, NonNegativeInt, PositiveFloat, some_weight
from rewardsmith.registry import reward
from rewardsmith.sandbox.limits import Limits
from rewardsmith.sandbox.oneshot import python_command, run_oneshot
from rewardsmith.sandbox.result import RunResult
from rewardsmith.types import Abstain, RewardResult

RUNNER = Path(os.path.realpath(__file__)).with_name("sql_runner.py")
DEFAULT_WEIGHTS = {"exec": 0.7, "syntax": 0.1, "schema": 0.1, "ngram": 0.1}
#: Largest serialised result of one query (the runner stops and reports ``limit: "bytes"`` past it).
MAX_RESULT_BYTES = 24 << 20
#: ``weights`` of mode partial: only the four component names (a typo is a spec error, never a silent 0).
SqlWeights = Annotated[dict[Literal["exec", "syntax", "schema", "ngram"], NonNegativeFloat], AfterValidator(some_weight)]


def predicted_sql(completion: str) -> str:
    """The SQL in a completion: the last ```sql block (or any fence), else the text; no trailing ';'.

    >>> predicted_sql("The query:\\n```sql\\nSELECT 1;\\n```")
    'SELECT 1'
    """
    return extract_code(completion, "sql").strip().rstrip(";").strip()


def execute_queries(
    db: str,
    engine: Literal["sqlite", "duckdb"],
    queries: list[str],
    timeout_s: float,
    max_rows: int = 100_000,
    backend: str = "auto",
    max_bytes: int = MAX_RESULT_BYTES,
) -> list[dict[str, Any]]:
    """Run queries read-only in a one-shot sandbox; one dict per query (``rows``, ``columns``, ``error``,
    ``timeout``, ``limit``).

    The runner writes each result as soon as its query ends, so when the run dies (a limit, a crash of the
    engine) the queries that finished keep their results and the one that was running gets an error
    naming the run's end (``limit: "run"``); the queries after it get none. Raises ``DatabaseRefError``
    when the database does not open and RuntimeError when the sandbox failed or nothing came back.
    """
    request = json.dumps(
        {"db": db, "engine": engine, "queries": queries, "timeout_s": timeout_s, "max_rows": max_rows, "max_bytes": max_bytes}
    )
    limits = Limits(
        cpu_s=timeout_s * len(queries) + 5,
        wall_s=timeout_s * len(queries) + 15,
        memory_mb=2048,
        output_bytes=max_bytes * len(queries) + (1 << 20),
    )
    run = run_oneshot(python_command(RUNNER), stdin=request, ro_files=[db, str(RUNNER)], limits=limits, backend=backend)
    return collect_results(run, len(queries), engine)


def collect_results(run: RunResult, n_queries: int, engine: str) -> list[dict[str, Any]]:
    """The per-query results of a runner's run; the query that was running when the run died gets an error.

    >>> line = '{"columns": ["a"], "rows": [[1]], "error": null, "timeout": false, "limit": null}\\n'
    >>> died = RunResult(exit_code=None, signal=9, limit="wall", stdout=line + '{"columns": ["a"], "ro')
    >>> [r["error"] for r in collect_results(died, 2, "sqlite")]
    [None, 'the SQL engine stopped (limit: wall)']
    """
    if run.infrastructure_error:
        raise RuntimeError(f"sandbox failure: {run.detail}")
    results = []
    for line in run.stdout.splitlines():  # a line cut short by the end of the run does not parse: dropped
        try:
            item = json.loads(line)
        except ValueError:
            break
        if not isinstance(item, dict):
            break
        results.append(item)
    if results and "open_error" in results[0]:
        raise DatabaseRefError(f"field 'reference.db': the database does not open as {engine} ({results[0]['open_error']})")
    if not results:
        raise RuntimeError(f"SQL runner ended with {run.reason} before any query finished")
    if len(results) < n_queries:
        results.append({"columns": [], "rows": [], "error": f"the SQL engine stopped ({run.reason})",
                        "timeout": run.limit in ("wall", "cpu"), "limit": "run"})
    return results


def host_components(pred: str, gold: str, dialect: str) -> dict[str, float | None]:
    """The syntax / schema-linking / n-gram components, computed on the host from the predicted SQL."""
    return {
        "syntax": 1.0 if pred and syntax_ok(pred, dialect) else 0.0,
        "schema": schema_linking(pred, gold, dialect) if pred else 0.0,
        "ngram": ngram_similarity(pred, gold) if pred else 0.0,
    }


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
    components (default weights exec 0.7, syntax/schema/ngram 0.1 each). Reference: ``{"sql": gold SQL,
    "db": a database file under ``db_root`` (relative to it, or absolute inside it), "engine"?: "sqlite" |
    "duckdb"}``. ``db_root`` (else ``$REWARDSMITH_SQL_DB_ROOT``) is required: no row may name a file
    outside it.

    >>> import sqlite3, tempfile, os
    >>> root = tempfile.mkdtemp()
    >>> with sqlite3.connect(os.path.join(root, "t.sqlite")) as c:
    ...     _ = c.execute("CREATE TABLE t (a INT)"); _ = c.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    >>> sql_exec("```sql\\nSELECT a FROM t WHERE a > 1\\n```", {"sql": "SELECT 2", "db": "t.sqlite"}, db_root=root).value
    1.0
    >>> sql_exec("SELECT 1", {"sql": "SELECT 1", "db": "/etc/passwd"}, db_root=root)
    Traceback (most recent call last):
    ...
    rewardsmith.execution.sql_db.DatabaseRefError: field 'reference.db': '/etc/passwd' is outside the database root (refused)
    """
    if not isinstance(reference, dict) or not isinstance(reference.get("sql"), str) or not reference.get("db"):
        raise Abstain("sql_exec: reference needs 'sql' and 'db'")
    db = resolve_database(str(reference["db"]), database_root(db_root))
    eng = engine_of(reference.get("engine"), engine, db)
    dialect = "duckdb" if eng == "duckdb" else "sqlite"
    gold = reference["sql"].strip().rstrip(";")
    pred = predicted_sql(completion)
    components = host_components(pred, gold, dialect)
    if not pred:
        components["exec"] = 0.0
        return _value(components, mode, weights, "no SQL in the completion")
    gold_res, pred_res = execute_queries(db, eng, [gold, pred], timeout_s, backend=backend)
    if gold_res["error"]:
        if gold_res.get("limit") == "run":
            raise RuntimeError(f"sql_exec: the gold query did not finish: {gold_res['error']}")
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
