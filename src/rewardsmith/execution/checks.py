"""``rewardsmith check`` for execution rewards: a spec whose ``sql_exec`` has no usable database root FAILS
the check (every row would be refused at scoring time, see ``execution/sql_db.py``)."""

from __future__ import annotations

from typing import Any


def environment_errors(spec: Any) -> list[str]:
    """One error per ``sql_exec`` component whose ``db_root`` (or ``$REWARDSMITH_SQL_DB_ROOT``) is unset or not a folder."""
    from rewardsmith.execution.sql_db import DatabaseRefError, database_root

    errors = []
    for component, bound in zip(getattr(spec, "components", []), getattr(spec, "bound", [])):
        if bound.definition.name != "sql_exec":
            continue
        try:
            database_root((component.params or {}).get("db_root"))
        except DatabaseRefError as e:
            errors.append(f"component '{component.name}': {e}")
    return errors
