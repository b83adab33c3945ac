"""sql_exec against SQLite and DuckDB databases built here: comparison rules, read-only, timeouts, partial
rewards, databases confined to the configured root, no data in reasons, and honest zeros for what the
policy's SQL causes."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from rewardsmith.execution import sql_exec as sql_exec_module
from rewardsmith.execution.sql_db import DatabaseRefError
from rewardsmith.types import Abstain, RewardResult

SECRET = "hunter2-7f3a9c"


def sql_exec(completion: str, reference: dict[str, Any], **params: Any) -> RewardResult:
    """The reward with the database root of these tests (the folder of ``reference["db"]``)."""
    params.setdefault("db_root", os.path.dirname(reference.get("db", "")) or ".")
    return sql_exec_module.sql_exec(completion, reference, **params)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = tmp_path_factory.mktemp("sql") / "shop.sqlite"
    with sqlite3.connect(db) as c:
        c.execute("CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, city TEXT)")
        c.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, amount REAL)")
        c.executemany("INSERT INTO customer VALUES (?, ?, ?)", [(1, "Ann", "Oslo"), (2, "Bob", "Rome"), (3, "Cid", "Oslo")])
        c.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [(1, 1, 10.0), (2, 1, 5.5), (3, 2, 7.25), (4, 3, 1.0 / 3.0), (5, 3, 2.0)],
        )
    return str(db)


def digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def ref(db: str, sql: str) -> dict[str, str]:
    return {"sql": sql, "db": db}


def test_execution_accuracy_rules(shop: str, bwrap_path: str) -> None:
    gold = "SELECT name FROM customer WHERE city = 'Oslo'"
    # order-insensitive when the gold query does not order
    assert sql_exec("SELECT name FROM customer WHERE city = 'Oslo' ORDER BY name DESC", ref(shop, gold)).value == 1.0
    # ordered gold: order matters
    ordered = "SELECT name FROM customer ORDER BY name"
    assert sql_exec("SELECT name FROM customer ORDER BY name", ref(shop, ordered)).value == 1.0
    assert sql_exec("SELECT name FROM customer ORDER BY name DESC", ref(shop, ordered)).value == 0.0
    # duplicates are counted
    assert sql_exec("SELECT c.city FROM customer c", ref(shop, "SELECT DISTINCT city FROM customer")).value == 0.0
    # float tolerance: the same number computed differently
    gold_avg = "SELECT customer_id, SUM(amount) FROM orders GROUP BY customer_id"
    pred_avg = "SELECT customer_id, AVG(amount) * COUNT(*) FROM orders GROUP BY customer_id"
    assert sql_exec(pred_avg, ref(shop, gold_avg)).value == 1.0
    # a wrong answer
    r = sql_exec("SELECT name FROM customer", ref(shop, gold))
    assert r.value == 0.0 and "differ" in (r.reason or "")


def test_partial_components(shop: str, bwrap_path: str) -> None:
    gold = "SELECT name FROM customer WHERE city = 'Oslo'"
    r = sql_exec("```sql\nSELECT name, city FROM customer WHERE city = 'Rome';\n```", ref(shop, gold), mode="partial")
    c = r.components
    assert c["exec"] == 0.0 and c["syntax"] == 1.0
    # schema items: pred {customer, name, city}, gold {customer, name, city} -> 1.0
    assert c["schema"] == pytest.approx(1.0)
    assert 0.0 < c["ngram"] < 1.0
    assert r.value == pytest.approx(0.7 * 0.0 + 0.1 * 1.0 + 0.1 * 1.0 + 0.1 * c["ngram"])
    bad = sql_exec("SELEC name FRM customer", ref(shop, gold), mode="partial")
    assert bad.components["syntax"] == 0.0 and bad.components["exec"] == 0.0


def test_model_sql_cannot_write_or_escape(shop: str, bwrap_path: str, tmp_path: Path) -> None:
    before = digest(shop)
    gold = "SELECT COUNT(*) FROM customer"
    outside = tmp_path / "evil.sqlite"
    attempts = [
        "DELETE FROM customer",
        "DROP TABLE customer",
        "INSERT INTO customer VALUES (9, 'Eve', 'Nowhere')",
        f"ATTACH DATABASE '{outside}' AS evil",
        "PRAGMA query_only = OFF",
        "SELECT load_extension('/tmp/x.so')",
    ]
    for sql in attempts:
        r = sql_exec(sql, ref(shop, gold))
        assert r.is_ok and r.value == 0.0, (sql, r)
        assert "failed" in (r.reason or "")
    assert digest(shop) == before
    assert not outside.exists()
    assert sql_exec("SELECT COUNT(*) FROM customer", ref(shop, gold)).value == 1.0


def test_runaway_query_times_out(shop: str, bwrap_path: str) -> None:
    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT MAX(x) FROM c"
    r = sql_exec(runaway, ref(shop, "SELECT 1"), timeout_s=1.0)
    assert r.value == 0.0 and "timeout" in (r.reason or "")


def test_duckdb(tmp_path: Path, bwrap_path: str) -> None:
    import duckdb

    db = str(tmp_path / "sales.duckdb")
    con = duckdb.connect(db)
    con.execute("CREATE TABLE sales (region TEXT, amount DOUBLE)")
    con.execute("INSERT INTO sales VALUES ('n', 1.5), ('s', 2.5), ('n', 3.0)")
    con.close()
    before = digest(db)
    gold = "SELECT region, SUM(amount) FROM sales GROUP BY region"
    assert sql_exec("SELECT region, SUM(amount) AS s FROM sales GROUP BY 1", ref(db, gold)).value == 1.0
    assert sql_exec("SELECT region, MAX(amount) FROM sales GROUP BY region", ref(db, gold)).value == 0.0
    for evil in ("DELETE FROM sales", "SELECT * FROM read_csv('/etc/passwd')", f"COPY sales TO '{tmp_path}/out.csv'"):
        r = sql_exec(evil, ref(db, gold))
        assert r.value == 0.0, (evil, r)
    assert digest(db) == before
    assert not (tmp_path / "out.csv").exists()


def test_reference_problems(shop: str, bwrap_path: str) -> None:
    with pytest.raises(Abstain):
        sql_exec("SELECT 1", {"sql": "SELECT 1"})
    with pytest.raises(Abstain):
        sql_exec("SELECT 1", ref(shop, "SELECT nope FROM missing_table"))
    with pytest.raises(DatabaseRefError, match="does not exist under the database root"):
        sql_exec("SELECT 1", ref(os.path.join(os.path.dirname(shop), "missing.sqlite"), "SELECT 1"))


# ------------------------------------------------------------------ a row may only name databases under the root


@pytest.fixture()
def host(tmp_path: Path, shop: str) -> dict[str, Path]:
    """A database root holding one database, and host files outside it that a row must not reach."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "shop.sqlite").write_bytes(Path(shop).read_bytes())
    outside = tmp_path / "private"
    outside.mkdir()
    with sqlite3.connect(outside / "users.sqlite") as c:
        c.execute("CREATE TABLE users (name TEXT, password TEXT)")
        c.execute("INSERT INTO users VALUES ('admin', ?)", (SECRET,))
    (outside / "secret.txt").write_text(f"TOKEN={SECRET}\n")
    (root / "escape.sqlite").symlink_to(outside / "users.sqlite")
    (root / "linked_dir").symlink_to(outside)
    (root / "notes.duckdb").write_text(f"TOKEN={SECRET}\n")  # inside the root, but not a database
    return {"root": root, "outside": outside}


def test_database_outside_the_root_is_refused(host: dict[str, Path], bwrap_path: str) -> None:
    root, outside = host["root"], host["outside"]
    probe = "SELECT COUNT(*) FROM users WHERE substr(password, 1, 1) = 'h'"  # reads a file bit by bit if allowed
    names = [
        str(outside / "users.sqlite"),  # absolute path outside the root
        "../private/users.sqlite",  # relative escape
        f"{root}/../private/users.sqlite",  # absolute, through the root
        "escape.sqlite",  # a symlink in the root pointing out
        "linked_dir/users.sqlite",  # a symlinked folder
        "/etc/passwd",
        "../private/missing.sqlite",  # a file that does not exist: the same refusal (no existence oracle)
        "/nonexistent/db.sqlite",
    ]
    messages = []
    for name in names:
        with pytest.raises(DatabaseRefError) as err:
            sql_exec_module.sql_exec(probe, {"sql": "SELECT 1", "db": name}, db_root=str(root))
        messages.append(str(err.value).replace(repr(name), "NAME"))
        assert SECRET not in str(err.value)
    assert set(messages) == {"field 'reference.db': NAME is outside the database root (refused)"}
    ok = sql_exec_module.sql_exec("SELECT COUNT(*) FROM customer", {"sql": "SELECT 3", "db": "shop.sqlite"}, db_root=str(root))
    assert ok.is_ok and ok.value == 1.0


def test_a_root_must_be_configured(host: dict[str, Path], monkeypatch: pytest.MonkeyPatch, bwrap_path: str) -> None:
    monkeypatch.delenv("REWARDSMITH_SQL_DB_ROOT", raising=False)
    with pytest.raises(DatabaseRefError, match="no database root configured"):
        sql_exec_module.sql_exec("SELECT 1", {"sql": "SELECT 1", "db": str(host["root"] / "shop.sqlite")})
    monkeypatch.setenv("REWARDSMITH_SQL_DB_ROOT", str(host["root"]))
    r = sql_exec_module.sql_exec("SELECT COUNT(*) FROM customer", {"sql": "SELECT 3", "db": "shop.sqlite"})
    assert r.is_ok and r.value == 1.0


def test_a_file_that_is_no_database_leaks_nothing(host: dict[str, Path], bwrap_path: str) -> None:
    for engine in ("duckdb", "sqlite"):
        with pytest.raises(DatabaseRefError) as err:
            sql_exec_module.sql_exec("SELECT 1", {"sql": "SELECT 1", "db": "notes.duckdb", "engine": engine}, db_root=str(host["root"]))
        assert "does not open" in str(err.value) and SECRET not in str(err.value) and "TOKEN" not in str(err.value)
    with pytest.raises(DatabaseRefError, match="reference.engine"):
        sql_exec_module.sql_exec("SELECT 1", {"sql": "SELECT 1", "db": "shop.sqlite", "engine": "postgres"}, db_root=str(host["root"]))


def test_query_errors_carry_no_data(tmp_path: Path, bwrap_path: str) -> None:
    import duckdb

    db = str(tmp_path / "vault.duckdb")
    con = duckdb.connect(db)
    con.execute("CREATE TABLE vault (k TEXT, v TEXT)")
    con.execute("INSERT INTO vault VALUES ('token', ?)", [SECRET])
    con.close()
    gold = "SELECT COUNT(*) FROM vault"
    for leak in ("SELECT CAST(v AS INTEGER) FROM vault", "SELECT error(v) FROM vault", "SELECT v::DATE FROM vault",
                 "SELECT * FROM vault WHERE v = 1", "SELECT json_extract(v, '$.a') FROM vault"):
        r = sql_exec(leak, ref(db, gold))
        assert r.is_ok and r.value == 0.0, (leak, r)
        assert SECRET not in (r.reason or "") and SECRET not in str(r.info), (leak, r.reason)
        assert "predicted SQL failed" in (r.reason or "")
    with pytest.raises(Abstain) as err:  # the gold query's error is as quiet
        sql_exec("SELECT 1", ref(db, "SELECT error(v) FROM vault"))
    assert SECRET not in str(err.value)


# ------------------------------------------------------------------ what the policy's SQL causes is its own zero


def test_huge_or_deep_sql_is_an_honest_zero(shop: str, bwrap_path: str) -> None:
    gold = "SELECT COUNT(*) FROM customer"
    deep = "SELECT " + "(" * 3000 + "1" + ")" * 3000
    cases = {
        "nested 3,000 deep": deep,
        "nested 3,000 deep (partial)": deep,
        "70 MB result": "SELECT printf('%.*c', 70000000, 'x')",
        "200,000 rows": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 200000) SELECT x FROM c",
        "a 1 MB query": "SELECT 1 " + "+ 1 " * 250_000,
        "blob too big": "SELECT zeroblob(2000000000)",
    }
    for name, sql in cases.items():
        r = sql_exec(sql, ref(shop, gold), mode="partial" if "partial" in name else "exec")
        assert r.is_ok, (name, r)
        assert r.value == 0.0 or (name.endswith("(partial)") and r.components["exec"] == 0.0), (name, r)
        assert r.reason, name
    long_ok = sql_exec("SELECT COUNT(*) FROM customer WHERE id IN (" + ", ".join(map(str, range(6000))) + ")", ref(shop, gold), mode="partial")
    assert long_ok.components["exec"] == 1.0 and long_ok.components["syntax"] == 0.0  # too long to parse on the host


def test_duckdb_huge_result_is_an_honest_zero(tmp_path: Path, bwrap_path: str) -> None:
    import duckdb

    db = str(tmp_path / "t.duckdb")
    duckdb.connect(db).close()
    r = sql_exec("SELECT repeat('x', 70000000)", ref(db, "SELECT 1"))
    # Whichever limit the policy's query hits first (the result cap, or the per-sample memory cgroup when one
    # is in use), it is the policy's doing: an honest zero with the limit named, never an error.
    reason = r.reason or ""
    assert r.is_ok and r.value == 0.0 and ("larger than" in reason or "out of memory" in reason), r


def test_uri_characters_in_the_file_name_add_no_parameters(tmp_path: Path, bwrap_path: str) -> None:
    name = "odd?mode=rwc#x.sqlite"
    with sqlite3.connect(tmp_path / name) as c:
        c.execute("CREATE TABLE t (a INT)")
        c.execute("INSERT INTO t VALUES (1)")
    before = digest(str(tmp_path / name))
    reference = {"sql": "SELECT a FROM t", "db": name}
    assert sql_exec_module.sql_exec("SELECT a FROM t", reference, db_root=str(tmp_path)).value == 1.0
    r = sql_exec_module.sql_exec("INSERT INTO t VALUES (2)", reference, db_root=str(tmp_path))
    assert r.is_ok and r.value == 0.0 and "not allowed" in (r.reason or "")
    assert digest(str(tmp_path / name)) == before


def test_check_fails_without_a_database_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`rewardsmith check` exits 1 for a sql_exec spec with no usable root (every row would be refused), and
    passes once the root names a folder."""
    import subprocess
    import sys

    monkeypatch.delenv("REWARDSMITH_SQL_DB_ROOT", raising=False)
    env = {k: v for k, v in os.environ.items() if k != "REWARDSMITH_SQL_DB_ROOT"}

    def check(params: str) -> subprocess.CompletedProcess[str]:
        spec = tmp_path / "sql.yaml"
        spec.write_text(f"name: sql\ncomponents:\n  - {{name: sql, reward: sql_exec{params}}}\n")
        return subprocess.run([sys.executable, "-m", "rewardsmith", "check", str(spec)], capture_output=True, text=True, env=env)

    none = check("")
    assert none.returncode == 1 and "no database root configured" in none.stdout, none.stdout + none.stderr
    missing = check(f", params: {{db_root: {tmp_path / 'nowhere'}}}")
    assert missing.returncode == 1 and "is not a folder" in missing.stdout
    good = check(f", params: {{db_root: {tmp_path}}}")
    assert "database root" not in good.stdout, good.stdout
