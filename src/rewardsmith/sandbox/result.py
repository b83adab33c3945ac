"""What one sandboxed run reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: The limit a run hit, if any: wall clock, CPU seconds, memory (address space), captured output,
#: file size, number of processes; ``sandbox`` means the sandbox itself failed (an infrastructure error).
Limit = Literal["wall", "cpu", "memory", "output", "fsize", "nproc", "sandbox"]


@dataclass(slots=True)
class RunResult:
    """Exit status, the limit that was hit, captured output and time of one run.

    ``exit_code`` is the program's exit status (None when it was killed by a signal), ``signal`` the
    signal number that ended it, ``judged`` the verdict of the trusted judge for assert-style tests
    (``rewardsmith.trusted.assert_judge``: computed in the worker, never reported by the program),
    ``cpu_seconds`` the program's own CPU and ``cpu_all`` that of every process of the run.

    >>> RunResult(exit_code=0).ok
    True
    >>> RunResult(exit_code=None, signal=9, limit="wall").reason
    'limit: wall'
    """

    exit_code: int | None
    signal: int | None = None
    limit: Limit | None = None
    stdout: str = ""
    stderr: str = ""
    judged: dict[str, Any] | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    cpu_all: float = 0.0
    truncated: bool = False
    backend: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Ended by itself with status 0 and no limit hit."""
        return self.exit_code == 0 and self.limit is None

    @property
    def infrastructure_error(self) -> bool:
        """The sandbox failed (not the program): callers turn this into ``status: error``, never a zero."""
        return self.limit == "sandbox"

    @property
    def reason(self) -> str:
        if self.limit is not None:
            return f"limit: {self.limit}" + (f" ({self.detail})" if self.detail and self.limit == "sandbox" else "")
        if self.signal is not None:
            return f"signal {self.signal}"
        return f"exit {self.exit_code}"

    def tail(self, which: Literal["stdout", "stderr"] = "stderr", chars: int = 500) -> str:
        text = self.stdout if which == "stdout" else self.stderr
        return text[-chars:]

    @classmethod
    def from_dict(cls, d: dict[str, Any], backend: str) -> RunResult:
        return cls(
            exit_code=d.get("exit_code"),
            signal=d.get("signal"),
            limit=d.get("limit"),
            stdout=d.get("stdout", ""),
            stderr=d.get("stderr", ""),
            judged=d.get("judged") if isinstance(d.get("judged"), dict) else None,
            seconds=float(d.get("seconds", 0.0)),
            cpu_seconds=float(d.get("cpu_seconds", 0.0)),
            cpu_all=float(d.get("cpu_all", 0.0)),
            truncated=bool(d.get("truncated", False)),
            backend=backend,
            detail=d.get("detail", ""),
        )

    @classmethod
    def sandbox_failure(cls, detail: str, backend: str, seconds: float = 0.0) -> RunResult:
        return cls(exit_code=None, limit="sandbox", detail=detail, backend=backend, seconds=seconds)
