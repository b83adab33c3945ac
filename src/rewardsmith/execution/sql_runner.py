"""Runs SQL queries read-only against one database; started inside a one-shot sandbox (stdlib + duckdb).

stdin: ``{"db": path, "engine": "sqlite"|"duckdb", "queries": [sql, ...], "timeout_s": float,
"max_rows": int}``; stdout: ``{"results": [{"columns": [...], "rows": [[...]], "error": str|null,
"timeout": bool}]}``. SQLite opens the file with ``mode=ro``, ``query_only`` and an authorizer that
refuses ATTACH, writes and pragmas that change state; DuckDB opens ``read_only`` with external access
disabled and the configuration locked. Each query has its own deadline (progress handler / interrupt).
"""

from __future__ import annotations

import datetime
import decimal
import json
import sys
import threading
import time
from typing import Any

_SQLITE_DENY = {
    "SQLITE_ATTACH",
    "SQLITE_DETACH",
    "SQLITE_INSERT",
    "SQLITE_UPDATE",
    "SQLITE_DELETE",
    "SQLITE_CREATE_TABLE",
    "SQLITE_CREATE_INDEX",
    "SQLITE_CREATE_TRIGGER",
    "SQLITE_CREATE_VIEW",
    "SQLITE_DROP_TABLE",
    "SQLITE_DROP_INDEX",
    "SQLITE_DROP_TRIGGER",
    "SQLITE_DROP_VIEW",
    "SQLITE_ALTER_TABLE",
    "SQLITE_CREATE_VTABLE",
    "SQLITE_DROP_VTABLE",
    "SQLITE_PRAGMA",
    "SQLITE_TRANSACTION",
    "SQLITE_SAVEPOINT",
}


def plain(value: Any) -> Any:
    """A JSON-safe version of one cell (numbers stay numbers)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
        return value.isoformat()
    return str(value)


def run_sqlite(db: str, queries: list[str], timeout_s: float, max_rows: int) -> list[dict[str, Any]]:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    codes = {getattr(sqlite3, name) for name in _SQLITE_DENY if hasattr(sqlite3, name)}

    def authorize(action: int, arg1: Any, arg2: Any, dbname: Any, source: Any) -> int:
        if action in codes:
            return sqlite3.SQLITE_DENY
        if action == getattr(sqlite3, "SQLITE_FUNCTION", -1) and str(arg2).lower() in ("load_extension", "readfile", "writefile"):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)
    out = []
    for sql in queries:
        deadline = time.monotonic() + timeout_s
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
        try:
            cur = conn.execute(sql)
            rows = cur.fetchmany(max_rows + 1)
            cols = [d[0] for d in cur.description or []]
            out.append({"columns": cols, "rows": [[plain(v) for v in r] for r in rows[:max_rows]],
                        "error": None, "timeout": False, "too_many_rows": len(rows) > max_rows})
        except Exception as exc:
            timed_out = time.monotonic() > deadline
            out.append({"columns": [], "rows": [], "error": f"{type(exc).__name__}: {exc}", "timeout": timed_out})
    conn.close()
    return out


def run_duckdb(db: str, queries: list[str], timeout_s: float, max_rows: int) -> list[dict[str, Any]]:
    import duckdb

    conn = duckdb.connect(
        db,
        read_only=True,
        config={"enable_external_access": False, "autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    conn.execute("SET lock_configuration = true")
    out = []
    for sql in queries:
        timer = threading.Timer(timeout_s, conn.interrupt)
        timer.start()
        started = time.monotonic()
        try:
            cur = conn.execute(sql)
            rows = cur.fetchmany(max_rows + 1)
            cols = [d[0] for d in cur.description or []]
            out.append({"columns": cols, "rows": [[plain(v) for v in r] for r in rows[:max_rows]],
                        "error": None, "timeout": False, "too_many_rows": len(rows) > max_rows})
        except Exception as exc:
            timed_out = time.monotonic() - started >= timeout_s
            out.append({"columns": [], "rows": [], "error": f"{type(exc).__name__}: {exc}", "timeout": timed_out})
        finally:
            timer.cancel()
    conn.close()
    return out


def main() -> None:
    req = json.loads(sys.stdin.read())
    runner = run_duckdb if req["engine"] == "duckdb" else run_sqlite
    try:
        results = runner(req["db"], req["queries"], float(req["timeout_s"]), int(req.get("max_rows", 100000)))
        answer: dict[str, Any] = {"results": results}
    except Exception as exc:  # the database could not be opened
        answer = {"open_error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
