"""Which database file a row may name: confined to a configured root, symlinks resolved.

A row's ``reference.db`` is data from whoever submitted the row (a dataset, or a token holder of the
server), never from the policy. Unconfined, it could name any host file, and 1.0 / 0.0 rewards or error
messages would tell the caller whether a file exists and what it holds. So a database must resolve
(``os.path.realpath``: ``..`` and every symlink followed) to a regular file under the root given by the
``db_root`` param or the ``REWARDSMITH_SQL_DB_ROOT`` environment variable; anything else is refused with
a ``DatabaseRefError`` that names the field: the row's error (status ``error``), never a zero, and the
same refusal whether or not the file outside the root exists.
"""

from __future__ import annotations

import os
import stat
from typing import Literal

ROOT_ENV = "REWARDSMITH_SQL_DB_ROOT"


class DatabaseRefError(ValueError):
    """The row's ``reference.db`` (or ``reference.engine``) is not usable: the row's data error, not the policy's."""


def database_root(db_root: str | None) -> str:
    """The resolved root: the ``db_root`` param, else ``$REWARDSMITH_SQL_DB_ROOT``; refused when neither names a folder."""
    root = db_root or os.environ.get(ROOT_ENV)
    if not root:
        raise DatabaseRefError(
            f"sql_exec: no database root configured: set params.db_root (or {ROOT_ENV}) to the folder that holds "
            "the databases rows may name"
        )
    real = os.path.realpath(root)
    if not os.path.isdir(real):
        raise DatabaseRefError(f"sql_exec: the database root {root!r} is not a folder")
    return real


def resolve_database(name: str, root: str) -> str:
    """The real path of the database ``name`` (relative to ``root``, or absolute inside it).

    >>> import tempfile, pathlib
    >>> root = tempfile.mkdtemp(); _ = pathlib.Path(root, "shop.sqlite").write_bytes(b"")
    >>> resolve_database("shop.sqlite", root) == os.path.join(os.path.realpath(root), "shop.sqlite")
    True
    >>> resolve_database("../etc/passwd", root)
    Traceback (most recent call last):
    ...
    rewardsmith.execution.sql_db.DatabaseRefError: field 'reference.db': '../etc/passwd' is outside the database root (refused)
    """
    if not name or "\x00" in name:
        raise DatabaseRefError(f"field 'reference.db': {name!r} is not a file name")
    real = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([real, root]) != root or real == root:
        raise DatabaseRefError(f"field 'reference.db': {name!r} is outside the database root (refused)")
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise DatabaseRefError(f"field 'reference.db': {name!r} does not exist under the database root") from None
    if not stat.S_ISREG(mode):
        raise DatabaseRefError(f"field 'reference.db': {name!r} is not a regular file")
    return real


def detect_engine(path: str) -> Literal["sqlite", "duckdb"]:
    """SQLite when the file says so (its 16-byte header) or is named ``.sqlite``/``.sqlite3``/``.db``, else DuckDB."""
    if path.endswith((".duckdb", ".ddb")):
        return "duckdb"
    try:
        with open(path, "rb") as f:
            if f.read(16).startswith(b"SQLite format 3"):
                return "sqlite"
    except OSError:
        pass
    return "duckdb" if not path.endswith((".sqlite", ".sqlite3", ".db")) else "sqlite"


def engine_of(declared: object, default: str, path: str) -> Literal["sqlite", "duckdb"]:
    """The engine a row asks for (``reference.engine``), else the param, else detected from the file."""
    chosen = declared or (default if default != "auto" else None)
    if chosen is None:
        return detect_engine(path)
    if chosen not in ("sqlite", "duckdb"):
        raise DatabaseRefError(f"field 'reference.engine': {chosen!r} is not 'sqlite' or 'duckdb'")
    return chosen  # type: ignore[return-value]
