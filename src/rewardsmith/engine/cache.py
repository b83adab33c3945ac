"""A content-addressed result cache in SQLite. Only ok and abstain results are kept: errors are retried, and
so are results marked ``info["no_cache"]`` (an outcome that depended on timing, e.g. a sandbox wall limit
that other load on the machine may have caused)."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Iterable

import orjson

from rewardsmith.types import RewardResult, Status


def default_cache_path() -> Path:
    root = os.environ.get("REWARDSMITH_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rewardsmith"
    )
    return Path(root) / "cache.sqlite"


def cacheable(result: RewardResult) -> bool:
    """Worth keeping: not an error, not marked ``no_cache``."""
    return result.status is not Status.ERROR and not result.info.get("no_cache")


class Cache:
    """``get_many`` / ``put_many`` over a SQLite table (key -> JSON result); safe across threads.

    >>> c = Cache(":memory:")
    >>> c.put_many({"k": RewardResult.ok(1.0)})
    >>> c.get_many(["k", "x"])["k"].value
    1.0
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path if path is not None else default_cache_path())
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Iterable[str]) -> dict[str, RewardResult]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, RewardResult] = {}
        with self._lock:
            for i in range(0, len(wanted), 500):
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(f"SELECT key, value FROM results WHERE key IN ({marks})", chunk):
                    found[key] = RewardResult.from_fields(orjson.loads(blob))
        self.hits += len(found)
        self.misses += len(wanted) - len(found)
        return found

    def put_many(self, results: dict[str, RewardResult]) -> None:
        rows = [
            (k, orjson.dumps(r.to_fields(), option=orjson.OPT_SERIALIZE_NUMPY, default=str))
            for k, r in results.items()
            if cacheable(r)
        ]
        if not rows:
            return
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO results (key, value) VALUES (?, ?)", rows)
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
