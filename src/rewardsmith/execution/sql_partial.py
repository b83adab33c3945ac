"""Reasoning-SQL partial rewards (Pourreza et al., 2025): syntax, schema linking, n-gram similarity."""

from __future__ import annotations

import re
from typing import Any


#: Longest SQL parsed on the host. sqlglot costs tens of microseconds per character (a 1 MB completion
#: would hold the thread for most of a minute) and recurses once per nesting level; real queries (Spider,
#: BIRD) are a few KB, so a longer one scores 0 on the parsed components and still runs in the sandbox.
MAX_PARSE_CHARS = 20_000


class SQLParseError(ValueError):
    """The model's SQL does not parse (the policy's fault: scored 0, not an infrastructure error)."""


def _parse(sql: str, dialect: str) -> Any:
    import sqlglot
    from sqlglot.errors import SqlglotError

    if len(sql) > MAX_PARSE_CHARS:
        raise SQLParseError(f"{len(sql)} characters: longer than {MAX_PARSE_CHARS}, not parsed on the host")
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except SqlglotError as exc:
        raise SQLParseError(str(exc)) from None
    except RecursionError:
        raise SQLParseError("nested too deep to parse") from None
    trees = [t for t in parsed if t is not None]
    if len(trees) != 1:
        raise SQLParseError(f"expected one statement, got {len(trees)}")
    return trees[0]


def syntax_ok(sql: str, dialect: str = "sqlite") -> bool:
    """One statement that sqlglot parses (no longer than ``MAX_PARSE_CHARS``, not nested past the recursion limit).

    >>> syntax_ok("SELECT a FROM t WHERE b > 1"), syntax_ok("SELEC a FRM t"), syntax_ok("SELECT " + "(" * 3000 + "1" + ")" * 3000)
    (True, False, False)
    """
    try:
        _parse(sql, dialect)
        return True
    except SQLParseError:
        return False


def schema_items(sql: str, dialect: str = "sqlite") -> set[str]:
    """Tables and columns a query refers to (lower-case; columns without their table qualifier).

    >>> sorted(schema_items("SELECT T1.name FROM singer AS T1 JOIN concert ON T1.id = concert.singer_id"))
    ['column:id', 'column:name', 'column:singer_id', 'table:concert', 'table:singer']
    """
    from sqlglot import exp

    tree = _parse(sql, dialect)
    items = {f"table:{t.name.lower()}" for t in tree.find_all(exp.Table) if t.name}
    items |= {f"column:{c.name.lower()}" for c in tree.find_all(exp.Column) if c.name}
    return items


def schema_linking(predicted: str, gold: str, dialect: str = "sqlite") -> float:
    """Jaccard similarity of referenced tables and columns (0 when the prediction does not parse).

    >>> schema_linking("SELECT name FROM singer", "SELECT name, age FROM singer")
    0.6666666666666666
    """
    try:
        p = schema_items(predicted, dialect)
    except SQLParseError:
        return 0.0
    g = schema_items(gold, dialect)
    union = p | g
    return len(p & g) / len(union) if union else 1.0


_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|'[^']*'|\"[^\"]*\"|<=|>=|<>|!=|\S")


def ngram_similarity(predicted: str, gold: str, n: int = 2) -> float:
    """Jaccard similarity of the token n-grams (case-insensitive).

    >>> ngram_similarity("SELECT a FROM t", "select a from t")
    1.0
    >>> round(ngram_similarity("SELECT a FROM t", "SELECT b FROM t"), 3)
    0.2
    """
    def grams(text: str) -> set[tuple[str, ...]]:
        toks = [t.lower() for t in _TOKEN.findall(text)]
        if len(toks) < n:
            return {tuple(toks)} if toks else set()
        return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}

    p, g = grams(predicted), grams(gold)
    union = p | g
    return len(p & g) / len(union) if union else 1.0
