"""Reading input rows and writing output rows: JSONL and Parquet, streamed, resumable.

A malformed JSON line does not stop the run: it becomes an ``error`` result naming the line.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

import orjson

from rewardsmith.types import RewardResult

Rows = list[Any]  # input rows: dicts, or RewardResult errors for lines that could not be read


def _open_text(path: Path) -> TextIO:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_rows(path: str | Path, skip: int = 0) -> Iterator[tuple[int, dict[str, Any] | RewardResult]]:
    """Yield ``(line_number, row)``; a line that is not a JSON object yields an error result instead.

    ``skip``: rows to leave out at the start (as many as a partial output already holds; blank lines, which
    give no output row, do not count)."""
    for lines, rows in _pieces(Path(path), 4096, skip):
        yield from zip(lines, rows)


def read_chunks(path: str | Path, size: int, skip: int = 0) -> Iterator[tuple[Sequence[int], Rows]]:
    """Yield ``(line_numbers, rows)`` in batches of about ``size`` rows that never split a group: a batch
    ends only before a row whose ``group`` is missing or differs from the row before it. ``skip`` and the
    rows as in ``read_rows``."""
    size = max(1, size)
    buf_lines: list[int] = []
    buf_rows: Rows = []
    for lines, rows in _pieces(Path(path), size, skip):
        if not buf_rows and len(rows) == size and _group(rows[-1]) is None:
            yield lines, rows  # the common case: a whole piece that may end here whatever comes next
            continue
        buf_lines.extend(lines)
        buf_rows.extend(rows)
        while len(buf_rows) >= size:
            cut = _cut(buf_rows, size)
            if cut is None:
                break  # a group runs on to the end of what has been read: read more
            yield buf_lines[:cut], buf_rows[:cut]
            del buf_lines[:cut], buf_rows[:cut]
    if buf_rows:
        yield buf_lines, buf_rows


def _group(row: Any) -> Any:
    return row.get("group") if row.__class__ is dict else None


def _cut(rows: Rows, size: int) -> int | None:
    """The first place at or after ``size`` where a batch may end, or None if not known yet."""
    prev = _group(rows[size - 1])
    for i in range(size, len(rows)):
        g = _group(rows[i])
        if g is None or g != prev:
            return i
        prev = g
    return len(rows) if prev is None else None


def _pieces(path: Path, size: int, skip: int) -> Iterator[tuple[Sequence[int], Rows]]:
    """Rows as read, in pieces of about ``size``, with their line numbers (Parquet: row numbers)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        n = 0
        for batch in pf.iter_batches(batch_size=size):
            if n + batch.num_rows <= skip:
                n += batch.num_rows
                continue
            if n < skip:
                batch = batch.slice(skip - n)
                n = skip
            yield range(n + 1, n + 1 + batch.num_rows), batch.to_pylist()
            n += batch.num_rows
        return
    with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as f:
        lines: list[int] = []
        rows: Rows = []
        seen = 0
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            seen += 1
            if seen <= skip:
                continue
            lines.append(n)
            rows.append(_parse_line(n, line))
            if len(rows) >= size:
                yield lines, rows
                lines, rows = [], []
        if rows:
            yield lines, rows


def _parse_line(n: int, line: bytes) -> dict[str, Any] | RewardResult:
    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return RewardResult.error(f"line {n}: malformed JSON ({exc})")
    if row.__class__ is not dict:
        return RewardResult.error(f"line {n}: expected a JSON object, got {type(row).__name__}")
    return row


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a JSONL (or .jsonl.gz) file; raises on a malformed line (for trusted data files)."""
    with _open_text(Path(path)) as f:
        return [orjson.loads(line) for line in f if line.strip()]


def output_row(row: dict[str, Any] | RewardResult, result: RewardResult, line: int) -> dict[str, Any]:
    """The contract's output row: the input row plus reward, status, components, reason.

    >>> output_row({"id": "a", "completion": "x"}, RewardResult.ok(1.0, {"c": 1.0}), 1)
    {'id': 'a', 'completion': 'x', 'reward': 1.0, 'status': 'ok', 'components': {'c': 1.0}, 'reason': None}
    """
    base = dict(row) if row.__class__ is dict or isinstance(row, dict) else {"line": line}
    # RewardResult.to_fields(), without its per-row dict and Enum property lookups (same keys, same order)
    base["reward"] = result.value
    base["status"] = result.status._value_
    base["components"] = result.components
    base["reason"] = result.reason
    if result.step_values is not None:
        base["step_values"] = result.step_values
    if result.info:
        base["info"] = result.info
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


_DUMP_OPTS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE


class OutputBusy(RuntimeError):
    """Another process is writing the same output file."""


#: Output formats ``RowWriter`` writes (by suffix).
OUTPUT_SUFFIXES = (".jsonl", ".parquet")


class RowWriter:
    """Appends output rows as they complete (flushed per chunk). Parquet output is written from a JSONL
    sidecar (``OUT.partial.jsonl``) when the run finishes, so an interrupted run loses nothing.

    The file rows are appended to is locked (``flock``) while the writer is open: a second writer on the
    same output raises ``OutputBusy`` instead of interleaving its rows. ``resume=False`` empties it (after
    taking the lock)."""

    def __init__(self, path: str | Path, resume: bool = True) -> None:
        self.path = Path(path)
        self.parquet = self.path.suffix == ".parquet"
        self.partial = self.path.with_name(self.path.name + ".partial.jsonl") if self.parquet else self.path
        self.partial.parent.mkdir(parents=True, exist_ok=True)
        self._f = open(self.partial, "ab", buffering=1 << 20)
        try:
            _lock(self._f, self.partial)
        except OutputBusy:
            self._f.close()
            raise
        if not resume:
            self._f.truncate(0)
        self.done = count_done(self.partial) if resume else 0

    def abort(self) -> int:
        """Close after a failed write (a full disk): what could not be written is dropped, a torn last row is
        cut off; returns the complete rows on disk (a rerun resumes after them)."""
        try:
            self._f.close()  # the buffer's flush fails again; the file is closed all the same
        except OSError:
            pass
        return count_done(self.partial)

    def write(self, rows: list[dict[str, Any]]) -> None:
        # one row at a time into the (1 MiB) buffer: cheaper than joining the chunk's rows first
        put, dumps = self._f.write, orjson.dumps
        for r in rows:
            put(dumps(r, option=_DUMP_OPTS, default=str))
        self._f.flush()

    def write_results(self, rows: Rows, results: list[RewardResult], lines: Sequence[int]) -> None:
        """Write ``output_row(row, result, line)`` for each, as ``write`` does (one flush per call)."""
        put, dumps = self._f.write, orjson.dumps
        for r, res, n in zip(rows, results, lines):
            put(dumps(output_row(r, res, n), option=_DUMP_OPTS, default=str))
        self._f.flush()

    def finish(self) -> None:
        """Close; Parquet output is converted from the partial JSONL (which is then removed). On failure
        (a full disk) the partial stays, for a rerun to convert."""
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
            try:
                pq.write_table(table, tmp)
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
            self.partial.unlink()


def _lock(f: Any, path: Path) -> None:
    try:
        import fcntl
    except ImportError:  # no flock (Windows): no lock
        return
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputBusy(f"{path} is being written by another process (another `rewardsmith score` on the same "
                         "output?); wait for it to finish or write to another file") from None
