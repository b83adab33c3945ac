"""Per-run resource limits of the sandbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard limits for one program run.

    ``cpu_s`` (RLIMIT_CPU), ``wall_s`` (kills the whole process tree), ``memory_mb`` (RLIMIT_AS),
    ``nproc`` (RLIMIT_NPROC: processes and threads), ``fsize_mb`` (RLIMIT_FSIZE), ``nofile``
    (RLIMIT_NOFILE), ``stack_mb`` (RLIMIT_STACK), ``output_bytes`` (stdout + stderr captured; more kills the run),
    ``scratch_mb`` (size of the private writable scratch tmpfs, and of /dev/shm, per worker; both are
    replaced by empty ones for every program), ``scratch_files`` (inodes in each: files and folders).

    >>> Limits(wall_s=2).with_(cpu_s=1).cpu_s
    1.0
    """

    cpu_s: float = 10.0
    wall_s: float = 10.0
    memory_mb: int = 1024
    nproc: int = 32
    fsize_mb: int = 16
    nofile: int = 64
    stack_mb: int = 64
    output_bytes: int = 1 << 20
    scratch_mb: int = 64
    scratch_files: int = 4096

    def with_(self, **changes: Any) -> Limits:
        return replace(self, **{k: (float(v) if k in ("cpu_s", "wall_s") else v) for k, v in changes.items()})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
