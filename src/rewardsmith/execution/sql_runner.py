"""Runs SQL queries read-only against one database; started inside a one-shot sandbox (stdlib + duckdb).

stdin: ``{"db": path, "engine": "sqlite"|"duckdb", "queries": [sql, ...], "timeout_s": float,
"max_rows": int, "max_bytes": int}``. stdout: one JSON line per query as soon as it finishes,
``{"columns": [...], "rows": [[...]], "error": str|null, "timeout": bool, "limit": str|null}``, or a single
``{"open_error": str}`` line, so the host knows which query was running if the process dies.

SQLite opens the file with ``mode=ro``, ``query_only`` and an authorizer that refuses ATTACH, writes and
pragmas that change state; DuckDB opens ``read_only`` with external access disabled and the configuration
locked. Each query has its own deadline (progress handler / interrupt), a row cap and a cap on the size
of its serialised result (``limit``: "rows" / "bytes"). Error messages never leave this process: only
the exception's class and a fixed category ("unknown column", "syntax error" ...) do, so no cell value,
file name or file content reaches the caller through an error.
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


#: (category, lower-case fragments of an engine message that mean it); the first that matches wins.
_CATEGORIES = (
    ("interrupted", ("interrupt",)),
    ("out of memory", ("out of memory", "memory limit", "bad_alloc")),
    ("syntax error", ("syntax error", "parser error", "incomplete input", "unrecognized token", "unterminated")),
    ("type error", ("conversion", "could not convert", "mismatch", "datatype", "cast")),
    ("unknown function", ("no such function", "function with name", "scalar function", "wrong number of arguments")),
    ("unknown column", ("no such column", "referenced column", "ambiguous column", "column not found", "has no column")),
    ("unknown table", ("no such table", "table with name", "does not exist")),
    ("statement not allowed", ("not authorized", "read-only", "read only", "prohibited", "permission", "disabled")),
    ("too deep", ("too deep", "too many", "recursion", "stack")),
)


def error_category(exc: BaseException) -> str:
    """``ClassName: category``: what went wrong, without the engine's message (it can quote data).

    >>> error_category(ValueError("Could not convert string 'hunter2' to INT32"))
    'ValueError: type error'
    """
    if isinstance(exc, MemoryError):
        return "MemoryError: out of memory"
    if isinstance(exc, RecursionError):
        return "RecursionError: too deep"
    message = str(exc).lower()
    for category, fragments in _CATEGORIES:
        if any(f in message for f in fragments):
            return f"{type(exc).__name__}: {category}"
    return f"{type(exc).__name__}: query failed"


def fetch_bounded(cur: Any, max_rows: int, max_bytes: int) -> dict[str, Any]:
    """Rows of an executed cursor as plain cells, stopping at ``max_rows`` rows or ``max_bytes`` of JSON."""
    cols = [d[0] for d in cur.description or []]
    rows: list[list[Any]] = []
    size = 0
    while True:
        chunk = cur.fetchmany(1000)
        if not chunk:
            break
        for raw in chunk:
            cells = [plain(v) for v in raw]
            size += len(json.dumps(cells)) + 1
            if size > max_bytes:
                return {"columns": cols, "rows": [], "error": f"result larger than {max_bytes} bytes", "timeout": False, "limit": "bytes"}
            if len(rows) >= max_rows:
                return {"columns": cols, "rows": [], "error": f"more than {max_rows} rows", "timeout": False, "limit": "rows"}
            rows.append(cells)
    return {"columns": cols, "rows": rows, "error": None, "timeout": False, "limit": None}


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def run_sqlite(db: str, queries: list[str], timeout_s: float, max_rows: int, max_bytes: int) -> None:
    import sqlite3

    from urllib.parse import quote

    # quoted: a file name holding "?" or "#" must not add URI parameters (mode=rwc ...)
    conn = sqlite3.connect(f"file:{quote(db)}?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # a file that is not a database fails here
    codes = {getattr(sqlite3, name) for name in _SQLITE_DENY if hasattr(sqlite3, name)}

    def authorize(action: int, arg1: Any, arg2: Any, dbname: Any, source: Any) -> int:
        if action in codes:
            return sqlite3.SQLITE_DENY
        if action == getattr(sqlite3, "SQLITE_FUNCTION", -1) and str(arg2).lower() in ("load_extension", "readfile", "writefile"):
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)
    for sql in queries:
        deadline = time.monotonic() + timeout_s
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
        try:
            _emit(fetch_bounded(conn.execute(sql), max_rows, max_bytes))
        except Exception as exc:
            timed_out = time.monotonic() > deadline
            _emit({"columns": [], "rows": [], "error": error_category(exc), "timeout": timed_out, "limit": None})
    conn.close()


def run_duckdb(db: str, queries: list[str], timeout_s: float, max_rows: int, max_bytes: int) -> None:
    import duckdb

    conn = duckdb.connect(
        db,
        read_only=True,
        config={"enable_external_access": False, "autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    conn.execute("SET lock_configuration = true")
    for sql in queries:
        timer = threading.Timer(timeout_s, conn.interrupt)
        timer.start()
        started = time.monotonic()
        try:
            _emit(fetch_bounded(conn.execute(sql), max_rows, max_bytes))
        except Exception as exc:
            timed_out = time.monotonic() - started >= timeout_s
            _emit({"columns": [], "rows": [], "error": error_category(exc), "timeout": timed_out, "limit": None})
        finally:
            timer.cancel()
    conn.close()


def main() -> None:
    req = json.loads(sys.stdin.read())
    runner = run_duckdb if req["engine"] == "duckdb" else run_sqlite
    queries = req["queries"]
    try:
        runner(req["db"], queries, float(req["timeout_s"]), int(req.get("max_rows", 100000)), int(req.get("max_bytes", 16 << 20)))
    except Exception as exc:  # the database could not be opened (no query result was written yet)
        _emit({"open_error": error_category(exc)})


if __name__ == "__main__":
    main()
