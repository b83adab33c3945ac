"""What produced an output file: the run record ``OUT.run.json`` that ``rewardsmith score`` writes beside it.

The output stays a clean row file (every line a contract output row, readable by any JSONL / Parquet tool);
the sidecar says which spec (its hash, which covers the code of its rewards), which input (a content
fingerprint), which training step and which rewardsmith version wrote it, and whether the run finished. A
rerun compares the record with what it would write and refuses to append to rows another run produced.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

SUFFIX = ".run.json"


def record_path(output: str | Path) -> Path:
    """``out.jsonl`` -> ``out.jsonl.run.json``."""
    out = Path(output)
    return out.with_name(out.name + SUFFIX)


@dataclass(frozen=True)
class InputFingerprint:
    """Content hash of an input file and its number of rows (non-blank lines; Parquet: rows)."""

    blake2b: str
    rows: int


def fingerprint_input(path: str | Path) -> InputFingerprint:
    """Hash the input's bytes (as stored, so a .gz is hashed compressed) and count its rows in one pass.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "in.jsonl"
    >>> _ = p.write_text('{"a": 1}\\n\\n{"a": 2}\\n')
    >>> fingerprint_input(p).rows
    2
    """
    p = Path(path)
    h = hashlib.blake2b(digest_size=16)
    with open(p, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    if p.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(p).metadata.num_rows
    else:
        rows = 0
        with (gzip.open(p, "rb") if p.suffix == ".gz" else open(p, "rb")) as f:
            for line in f:
                if line.strip():
                    rows += 1
    return InputFingerprint(h.hexdigest(), rows)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RunRecord:
    """The sidecar's fields. ``complete``: the run reached the end of the input; ``rows``: rows written."""

    rewardsmith_version: str
    spec_name: str
    spec_hash: str
    input_path: str
    input_blake2b: str
    input_rows: int
    step: int | None
    rows: int = 0
    complete: bool = False
    started: str = field(default_factory=_now)
    finished: str | None = None

    def differences(self, other: RunRecord) -> list[str]:
        """What differs between the run that wrote a file (``self``) and a new one, in words.

        >>> a = RunRecord("0.1.0", "s", "h1", "in.jsonl", "f1", 3, None)
        >>> a.differences(RunRecord("0.1.0", "s", "h2", "in.jsonl", "f1", 3, None))
        ['spec hash h1 -> h2 (the spec, or the code of one of its rewards, changed)']
        """
        out = []
        if self.spec_hash != other.spec_hash:
            out.append(f"spec hash {self.spec_hash} -> {other.spec_hash} (the spec, or the code of one of its rewards, changed)")
        if self.input_blake2b != other.input_blake2b:
            out.append(f"input content changed ({self.input_path}, {self.input_rows} rows -> {other.input_path}, {other.input_rows} rows)")
        if self.step != other.step:
            out.append(f"--step {self.step} -> {other.step}")
        if self.rewardsmith_version != other.rewardsmith_version:
            out.append(f"rewardsmith {self.rewardsmith_version} -> {other.rewardsmith_version}")
        return out

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)

    @classmethod
    def from_json(cls, data: bytes) -> RunRecord:
        d: dict[str, Any] = orjson.loads(data)
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def read_record(output: str | Path) -> RunRecord | None:
    """The sidecar of ``output``, or None when there is none (or it cannot be read)."""
    path = record_path(output)
    try:
        return RunRecord.from_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError, TypeError):
        return None


def write_record(output: str | Path, record: RunRecord) -> None:
    """Write the sidecar atomically (a temp file renamed over it, so a crash leaves the old or the new one)."""
    path = record_path(output)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(record.to_json())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
