"""sql_exec against SQLite and DuckDB databases built here: comparison rules, read-only, timeouts, partial rewards."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from rewardsmith.execution.sql_exec import sql_exec
from rewardsmith.types import Abstain


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


def test_reference_problems_abstain(shop: str, bwrap_path: str) -> None:
    with pytest.raises(Abstain):
        sql_exec("SELECT 1", {"sql": "SELECT 1"})
    with pytest.raises(Abstain):
        sql_exec("SELECT 1", ref("/nonexistent/db.sqlite", "SELECT 1"))
    with pytest.raises(Abstain):
        sql_exec("SELECT 1", ref(shop, "SELECT nope FROM missing_table"))
