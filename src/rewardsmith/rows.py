"""Reading input rows and writing output rows: JSONL and Parquet, streamed, resumable.

A malformed JSON line does not stop the run: it becomes an ``error`` result naming the line.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any, Iterator, TextIO

import orjson

from rewardsmith.types import RewardResult


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_rows(path: str | Path, skip: int = 0) -> Iterator[tuple[int, dict[str, Any] | RewardResult]]:
    """Yield ``(line_number, row)``; a line that is not a JSON object yields an error result instead."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        n = 0
        for batch in pf.iter_batches(batch_size=4096):
            for row in batch.to_pylist():
                n += 1
                if n > skip:
                    yield n, row
        return
    with _open_text(path) as f:
        for n, line in enumerate(f, start=1):
            if n <= skip:
                continue
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                yield n, RewardResult.error(f"line {n}: malformed JSON ({exc})")
                continue
            if not isinstance(row, dict):
                yield n, RewardResult.error(f"line {n}: expected a JSON object, got {type(row).__name__}")
                continue
            yield n, row


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a JSONL (or .jsonl.gz) file; raises on a malformed line (for trusted data files)."""
    with _open_text(Path(path)) as f:
        return [orjson.loads(line) for line in f if line.strip()]


def output_row(row: dict[str, Any] | RewardResult, result: RewardResult, line: int) -> dict[str, Any]:
    """The contract's output row: the input row plus reward, status, components, reason."""
    base = dict(row) if isinstance(row, dict) else {"line": line}
    base.update(result.to_fields())
    return base


def count_done(path: Path) -> int:
    """Complete lines already in a (partial) JSONL output; a torn last line is cut off."""
    if not path.exists():
        return 0
    with open(path, "rb+") as f:
        data = f.read()
        end = data.rfind(b"\n") + 1
        if end != len(data):
            f.truncate(end)
    return data[:end].count(b"\n")


class RowWriter:
    """Appends output rows as they complete (flushed per chunk). Parquet output is written from a JSONL
    sidecar (``OUT.partial.jsonl``) when the run finishes, so an interrupted run loses nothing."""

    def __init__(self, path: str | Path, resume: bool = True) -> None:
        self.path = Path(path)
        self.parquet = self.path.suffix == ".parquet"
        self.partial = self.path.with_name(self.path.name + ".partial.jsonl") if self.parquet else self.path
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        if not resume and self.partial.exists():
            self.partial.unlink()
        self.done = count_done(self.partial) if resume else 0
        self._f = open(self.partial, "ab")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._f.write(b"".join(orjson.dumps(r, option=orjson.OPT_SERIALIZE_NUMPY, default=str) + b"\n" for r in rows))
        self._f.flush()

    def finish(self) -> None:
        self._f.close()
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            try:  # fast path: Arrow's own JSON reader (nested objects become structs)
                import pyarrow.json as pj

                table = pj.read_json(self.partial, read_options=pj.ReadOptions(block_size=1 << 24))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                rows = read_jsonl(self.partial)
                for r in rows:  # types that vary between rows: nested objects stored as JSON text
                    for key in ("components", "info", "metadata", "prompt", "completion", "reference"):
                        if key in r and isinstance(r[key], (dict, list)):
                            r[key] = orjson.dumps(r[key], default=str).decode()
                table = pa.Table.from_pylist(rows)
            tmp = self.path.with_name(self.path.name + ".tmp")
            pq.write_table(table, tmp)
            os.replace(tmp, self.path)
            self.partial.unlink()
